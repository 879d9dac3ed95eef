"""``ohm``: talk to the assembly line and look at what it made, from a terminal.

Output is for people by default; ``--json`` prints one JSON object per line for
programs. Errors are one line on stderr and a non-zero exit, never a traceback (see
:mod:`app.errors` for the exit codes).

Each command group lives in its own module (``app/*_cli.py``); this one puts them
together. Importing it loads Typer and those modules only: the graph, the store and the
model layer are imported inside the commands that use them, so ``ohm --help``,
``ohm --version`` and argument errors start in a fraction of a second. ``ohm check`` is
loaded only when it is called (its rules and parsers are heavy).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from . import helptext, startup
from .artifacts_cli import artifacts_app
from .conversation_cli import ask, chat
from .demo_cli import DEMO_SCRIPT, demo
from .history_cli import history, replay, resume
from .keys_cli import keys
from .parts_cli import parts_app
from .projects_cli import projects_app, threads_app
from .route_cli import route_command
from .serve_cli import serve_command

__all__ = ["DEMO_SCRIPT", "app", "main"]

helptext.install()

# Sub-apps imported on first use: name -> (module, attribute, help shown in `ohm --help`).
# A test checks the help against the sub-app's own.
LAZY_GROUPS: dict[str, tuple[str, str, str]] = {
    "check": (
        "app.check_cli",
        "check_app",
        "Check wiring, parts lists and firmware for hazards (wrong voltages, missing "
        "resistors and diodes, pin mix-ups, blocking code).",
    ),
}


class OhmGroup(TyperGroup):
    """The top-level group: lists the lazy sub-apps by name and help, and imports one
    only when a command line reaches it."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        names = super().list_commands(ctx)
        return names + [n for n in LAZY_GROUPS if n not in names]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_GROUPS:
            # A stand-in for the help listing; resolve_command loads the real one.
            return TyperCommand(name=cmd_name, help=LAZY_GROUPS[cmd_name][2])
        return command

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:  # type: ignore[override]
        if args and args[0] in LAZY_GROUPS and args[0] not in self.commands:
            self.add_command(_load_group(args[0]), args[0])
        return super().resolve_command(ctx, args)


def _load_group(name: str) -> Any:
    from typer.main import get_group_from_info
    from typer.models import TyperInfo

    module, attr, _ = LAZY_GROUPS[name]
    sub: typer.Typer = getattr(importlib.import_module(module), attr)
    return get_group_from_info(
        TyperInfo(sub, name=name),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
        suggest_commands=app.suggest_commands,
    )


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("ohm")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        typer.echo(f"ohm {number}")
        raise typer.Exit()


app = typer.Typer(
    name="ohm",
    cls=OhmGroup,
    help="Ohm: an assistant for people who build hardware. Describe a project, keep "
    "talking, and a line of specialists plans parts, wiring and firmware as versioned "
    "artifacts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print Ohm's version and exit."
        ),
    ] = False,
    no_color: Annotated[
        bool,
        typer.Option("--no-color", help="No colours in the output (so does setting NO_COLOR)."),
    ] = False,
) -> None:
    if no_color or os.environ.get("NO_COLOR"):
        from .render import set_no_color

        set_no_color()


# In the order `ohm --help` lists them.
app.command()(ask)
app.command()(chat)
app.command()(history)
app.command()(replay)
app.command()(resume)
app.command()(demo)
app.command()(keys)
app.command("serve")(serve_command)
app.command("route")(route_command)
app.add_typer(threads_app, name="threads")
app.add_typer(projects_app, name="projects")
app.add_typer(artifacts_app, name="artifacts")
app.add_typer(parts_app, name="parts")


class _OneLine(logging.Formatter):
    """Warnings for the terminal: one line, never a traceback (those go to the log file)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage().splitlines()[0]}"


def setup_logging() -> None:
    """Warnings to stderr as one line each; details with tracebacks to ``<data dir>/ohm.log``
    when the data directory is usable (never required)."""
    root = logging.getLogger()
    if any(getattr(h, "_ohm", False) for h in root.handlers):
        return
    root.setLevel(logging.INFO)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.WARNING)
    terminal.setFormatter(_OneLine())
    terminal._ohm = True  # type: ignore[attr-defined]
    root.addHandler(terminal)
    try:
        # persistence.store.default_data_dir, without loading the store.
        data_dir = _default_data_dir()
        if data_dir.is_dir() and os.access(data_dir, os.W_OK):
            detail = logging.FileHandler(data_dir / "ohm.log", encoding="utf-8")
            detail.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            root.addHandler(detail)
    except OSError:
        pass
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _default_data_dir() -> Path:
    return Path(os.environ.get("OHM_DATA_DIR") or ".ohm").expanduser()


def _hoist_no_color(argv: list[str]) -> list[str]:
    """``--no-color`` is accepted anywhere before ``--``: it belongs to ``ohm`` itself."""
    head = argv[: argv.index("--")] if "--" in argv else argv
    if "--no-color" not in head or argv[:1] == ["--no-color"]:
        return argv
    rest = list(argv)
    rest.remove("--no-color")
    return ["--no-color", *rest]


def main() -> None:
    sys.argv[1:] = _hoist_no_color(sys.argv[1:])
    startup.begin()
    setup_logging()
    try:
        app()
    except KeyboardInterrupt:
        from .render import err

        err.print("interrupted")
        sys.exit(130)
    finally:
        startup.finish()


if __name__ == "__main__":
    main()
