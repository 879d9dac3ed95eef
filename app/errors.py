"""How ``ohm`` reports failures: one ``error:`` line on stderr and an exit code.

Exit codes: 1 for a failure a person can act on, 2 for bad input, 3 when the thread is
busy with another turn, 130 when interrupted. Anything not listed in :func:`describe` is
a bug and keeps its traceback.

Exceptions are recognised by their class in the module that defines it, looked up in
``sys.modules``: an exception of that class can only exist once its module is imported,
so the check never imports the database or model layers just to say no.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUSY = 3
EXIT_INTERRUPTED = 130

T = TypeVar("T")

# (module, class): a failure with a one-line message and exit code 1.
_EXPECTED = (
    ("persistence.store", "StoreError"),
    ("nodes.agents", "ConfigError"),
    ("providers.errors", "ProviderError"),
)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    from .render import err, escape

    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _is(exc: BaseException, module: str, name: str) -> bool:
    cls = getattr(sys.modules.get(module), name, None)
    return isinstance(cls, type) and isinstance(exc, cls)


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The line and exit code for an expected failure, or None for a bug."""

    if _is(exc, "persistence.leases", "ThreadBusy"):
        return str(exc), EXIT_BUSY
    if _is(exc, "graph.assembly_line", "TurnError"):
        event = exc.event  # type: ignore[attr-defined]
        cause = exc.__cause__
        busy = event.kind == "busy" or (
            cause is not None and _is(cause, "persistence.leases", "ThreadBusy")
        )
        return event.message, EXIT_BUSY if busy else EXIT_FAILED
    if any(_is(exc, module, name) for module, name in _EXPECTED) or isinstance(
        exc, (ValueError, OSError)
    ):
        return str(exc) or type(exc).__name__, EXIT_FAILED
    return None


def guard(fn: Callable[[], T]) -> T:
    """Run a command's body and turn every expected failure into one line and a code."""
    try:
        return fn()
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        fail("interrupted; everything already saved is kept", EXIT_INTERRUPTED)
    except Exception as exc:
        known = describe(exc)
        if known is None:
            raise
        fail(*known)
