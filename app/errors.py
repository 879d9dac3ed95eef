"""How ``ohm`` reports failures: one ``error:`` line on stderr and an exit code.

Exit codes: 1 for a failure a person can act on, 2 for bad input, 3 when the thread is
busy with another turn, 130 when interrupted. Which exceptions are expected, and their
messages, are listed once for the CLI, the dashboard and the embedding API in
:mod:`graph.failures`; anything not listed there is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer

from graph import failures
from graph.failures import EXIT_BUSY, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE

__all__ = [
    "EXIT_BUSY",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "describe",
    "fail",
    "guard",
]

T = TypeVar("T")


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    from .render import err, safe

    err.print(f"[bold red]error:[/] {safe(message)}")
    raise typer.Exit(code)


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The line and exit code for an expected failure, or None for a bug."""
    found = failures.describe(exc)
    return None if found is None else (found.message, found.exit_code)


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
