"""Checkpoint bytes per turn over a 40-turn thread: Ohm against a bare LangGraph graph.

    .venv/bin/python bench/checkpoint_growth_bench.py [--turns 40]

Ohm runs a 40-turn conversation through the offline simulator (a kickoff, then parts,
wiring, firmware, a debugging question and a chat message, in a cycle), routed by the
classifier as usual. The baseline is a bare LangGraph graph built here (classify node →
conditional edge → one specialist node looping one message per step, a plain
``add_messages`` channel, ``AsyncSqliteSaver``) that is fed exactly the messages Ohm's
turns produced, one per step as Ohm's model and tool steps add them, so both store the
same conversation and only the layout differs. After every turn the script adds up the
bytes the saver holds (checkpoint blobs, metadata and writes); at the end it folds the
write-ahead log in and reports the file size on disk. Writes a section of
docs/benchmarks.md and bench/results/checkpoint_growth.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import machine, write_json, write_section

COMMAND = ".venv/bin/python bench/checkpoint_growth_bench.py"
KICKOFF = (
    "I want to build a soil-moisture monitor on an ESP32 that waters my plants when the "
    "soil gets dry."
)
CYCLE = (
    "What parts do I need?",
    "How do I wire it all up?",
    "Great, now write the firmware.",
    "The OLED stays blank and the moisture reading is always 0. What's wrong?",
    "Thanks! Anything else I should think about before I build it?",
)


class BareState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    intent: str
    step: int


def stored_bytes(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        cp = con.execute(
            "SELECT coalesce(sum(length(checkpoint) + length(metadata)), 0) FROM checkpoints"
        ).fetchone()[0]
        wr = con.execute("SELECT coalesce(sum(length(value)), 0) FROM writes").fetchone()[0]
        return int(cp) + int(wr)
    finally:
        con.close()


def file_bytes(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def messages_for(turns: int) -> list[str]:
    return [KICKOFF] + [CYCLE[i % len(CYCLE)] for i in range(turns - 1)]


async def run_ohm(data_dir: Path, turns: int) -> tuple[list[int], list[list[Any]]]:
    from langchain_core.messages import HumanMessage

    from graph.assembly_line import AssemblyLine

    sizes: list[int] = []
    async with AssemblyLine(data_dir=data_dir) as line:
        for i, text in enumerate(messages_for(turns)):
            await line.achat(text, project="growth", thread="long")
            sizes.append(stored_bytes(data_dir / "checkpoints.db"))
            print(f"  ohm turn {i + 1}/{turns}: {sizes[-1] / 1024:.0f} KiB", flush=True)
        state = await line.graph.aget_state({"configurable": {"thread_id": "long"}})
        line.store.close()
    per_turn: list[list[Any]] = []
    for m in state.values["messages"]:
        if isinstance(m, HumanMessage):
            per_turn.append([])
        per_turn[-1].append(m)
    return sizes, per_turn


async def run_bare(db: Path, per_turn: list[list[Any]]) -> list[int]:
    """The same messages through a bare graph whose ``messages`` is a plain reducer."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    from langgraph.graph import END, START, StateGraph

    script: list[list[Any]] = []

    def classify(state: BareState) -> dict[str, Any]:
        return {"intent": "CHAT", "step": 1}

    def specialist(state: BareState) -> dict[str, Any]:
        step = state.get("step", 1)
        return {"messages": [script[-1][step]], "step": step + 1}

    def more(state: BareState) -> str:
        return "specialist" if state.get("step", 1) < len(script[-1]) else END

    builder = StateGraph(BareState)
    builder.add_node("classify", classify)
    builder.add_node("specialist", specialist)
    builder.add_edge(START, "classify")
    builder.add_conditional_edges("classify", more, ["specialist", END])
    builder.add_conditional_edges("specialist", more, ["specialist", END])
    sizes: list[int] = []
    async with AsyncSqliteSaver.from_conn_string(str(db)) as saver:
        graph = builder.compile(checkpointer=saver)
        config: Any = {"configurable": {"thread_id": "long"}, "recursion_limit": 200}
        for turn in per_turn:
            script.append(turn)
            await graph.ainvoke({"messages": [turn[0]]}, config)
            sizes.append(stored_bytes(db))
    return sizes


def deltas(sizes: list[int]) -> list[int]:
    return [b - a for a, b in zip([0, *sizes[:-1]], sizes, strict=True)]


def window(per: list[int], first: int, last: int) -> float:
    """Mean bytes per turn over turns ``first``..``last`` (1-based, inclusive)."""
    chunk = per[first - 1 : last]
    return sum(chunk) / len(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args()
    for var in list(os.environ):
        if var.startswith("BYTEZ_API_KEY") or var in ("OHM_DATABASE_URL", "OHM_CHECKPOINT_URL"):
            del os.environ[var]
    os.environ["OHM_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        os.environ["OHM_DATA_DIR"] = str(data)
        ohm_sizes, per_turn = asyncio.run(run_ohm(data, args.turns))
        ohm_disk = file_bytes(data / "checkpoints.db")
        bare_db = Path(tmp) / "bare.db"
        bare_sizes = asyncio.run(run_bare(bare_db, per_turn))
        bare_disk = file_bytes(bare_db)
    ohm_per, bare_per = deltas(ohm_sizes), deltas(bare_sizes)
    n = args.turns
    late = (n - 4, n)
    rows: list[dict[str, Any]] = []
    for name, per, disk in (("Ohm", ohm_per, ohm_disk), ("bare LangGraph", bare_per, bare_disk)):
        early_b, late_b = window(per, 2, 6), window(per, *late)
        rows.append(
            {
                "graph": name,
                "turns_2_6_bytes_per_turn": early_b,
                f"turns_{late[0]}_{late[1]}_bytes_per_turn": late_b,
                "growth": late_b / early_b,
                "stored_bytes": (ohm_sizes if name == "Ohm" else bare_sizes)[-1],
                "file_bytes": disk,
                "per_turn": per,
            }
        )
    header = (
        f"| graph | turns 2–6 (KiB/turn) | turns {late[0]}–{late[1]} (KiB/turn) | growth | "
        "stored (MB) | file on disk (MB) |\n|---|---:|---:|---:|---:|---:|"
    )
    lines = [header]
    for r in rows:
        lines.append(
            f"| {r['graph']} | {r['turns_2_6_bytes_per_turn'] / 1024:.0f} | "
            f"{r[f'turns_{late[0]}_{late[1]}_bytes_per_turn'] / 1024:.0f} | "
            f"{r['growth']:.2f}× | {r['stored_bytes'] / 1e6:.2f} | {r['file_bytes'] / 1e6:.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    info = machine()
    write_json("checkpoint_growth", {**info, "turns": n, "rows": rows})
    write_section(
        "checkpoint-growth",
        "## Checkpoint storage over a long thread\n\n"
        f"Measured with `{COMMAND}` on {info['measured_at']} ({info['machine']}, Python "
        f"{info['python']}): a {n}-turn conversation through the offline simulator (kickoff, "
        "then parts, wiring, firmware, debugging and chat in a cycle), and a bare LangGraph "
        "graph (plain `add_messages`, `AsyncSqliteSaver`) fed the same messages one per "
        "step. *Growth* is bytes per turn late in the thread over bytes per turn at turns "
        "2–6 (linear storage is about 1×); *stored* adds up the saver's blobs, *file on "
        "disk* is `checkpoints.db` after folding in its write-ahead log. Ohm keeps the "
        "conversation in a `DeltaChannel`, so each step stores only the messages it added. "
        "Numbers: `bench/results/checkpoint_growth.json`.\n\n" + table,
    )


if __name__ == "__main__":
    main()
