"""``ohm history``, ``ohm replay`` and ``ohm resume``: travel through a thread's checkpoints."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .errors import guard
from .options import JsonOpt, ThreadOpt, WaitOpt, wait_arg

if TYPE_CHECKING:
    from graph.events import TurnResult


def history(
    thread: ThreadOpt,
    checkpoint: Annotated[
        str | None,
        typer.Option(
            "--checkpoint",
            "-c",
            help="List the project's artifacts as they were at this checkpoint instead.",
        ),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Show a thread's checkpoints: step, node, intent, agent and artifacts written.

    With --checkpoint, show the artifacts as they were when that checkpoint was saved: the
    versions on its own branch up to it, plus other threads' versions written before it.
    """

    def run() -> None:
        from .render import Table, escape, jprint, out

        if checkpoint:
            _show_artifacts_at(thread, checkpoint, json_mode)
            return
        rows = asyncio.run(_history(thread))
        if json_mode:
            jprint([r.as_dict() for r in rows])
            return
        table = Table("step", "checkpoint", "node", "intent", "agent", "wrote", "message")
        for r in rows:
            wrote = ", ".join(
                f"{a['type']}{' ' + a['path'] if a.get('path') else ''} v{a['version']}"
                for a in r.artifacts
            )
            table.add_row(
                str(r.step),
                r.checkpoint_id,
                r.node,
                (r.intent or "")
                + (f" (local {r.route_confidence:.2f})" if r.route == "local" else ""),
                r.agent or "",
                escape(wrote),
                escape(r.message[:60]),
            )
        out.print(table)

    guard(run)


async def _history(thread: str) -> list[Any]:
    from .driver import assembly_line

    async with assembly_line() as line:
        return await line.ahistory(thread)


def _show_artifacts_at(thread: str, checkpoint: str, json_mode: bool) -> None:
    from .driver import assembly_line
    from .render import Table, escape, jprint, out

    async def go() -> list[Any]:
        async with assembly_line() as line:
            return await line.aartifacts_at(thread, checkpoint)

    rows = asyncio.run(go())
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
    thread: ThreadOpt,
    checkpoint: Annotated[str, typer.Option("--checkpoint", "-c", help="Checkpoint id.")],
    intent: Annotated[
        str | None,
        typer.Option(
            "--intent", "-i", help="Fork as if the classifier had said BOM/CODE/WIRING/DEBUG/CHAT."
        ),
    ] = None,
    json_mode: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Run a thread again from a checkpoint, or fork it to another specialist."""

    def run() -> None:
        from nodes.agents import resolve_intent

        from .driver import assembly_line, drive, note_offline
        from .render import TurnPrinter, emit_result

        if intent:
            resolve_intent(intent)
        note_offline(json_mode)

        async def go() -> TurnResult:
            async with assembly_line() as line:
                return await drive(
                    line.areplay_stream(thread, checkpoint, intent=intent, **wait_arg(wait)),
                    json_mode,
                    TurnPrinter(),
                )

        emit_result(asyncio.run(go()), json_mode)

    guard(run)


def resume(thread: ThreadOpt, json_mode: JsonOpt = False, wait: WaitOpt = None) -> None:
    """Finish a turn that stopped part way (for example when no key was available)."""

    def run() -> None:
        from .driver import assembly_line, drive, note_offline
        from .render import emit_result, escape, out

        note_offline(json_mode)

        async def go() -> TurnResult:
            async with assembly_line() as line:
                return await drive(line.aresume_stream(thread, **wait_arg(wait)), True, None)

        result = asyncio.run(go())
        if json_mode:
            emit_result(result, True)
        else:
            out.print(f"[bold cyan]{result.agent}[/]: {escape(result.reply)}")

    guard(run)
