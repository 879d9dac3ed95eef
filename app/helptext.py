"""Command help with real metavariables.

Typer prints a required argument as ``{file}`` in the usage line and every value as its
Python type (``<str>``, ``<bool>``, ``<list[str]>``). Ohm's help uses the conventions
people know from other command-line tools instead: ``FILE``, ``[MESSAGE...]``,
``--project PROJECT``, and nothing after a flag. :func:`install` switches Typer's help
to them; ``app.cli`` calls it once, before any help is printed.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

__all__ = ["install"]

_installed = False


def _name(param: Any) -> str:
    if param.metavar is not None:
        return str(param.metavar)
    return str(param.name or "value").upper()


def _argument_usage(self: TyperArgument) -> str:
    name = _name(self)
    if self.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if self.required else f"[{name}]"


def _argument_type(self: TyperArgument, ctx: Any) -> str | None:
    return None  # the name column already says it


_typer_option_type = TyperOption.display_type_rich


def _option_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag or self.count:
        return None
    descriptor = getattr(self, "type_descriptor", None)
    if self.metavar is None and getattr(descriptor, "is_choice", False):
        return _typer_option_type(self, ctx)  # lists the choices
    return _name(self)


def install() -> None:
    """Use these names in every command's help (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    patches: dict[tuple[type[Any], str], Any] = {
        (TyperArgument, "_usage_display_name"): _argument_usage,
        (TyperArgument, "display_type_rich"): _argument_type,
        (TyperOption, "display_type_rich"): _option_type,
    }
    for (cls, attr), fn in patches.items():
        if hasattr(cls, attr):  # a Typer without the method prints its own way
            setattr(cls, attr, fn)
    if isinstance(getattr(TyperArgument, "display_name_raw", None), property):
        # Also the name in "Missing argument 'FILE'".
        TyperArgument.display_name_raw = property(_name)  # type: ignore[assignment,method-assign]
