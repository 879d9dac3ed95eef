"""``ohm demo``: a whole offline session, from the idea to a debugging question."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import TYPE_CHECKING

from .errors import guard
from .options import JsonOpt, ProjectOpt

if TYPE_CHECKING:
    from graph.events import TurnResult

DEMO_SCRIPT = (
    "I want to build a soil-moisture monitor on an ESP32 that waters my plants when the "
    "soil gets dry.",
    "What parts do I need?",
    "How do I wire it all up?",
    "Great, now write the firmware.",
    "The OLED stays blank and the moisture reading is always 0. What's wrong?",
)


def demo(
    project: ProjectOpt = "demo",
    json_mode: JsonOpt = False,
) -> None:
    """Run an offline multi-turn session (idea, parts, wiring, code, a debugging question)."""

    def run() -> None:
        from graph.assembly_line import TurnError

        from .driver import assembly_line, drive, note_offline, open_store
        from .render import Table, TurnPrinter, emit_result, escape, out

        os.environ.setdefault("OHM_OFFLINE", "1")
        store = open_store()
        store.ensure_project(project, "Demo: plant watering monitor")
        note_offline(json_mode)
        thread_id = "demo-" + uuid.uuid4().hex[:8]

        async def go() -> list[TurnResult]:
            results = []
            async with assembly_line(store) as line:
                for msg in DEMO_SCRIPT:
                    if not json_mode:
                        out.rule(f"[bold]you[/]: {escape(msg)}", align="left")
                    try:
                        r = await drive(
                            line.astream(msg, project=project, thread=thread_id),
                            json_mode,
                            TurnPrinter(verbose=False),
                        )
                    except TurnError as exc:
                        raise TurnError(exc.event, thread_id) from None
                    emit_result(r, json_mode)
                    results.append(r)
            return results

        results = asyncio.run(go())
        if json_mode:
            return
        out.rule("[bold]what each agent did[/]", align="left")
        table = Table("turn", "agent", "route", "artifacts written")
        for n, r in enumerate(results, 1):
            arts = ", ".join(
                f"{a.type}{' ' + a.path if a.path else ''} v{a.version}" for a in r.artifacts
            )
            table.add_row(str(n), r.agent or "", r.route or "", arts or "-")
        out.print(table)
        where = escape(store.url)
        out.print(f"Artifacts are in {where} (project [bold]{project}[/], thread {thread_id}).")
        out.print(f"Look at them with: ohm artifacts list --project {project}")
        out.print(
            f"Export them (diagram, BOM CSV, PlatformIO folder) with: "
            f"ohm artifacts export --project {project} --out {project}-export"
        )
        out.print(f"Replay a step with: ohm history --thread {thread_id}")

    guard(run)
