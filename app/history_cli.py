"""``ohm history``, ``ohm replay`` and ``ohm resume``: travel through a thread's checkpoints."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box

from .errors import guard
from .options import JsonOpt, ThreadOpt, WaitOpt, wait_arg

if TYPE_CHECKING:
    from graph.assembly_line import CheckpointInfo
    from graph.events import TurnResult

    from .ids import CheckpointRef


CheckpointRefOpt = Annotated[
    str | None,
    typer.Option(
        "--checkpoint",
        "-c",
        metavar="ID",
        help="A checkpoint: its id or any unique prefix (at least 6 characters) as "
        "`ohm history` prints it, a step number, or THREAD@STEP.",
    ),
]
StepOpt = Annotated[
    int | None,
    typer.Option("--step", "-s", metavar="N", help="The checkpoint at this step of the thread."),
]
OptionalThreadOpt = Annotated[
    str | None,
    typer.Option(
        "--thread",
        "-t",
        metavar="THREAD",
        help="Thread id or a unique prefix (not needed with --checkpoint THREAD@STEP).",
    ),
]


def history(
    thread: OptionalThreadOpt = None,
    checkpoint: Annotated[
        str | None,
        typer.Option(
            "--checkpoint",
            "-c",
            metavar="ID",
            help="List the project's artifacts as they were at this checkpoint instead "
            "(an id prefix, a step number or THREAD@STEP).",
        ),
    ] = None,
    step: StepOpt = None,
    json_mode: JsonOpt = False,
) -> None:
    """Show a thread's checkpoints: step, node, intent, agent and artifacts written.

    With --checkpoint, show the artifacts as they were when that checkpoint was saved: the
    versions on its own branch up to it, plus other threads' versions written before it.
    """

    def run() -> None:
        from .ids import parse_checkpoint_ref
        from .render import jprint

        if checkpoint is not None or step is not None:
            _show_artifacts_at(thread, parse_checkpoint_ref(checkpoint, step), json_mode)
            return
        if not thread:
            from .errors import EXIT_USAGE, fail

            fail("name the thread: --thread T (see `ohm threads`)", EXIT_USAGE)
        thread_id, rows = asyncio.run(_history(thread))
        if json_mode:
            jprint([r.as_dict() for r in rows])
            return
        print_history(thread_id, rows)

    guard(run)


HISTORY_HEADERS = ("step", "checkpoint", "node", "wrote", "message")


def print_history(thread_id: str, rows: list[CheckpointInfo]) -> None:
    """The checkpoints as a table that fits 80 columns: ids as their shortest unique
    prefixes (paste one into ``--checkpoint``), whole; only the message is shortened."""
    from .ids import short_ids
    from .render import Table, out, safe

    ids = short_ids(r.checkpoint_id for r in rows)
    n = max((len(v) for v in ids.values()), default=8)
    short = {full: full[:n] for full in ids}  # one length reads better in a column
    cells = []
    for r in rows:
        wrote = ", ".join(
            f"{a['type']}{' ' + a['path'] if a.get('path') else ''} v{a['version']}"
            for a in r.artifacts
        )
        node = r.node
        if r.intent and node.split(":")[-1] in ("classify", "entry"):
            node += f" → {r.intent}"
            if r.route == "local" and r.route_confidence is not None:
                node += f" (local {r.route_confidence:.2f})"
        cells.append((str(r.step), short[r.checkpoint_id], node, wrote, r.message))
    table = Table(
        title=f"thread {thread_id}",
        title_justify="left",
        title_style="dim",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    widths = [max([len(c[i]) for c in cells] + [len(h)]) for i, h in enumerate(HISTORY_HEADERS)]
    table.add_column("step", justify="right", no_wrap=True)
    table.add_column("checkpoint", no_wrap=True)
    table.add_column("node", max_width=26)
    table.add_column("wrote", max_width=20)
    # Only the message may be shortened: it gets what is left of the width.
    used = widths[0] + widths[1] + min(widths[2], 26) + min(widths[3], 20) + 8
    table.add_column(
        "message", overflow="ellipsis", no_wrap=True, max_width=max(12, out.width - used)
    )
    for step, cp, node, wrote, message in cells:
        table.add_row(step, cp, safe(node), safe(wrote), safe(message))
    out.print(table)
    out.print(f"[dim]Replay one with: ohm replay --thread {safe(thread_id)} --checkpoint ID[/]")


async def _history(thread: str) -> tuple[str, list[CheckpointInfo]]:
    from .driver import assembly_line
    from .ids import thread_or_new

    async with assembly_line() as line:
        thread_id = thread_or_new(line.store, thread)
        return thread_id, await line.ahistory(thread_id)


def _show_artifacts_at(thread: str | None, ref: CheckpointRef, json_mode: bool) -> None:
    from .driver import assembly_line
    from .ids import resolve_checkpoint
    from .render import Table, escape, jprint, out

    async def go() -> tuple[str, list[Any]]:
        async with assembly_line() as line:
            thread_id, found = await resolve_checkpoint(line, thread, ref)
            return found.checkpoint_id, await line.aartifacts_at(thread_id, found.checkpoint_id)

    checkpoint, rows = asyncio.run(go())
    if json_mode:
        jprint(
            [
                {
                    **v.summary(),
                    "thread_id": v.thread_id,
                    "checkpoint_id": v.checkpoint_id,
                    "created_at": v.created_at.isoformat(),
                    "content": json.loads(v.content)
                    if v.type in ("bom", "wiring") and v.content
                    else v.content,
                }
                for v in rows
            ]
        )
        return
    if not rows:
        out.print(f"No artifacts existed at checkpoint {escape(checkpoint)}.")
        return
    out.print(f"[dim]artifacts at checkpoint {escape(checkpoint)}[/]")
    table = Table("type", "path", "version", "by", "thread", "saved")
    for v in rows:
        table.add_row(
            v.type,
            escape(v.path),
            str(v.version),
            v.agent or "user",
            v.thread_id or "",
            v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    out.print(table)


def replay(
    thread: OptionalThreadOpt = None,
    checkpoint: CheckpointRefOpt = None,
    step: StepOpt = None,
    intent: Annotated[
        str | None,
        typer.Option(
            "--intent",
            "-i",
            metavar="INTENT",
            help="Fork as if the classifier had said BOM/CODE/WIRING/DEBUG/CHAT.",
        ),
    ] = None,
    json_mode: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Run a thread again from a checkpoint, or fork it to another specialist."""

    def run() -> None:
        from nodes.agents import resolve_intent

        from .driver import assembly_line, drive, note_offline
        from .ids import parse_checkpoint_ref, resolve_checkpoint
        from .render import TurnPrinter, emit_result

        if intent:
            resolve_intent(intent)
        ref = parse_checkpoint_ref(checkpoint, step)

        async def go() -> TurnResult:
            async with assembly_line() as line:
                thread_id, found = await resolve_checkpoint(line, thread, ref)
                note_offline(json_mode)
                return await drive(
                    line.areplay_stream(
                        thread_id, found.checkpoint_id, intent=intent, **wait_arg(wait)
                    ),
                    json_mode,
                    TurnPrinter(),
                )

        emit_result(asyncio.run(go()), json_mode)

    guard(run)


def resume(thread: ThreadOpt, json_mode: JsonOpt = False, wait: WaitOpt = None) -> None:
    """Finish a turn that stopped part way (for example when no key was available)."""

    def run() -> None:
        from .driver import assembly_line, drive, note_offline
        from .ids import thread_or_new
        from .render import emit_result, err, jprint, out, safe

        async def go() -> tuple[str, TurnResult | None]:
            async with assembly_line() as line:
                thread_id = thread_or_new(line.store, thread)
                if not await line.aunfinished(thread_id):
                    return thread_id, None
                note_offline(json_mode)
                return thread_id, await drive(
                    line.aresume_stream(thread_id, **wait_arg(wait)), True, None
                )

        thread_id, result = asyncio.run(go())
        if result is None:
            notice = f"thread {thread_id} has no unfinished turn: nothing to resume"
            if json_mode:
                jprint({"thread_id": thread_id, "resumed": False, "notice": notice})
            else:
                err.print(f"[yellow]notice:[/] {safe(notice)}")
        elif json_mode:
            emit_result(result, True)
        else:
            out.print(f"[bold cyan]{result.agent}[/]: {safe(result.reply)}")

    guard(run)
