"""``ohm route``: which intent each message gets and who decides it, without running a turn.

Messages the local router decides cost no model call. The others (follow-ups, messages
the router is unsure about, or every message under ``OHM_ROUTER=model|off``) are asked of
the orchestrator model, as the graph would, unless ``--local-only`` is given.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _read_messages(messages: list[str] | None) -> list[str]:
    if messages:
        if any(not m.strip() for m in messages):
            _fail("a message is empty")
        return [m.strip() for m in messages]
    if sys.stdin is None or sys.stdin.isatty():
        _fail("give messages as arguments, or one per line on standard input")
    lines = [line.strip() for line in sys.stdin.read().splitlines()]
    found = [line for line in lines if line]
    if not found:
        _fail("no messages on standard input")
    return found


def route_command(
    messages: Annotated[
        list[str] | None,
        typer.Argument(help="Messages to route; without any, one per line from standard input."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Lowest confidence (0-1) at which the router decides alone; default: "
            "OHM_ROUTER_THRESHOLD, else the threshold recorded with the model.",
        ),
    ] = None,
    local_only: Annotated[
        bool,
        typer.Option(
            "--local-only",
            help="Never call the model: messages left to it are printed without an intent.",
        ),
    ] = False,
    json_mode: Annotated[
        bool, typer.Option("--json", help="One JSON object per message, for programs.")
    ] = False,
) -> None:
    """Show which intent each message gets, and whether the local router or the model decides.

    Prints the intent, who decided it (local or model) and the router's confidence. No turn
    is run and nothing is saved; OHM_ROUTER applies as in a turn.
    """
    from graph.failures import describe

    texts = _read_messages(messages)
    try:
        rows = _route(texts, threshold, local_only)
    except Exception as exc:  # expected failures are worded once, in graph.failures
        known = describe(exc)
        if known is None:
            raise
        _fail(known.message, known.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    if json_mode:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    table = Table("message", "intent", "by", "confidence", "why")
    for row in rows:
        conf = row["confidence"]
        table.add_row(
            escape(_clip(row["message"], 60)),
            row["intent"] or "-",
            row["decided_by"],
            "-" if conf is None else f"{conf:.2f}",
            escape(row["reason"]),
        )
    out.print(table)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _route(texts: list[str], threshold: float | None, local_only: bool) -> list[dict[str, Any]]:
    from nodes.router import decide, router_settings

    settings = router_settings(threshold=threshold)
    decisions = [decide(t, settings) for t in texts]
    rows: list[dict[str, Any]] = []
    for text, d in zip(texts, decisions, strict=True):
        rows.append(
            {
                "message": text,
                "intent": d.intent,
                "decided_by": d.decided_by,
                "confidence": None if d.confidence is None else round(d.confidence, 4),
                "router_intent": d.guess.intent if d.guess else None,
                "route": "local" if d.decided_by == "local" else None,
                "reason": d.reason,
            }
        )
    pending = [r for r in rows if r["decided_by"] == "model"]
    if pending and not local_only:
        _note_offline()
        answers = asyncio.run(_ask_model([r["message"] for r in pending]))
        for row, update in zip(pending, answers, strict=True):
            row["intent"] = update["intent"]
            row["route"] = update["route"]
            row["reason"] = f"{row['reason']}; model: {update.get('route_reason') or ''}"
    return rows


async def _ask_model(texts: list[str]) -> list[dict[str, Any]]:
    """The orchestrator's decision for each message, seen on its own (no previous turn)."""
    from langchain_core.messages import HumanMessage

    from nodes.classifier import classify_intent
    from nodes.deps import default_models

    return [await classify_intent(default_models, [HumanMessage(t)], None) for t in texts]


def _note_offline() -> None:
    from providers.factory import get_factory

    if get_factory().offline:
        err.print(
            "[yellow]offline:[/] no Bytez key set (or OHM_OFFLINE=1); the messages left to the "
            "model are classified by Ohm's built-in simulator, not a language model."
        )
