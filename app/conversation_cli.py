"""``ohm ask`` and ``ohm chat``: talk to the assembly line, one turn per message."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
        typer.Option(
            "--agent",
            "-a",
            help="Force a specialist: bom, code, wiring, debug, chat, verify, datasheet.",
        ),
    ] = None,
    json_mode: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide tool calls.")] = False,
    wait: WaitOpt = None,
    attach: Annotated[
        list[Path] | None,
        typer.Option(
            "--attach",
            metavar="FILE",
            help="A photo (JPEG, PNG, WebP) or PDF for the first message; repeat for more.",
        ),
    ] = None,
) -> None:
    """Send messages to the assembly line, one turn each, in one thread."""

    def run() -> None:
        from nodes.agents import resolve_agent

        from .driver import note_offline, open_store, require_project

        if any(not m.strip() for m in messages):
            fail("a message is empty", EXIT_USAGE)
        if agent:
            resolve_agent(agent)
        files = _read_attachments(attach or [])
        store = open_store()
        require_project(store, project)
        note_offline(json_mode)
        asyncio.run(
            _ask(messages, project, thread, agent, json_mode, not quiet, store, wait, files)
        )

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
    files: list[Any] | None = None,
) -> None:
    from graph.assembly_line import TurnError

    from .driver import assembly_line, drive
    from .render import TurnPrinter, emit_result, escape, out

    thread_id = thread or uuid.uuid4().hex[:12]
    async with assembly_line(store) as line:
        for n, msg in enumerate(messages):
            attached = files if n == 0 and files else None
            if not json_mode:
                out.print(f"[bold]you[/] [dim]({project}/{thread_id})[/]: {escape(msg)}")
                _print_attached(attached)
            try:
                result = await drive(
                    line.astream(
                        msg,
                        project=project,
                        thread=thread_id,
                        agent=agent,
                        attachments=attached,
                        **wait_arg(wait),
                    ),
                    json_mode,
                    TurnPrinter(verbose),
                )
            except TurnError as exc:
                raise TurnError(exc.event, thread_id) from exc.__cause__
            emit_result(result, json_mode)
            if not json_mode:
                out.print()


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
    out.print(
        f"[dim]project {project}, thread {thread_id}. Type 'exit' to leave, "
        "'/attach PATH' to add a photo or PDF to your next message.[/]"
    )
    staged: list[Any] = []
    async with assembly_line(store) as line:
        while True:
            try:
                msg = await asyncio.to_thread(input, "you> ")
            except EOFError:
                out.print()
                return
            if msg.strip().lower() in ("exit", "quit"):
                return
            if msg.strip().startswith("/attach"):
                _stage(msg.strip()[len("/attach") :].strip(), staged)
                continue
            if not msg.strip():
                continue
            attached, staged = staged, []
            try:
                await drive(
                    line.astream(
                        msg,
                        project=project,
                        thread=thread_id,
                        agent=agent,
                        attachments=attached or None,
                        **wait_arg(wait),
                    ),
                    False,
                    TurnPrinter(True),
                )
            except (TurnError, ThreadBusy) as exc:
                # A failed or refused turn ends that turn only; the session goes on.
                known = describe(exc)
                err.print(f"[bold red]error:[/] {escape(known[0] if known else str(exc))}")
            out.print()


def _read_attachments(paths: list[Path]) -> list[Any]:
    """Check every attached file before anything runs: a bad one is one line, exit 2."""
    if not paths:
        return []
    from tools.attachments import AttachmentError, prepare_all

    try:
        return prepare_all(list(paths))
    except AttachmentError as exc:
        fail(str(exc), EXIT_USAGE)


def _print_attached(files: list[Any] | None) -> None:
    from tools.attachments import describe_ref

    from .render import escape, out

    for f in files or []:
        out.print(f"  [dim]attached {escape(describe_ref(f.ref()))}[/]")


def _stage(path: str, staged: list[Any]) -> None:
    """``/attach PATH`` in ``ohm chat``: check the file now, send it with the next message."""
    from tools.attachments import MAX_ATTACHMENTS, AttachmentError, describe_ref, read_attachment

    from .render import err, escape, out

    if not path:
        err.print("[bold red]error:[/] /attach needs a file path")
        return
    if len(staged) >= MAX_ATTACHMENTS:
        err.print(f"[bold red]error:[/] at most {MAX_ATTACHMENTS} attachments per message")
        return
    try:
        f = read_attachment(path.strip("'\""))
    except AttachmentError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        return
    staged.append(f)
    out.print(f"[dim]attached {escape(describe_ref(f.ref()))}; it goes with your next message[/]")
