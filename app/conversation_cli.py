"""``ohm ask`` and ``ohm chat``: talk to the assembly line, one turn per message."""

from __future__ import annotations

import asyncio
import sys
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .errors import EXIT_USAGE, describe, fail, guard
from .options import DEFAULT_PROJECT, JsonOpt, ProjectOpt, WaitOpt, wait_arg

if TYPE_CHECKING:
    from graph.assembly_line import AssemblyLine
    from persistence.store import ArtifactStore

STDIN = "-"


def read_messages(messages: list[str]) -> list[str]:
    """The messages to send; ``-`` is the whole of standard input, as one message."""
    if not messages:
        fail('give a message: ohm ask "..." (or `-` to read it from standard input)', EXIT_USAGE)
    if messages.count(STDIN) > 1:
        fail("standard input (-) can be read only once", EXIT_USAGE)
    return [sys.stdin.read().strip() if m == STDIN else m for m in messages]


def pick_thread(store: ArtifactStore, thread: str | None, project: str) -> str:
    """The thread a turn runs in: the one ``thread`` names (its id or a unique prefix in
    this project), a new one with that id, or a new random one."""
    from .ids import thread_or_new

    return thread_or_new(store, thread, project) if thread else uuid.uuid4().hex[:12]


def ask(
    messages: Annotated[
        list[str],
        typer.Argument(
            metavar="MESSAGE...",
            help="One or more messages, one turn each; `-` reads one from standard input.",
            show_default=False,
        ),
    ],
    project: ProjectOpt = DEFAULT_PROJECT,
    thread: Annotated[
        str | None,
        typer.Option(
            "--thread",
            "-t",
            metavar="THREAD",
            help="Thread id or a unique prefix (a new thread if omitted or unknown).",
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent",
            "-a",
            metavar="AGENT",
            help="Force a specialist: bom, code, wiring, debug, chat, verify, datasheet, budget.",
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

        texts = read_messages(list(messages))
        if any(not m.strip() for m in texts):
            fail("a message is empty", EXIT_USAGE)
        if agent:
            resolve_agent(agent)
        files = _read_attachments(attach or [])
        store = open_store()
        require_project(store, project)
        thread_id = pick_thread(store, thread, project)
        if thread is None and not json_mode:
            _say_new_thread(store, project, thread_id)
        note_offline(json_mode)
        asyncio.run(
            _ask(texts, project, thread_id, agent, json_mode, not quiet, store, wait, files)
        )

    guard(run)


async def _ask(
    messages: list[str],
    project: str,
    thread_id: str,
    agent: str | None,
    json_mode: bool,
    verbose: bool,
    store: ArtifactStore,
    wait: float | None,
    files: list[Any] | None = None,
) -> None:
    from graph.assembly_line import TurnError

    from .driver import assembly_line, drive
    from .render import TurnPrinter, emit_result, out, safe

    async with assembly_line(store) as line:
        for n, msg in enumerate(messages):
            attached = files if n == 0 and files else None
            if not json_mode:
                out.print(f"[bold]you[/] [dim]({project}/{thread_id})[/]: {safe(msg)}")
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


def _say_new_thread(store: ArtifactStore, project: str, thread_id: str) -> None:
    """One line on stderr naming the thread a message without --thread starts, and
    whether it continues a design the project already has."""
    from .render import err, safe

    saved = len(store.list_latest(project))
    carries = (
        f"it sees the project's {saved} saved artifact(s)" if saved else "the project is empty"
    )
    err.print(
        safe(
            f"new thread {thread_id} in project {project}: {carries}; "
            f"continue it with --thread {thread_id}"
        )
    )


def chat(
    project: ProjectOpt = DEFAULT_PROJECT,
    thread: Annotated[
        str | None,
        typer.Option("--thread", "-t", metavar="THREAD", help="Thread id or a unique prefix."),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--agent", "-a", metavar="AGENT", help="Force a specialist."),
    ] = None,
    wait: WaitOpt = None,
) -> None:
    """Talk with the assembly line interactively (Ctrl-D, Ctrl-C or 'exit' to leave).

    Ctrl-C during a turn stops that turn (your message is kept; `ohm resume` finishes
    it); Ctrl-C at the prompt leaves.
    """

    def run() -> None:
        from nodes.agents import resolve_agent

        from .driver import note_offline, open_store, require_project

        if agent:
            resolve_agent(agent)
        store = open_store()
        require_project(store, project)
        thread_id = pick_thread(store, thread, project)
        note_offline(False)
        _chat(project, thread_id, agent, store, wait)

    guard(run)


def _chat(
    project: str, thread_id: str, agent: str | None, store: ArtifactStore, wait: float | None
) -> None:
    """The prompt is read on the main thread, outside the event loop, so Ctrl-C there
    ends the session at once; each turn runs on one event loop kept for the session."""
    from .driver import assembly_line
    from .render import err, out, safe

    out.print(
        f"[dim]project {safe(project)}, thread {safe(thread_id)}. Type 'exit' to leave, "
        "'/attach PATH' to add a photo or PDF to your next message.[/]"
    )
    staged: list[Any] = []
    with asyncio.Runner() as loop:
        stack = AsyncExitStack()
        line = loop.run(stack.enter_async_context(assembly_line(store)))
        try:
            while True:
                try:
                    msg = input("you> ")
                except EOFError:
                    out.print()
                    return
                except KeyboardInterrupt:
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
                    loop.run(_chat_turn(line, msg, project, thread_id, agent, wait, attached))
                except KeyboardInterrupt:
                    out.print()
                    err.print(
                        "[yellow]stopped:[/] the turn was stopped and your message is kept; "
                        f"`ohm resume --thread {safe(thread_id)}` finishes it. "
                        "Ctrl-C again to leave."
                    )
                out.print()
        finally:
            loop.run(stack.aclose())


async def _chat_turn(
    line: AssemblyLine,
    msg: str,
    project: str,
    thread_id: str,
    agent: str | None,
    wait: float | None,
    attached: list[Any] | None = None,
) -> None:
    from graph.assembly_line import TurnError
    from persistence.leases import ThreadBusy

    from .driver import drive
    from .render import TurnPrinter, err, safe

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
        err.print(f"[bold red]error:[/] {safe(known[0] if known else str(exc))}")


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

    from .render import out, safe

    for f in files or []:
        out.print(f"  [dim]attached {safe(describe_ref(f.ref()))}[/]")


def _stage(path: str, staged: list[Any]) -> None:
    """``/attach PATH`` in ``ohm chat``: check the file now, send it with the next message."""
    from tools.attachments import MAX_ATTACHMENTS, AttachmentError, describe_ref, read_attachment

    from .render import err, out, safe

    if not path:
        err.print("[bold red]error:[/] /attach needs a file path")
        return
    if len(staged) >= MAX_ATTACHMENTS:
        err.print(f"[bold red]error:[/] at most {MAX_ATTACHMENTS} attachments per message")
        return
    try:
        f = read_attachment(path.strip("'\""))
    except AttachmentError as exc:
        err.print(f"[bold red]error:[/] {safe(str(exc))}")
        return
    staged.append(f)
    out.print(f"[dim]attached {safe(describe_ref(f.ref()))}; it goes with your next message[/]")
