"""Options that several ``ohm`` commands share, spelled once."""

from __future__ import annotations

from typing import Annotated, Any

import typer

# The same as persistence.store.DEFAULT_PROJECT (a test checks), without loading the store.
DEFAULT_PROJECT = "default"

ProjectOpt = Annotated[str, typer.Option("--project", "-p", help="Project id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
ThreadOpt = Annotated[str, typer.Option("--thread", "-t", help="Thread id.")]
WaitOpt = Annotated[
    float | None,
    typer.Option(
        "--wait",
        min=0,
        metavar="SECONDS",
        help="Wait up to this long for a thread that is busy with another turn.",
    ),
]


def wait_arg(wait: float | None) -> dict[str, Any]:
    """``wait=`` for the AssemblyLine call, only when the option was given."""
    return {"wait": wait} if wait is not None else {}
