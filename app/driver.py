"""Running turns for the CLI: the store, the offline note and a turn's event stream.

The graph, the store and the model layer are imported here only when a command runs, so
``ohm --help`` and argument errors never load them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from . import startup
from .errors import fail
from .render import TurnPrinter, offline_note

if TYPE_CHECKING:
    from graph.assembly_line import AssemblyLine
    from graph.events import OhmEvent, TurnResult
    from persistence.store import ArtifactStore

_offline_noted = False


def open_store() -> ArtifactStore:
    from persistence.store import ArtifactStore

    return ArtifactStore.open()


def note_offline(json_mode: bool) -> None:
    """Say once per process when the simulator, not a language model, will answer."""
    global _offline_noted
    from providers.factory import get_factory

    if get_factory().offline and not _offline_noted:
        _offline_noted = True
        offline_note()


def require_project(store: ArtifactStore, project: str) -> None:
    from persistence.store import DEFAULT_PROJECT, validate_project_id

    validate_project_id(project)
    if project == DEFAULT_PROJECT:
        store.ensure_project(project)
        return
    if not store.has_project(project):
        fail(f"unknown project {project!r}; create it with `ohm projects create {project}`")


@asynccontextmanager
async def assembly_line(store: ArtifactStore | None = None) -> AsyncIterator[AssemblyLine]:
    """An open AssemblyLine; start-up is over once it is (see :mod:`app.startup`)."""
    from graph.assembly_line import AssemblyLine

    async with AssemblyLine(store=store) as line:
        startup.settle()
        yield line


async def drive(
    stream: AsyncIterator[OhmEvent], json_mode: bool, printer: TurnPrinter | None
) -> TurnResult:
    """Show a turn's events and return its result; an error event raises TurnError."""
    from graph.assembly_line import TurnError
    from graph.events import ErrorEvent

    result: TurnResult | None = None
    async for ev in stream:
        if printer is not None and not json_mode:
            printer(ev)
        if ev.type == "error":
            raise TurnError(ev, "")
        if ev.type == "done":
            result = ev.result
    if result is None:
        raise TurnError(ErrorEvent(kind="internal", message="the turn ended early"), "")
    return result
