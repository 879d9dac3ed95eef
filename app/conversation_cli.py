"""``ohm ask`` and ``ohm chat``: talk to the assembly line, one turn per message."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from .errors import EXIT_USAGE, describe, fail, guard
from .options import DEFAULT_PROJECT, JsonOpt, ProjectOpt, WaitOpt, wait_arg

if TYPE_CHECKING:
    from persistence.store import ArtifactStore


def ask(
    messages: Annotated[list[str], typer.Argument(help="One or more messages, one turn each.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    thread: Annotated[
        str | None, typer.Option("--thread", "-t", help="Thread id (new if omitted).")
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--agent", "-a", help="Force a specialist: bom, code, wiring, debug, chat."),
    ] = None,
    json_mode: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide tool calls.")] = False,
    wait: WaitOpt = None,
) -> None:
    """Send messages to the assembly line, one turn each, in one thread."""

    def run() -> None:
        from nodes.agents import resolve_agent

        from .driver import note_offline, open_store, require_project

        if any(not m.strip() for m in messages):
            fail("a message is empty", EXIT_USAGE)
        if agent:
            resolve_agent(agent)
        store = open_store()
        require_project(store, project)
        note_offline(json_mode)
        asyncio.run(_ask(messages, project, thread, agent, json_mode, not quiet, store, wait))

    guard(run)


async def _ask(
    messages: list[str],
    project: str,
    thread: str | None,
    agent: str | None,
    json_mode: bool,
    verbose: bool,
    store: ArtifactStore,
    wait: float | None,
) -> None:
    from graph.assembly_line import TurnError

    from .driver import assembly_line, drive
    from .render import TurnPrinter, emit_result, escape, out

    thread_id = thread or uuid.uuid4().hex[:12]
    if thread is None and not json_mode:
        _say_new_thread(store, project, thread_id)
    async with assembly_line(store) as line:
        for msg in messages:
            if not json_mode:
                out.print(f"[bold]you[/] [dim]({project}/{thread_id})[/]: {escape(msg)}")
            try:
                result = await drive(
                    line.astream(
                        msg, project=project, thread=thread_id, agent=agent, **wait_arg(wait)
                    ),
                    json_mode,
                    TurnPrinter(verbose),
                )
            except TurnError as exc:
                raise TurnError(exc.event, thread_id) from exc.__cause__
            emit_result(result, json_mode)
            if not json_mode:
                out.print()


def _say_new_thread(store: ArtifactStore, project: str, thread_id: str) -> None:
    """One line on stderr naming the thread a message without --thread starts, and
    whether it continues a design the project already has."""
    from .render import err, escape

    saved = len(store.list_latest(project))
    carries = (
        f"it sees the project's {saved} saved artifact(s)" if saved else "the project is empty"
    )
    err.print(
        escape(
            f"new thread {thread_id} in project {project}: {carries}; "
            f"continue it with --thread {thread_id}"
        )
    )


def chat(
    project: ProjectOpt = DEFAULT_PROJECT,
    thread: Annotated[str | None, typer.Option("--thread", "-t", help="Thread id.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", "-a", help="Force a specialist.")] = None,
    wait: WaitOpt = None,
) -> None:
    """Talk with the assembly line interactively (Ctrl-D or 'exit' to leave)."""

    def run() -> None:
        from nodes.agents import resolve_agent

        from .driver import note_offline, open_store, require_project

        if agent:
            resolve_agent(agent)
        store = open_store()
        require_project(store, project)
        note_offline(False)
        asyncio.run(_chat(project, thread, agent, store, wait))

    guard(run)


async def _chat(
    project: str, thread: str | None, agent: str | None, store: ArtifactStore, wait: float | None
) -> None:
    from graph.assembly_line import TurnError
    from persistence.leases import ThreadBusy

    from .driver import assembly_line, drive
    from .render import TurnPrinter, err, escape, out

    thread_id = thread or uuid.uuid4().hex[:12]
    out.print(f"[dim]project {project}, thread {thread_id}. Type 'exit' to leave.[/]")
    async with assembly_line(store) as line:
        while True:
            try:
                msg = await asyncio.to_thread(input, "you> ")
            except EOFError:
                out.print()
                return
            if msg.strip().lower() in ("exit", "quit"):
                return
            if not msg.strip():
                continue
            try:
                await drive(
                    line.astream(
                        msg, project=project, thread=thread_id, agent=agent, **wait_arg(wait)
                    ),
                    False,
                    TurnPrinter(True),
                )
            except (TurnError, ThreadBusy) as exc:
                # A failed or refused turn ends that turn only; the session goes on.
                known = describe(exc)
                err.print(f"[bold red]error:[/] {escape(known[0] if known else str(exc))}")
            out.print()
