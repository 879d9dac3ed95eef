"""Turns per second and overhead per turn: Ohm against a bare LangGraph graph.

    .venv/bin/python bench/throughput_bench.py [--rounds 3] [--quick]

Both talk to the same fake OpenAI-compatible server (``bench/fake_openai.py``, its own
process) over loopback. The bare graph is built here: a classify node (``ChatOpenAI``
structured output by function calling) → a conditional edge → one specialist node (one
``ChatOpenAI`` call), a plain ``add_messages`` channel and ``AsyncSqliteSaver``. Ohm runs
its real graph through ``AssemblyLine`` with one Bytez-style key against the same server:
entry, classify, the conversational specialist with its tools bound, the key pool, the
artifact store and the thread lease. Every timed turn is a routed turn (classify, then a
specialist: two model calls in both; Ohm's local router and its running summary are off
for this, except in one row that measures the summary's cost); Ohm's threads
get their kickoff turn before the clock starts.

Measured, in rotating order each round: turns per second with 1, 10 and 50 concurrent
threads of 3 turns each when the server takes 200 ms per request, and seconds per turn
on one thread when it answers at once (the per-turn overhead of each graph), each both
without token streaming (Ohm's ``achat``, the bare graph's ``ainvoke``) and, for the
largest thread count and the overhead, with it (Ohm's ``astream``, the bare graph's
``astream(stream_mode="messages")``, every model answer streamed). Ratios are
per round, Ohm over bare for turns per second (higher is better) and Ohm over bare for
seconds per turn (lower is better). Writes docs/benchmarks.md and
bench/results/throughput.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel
from typing_extensions import TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import ROOT, machine, write_json, write_section

COMMAND = ".venv/bin/python bench/throughput_bench.py"
MESSAGES = (
    "What parts do I need for the soil sensor?",
    "How do I wire the pump relay?",
    "Any tips before I solder it?",
)
KEY = "bench-key-0001"


class BareState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    intent: str


class BareIntent(BaseModel):
    """Which specialist should answer."""

    intent: Literal["BOM", "CODE", "WIRING", "DEBUG", "CHAT"]
    reason: str = ""


def start_server() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "fake_openai.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit("the fake server did not start")
    return proc, int(line.split()[-1])


class Bare:
    """The baseline: the smallest graph that does what a routed Ohm turn does."""

    def __init__(self, base_url: str, db: Path) -> None:
        self.base_url, self.db = base_url, db / "checkpoints.db"

    async def __aenter__(self) -> Bare:
        from langchain_openai import ChatOpenAI
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
        from langgraph.graph import END, START, StateGraph

        llm = ChatOpenAI(model="bench", base_url=self.base_url, api_key=KEY, max_retries=0)
        router = llm.with_structured_output(BareIntent, method="function_calling")

        async def classify(state: BareState) -> dict[str, Any]:
            decision = await router.ainvoke(state["messages"])
            return {"intent": getattr(decision, "intent", "CHAT")}

        async def specialist(state: BareState) -> dict[str, Any]:
            reply = await llm.ainvoke([SystemMessage("You help makers."), *state["messages"]])
            return {"messages": [reply]}

        builder = StateGraph(BareState)
        builder.add_node("classify", classify)
        builder.add_node("specialist", specialist)
        builder.add_edge(START, "classify")
        builder.add_conditional_edges("classify", lambda s: "specialist", ["specialist"])
        builder.add_edge("specialist", END)
        self._cm = AsyncSqliteSaver.from_conn_string(str(self.db))
        saver = await self._cm.__aenter__()
        self.graph = builder.compile(checkpointer=saver)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(None, None, None)

    async def warm(self, thread: str) -> None:
        return None

    async def turn(self, thread: str, text: str) -> None:
        await self.graph.ainvoke(
            {"messages": [HumanMessage(text)]}, {"configurable": {"thread_id": thread}}
        )

    async def streamed(self, thread: str, text: str) -> None:
        async for _ in self.graph.astream(
            {"messages": [HumanMessage(text)]},
            {"configurable": {"thread_id": thread}},
            stream_mode="messages",
        ):
            pass


class Ohm:
    def __init__(self, base_url: str, data_dir: Path, summary: bool = False) -> None:
        self.base_url, self.data_dir, self.summary = base_url, data_dir, summary

    async def __aenter__(self) -> Ohm:
        from graph.assembly_line import AssemblyLine
        from providers.factory import reset_factory

        os.environ["OHM_BASE_URL"] = self.base_url
        os.environ["BYTEZ_API_KEY"] = KEY
        os.environ["OHM_DATA_DIR"] = str(self.data_dir)
        os.environ.pop("OHM_OFFLINE", None)
        # Like for like: the orchestrator model classifies every message, as the bare
        # graph's classify node does. (With the local router on, clear messages skip that
        # call; bench/router_bench.py measures how many.)
        os.environ["OHM_ROUTER"] = "off"
        # Likewise the running summary: one more model call every fourth turn, which the
        # bare graph does not make. The "summary" row measures Ohm with it on (the default).
        os.environ["OHM_SUMMARY_EVERY"] = "4" if self.summary else "0"
        reset_factory()
        self.line = AssemblyLine(data_dir=self.data_dir)
        await self.line.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.line.aclose()
        self.line.store.close()

    async def warm(self, thread: str) -> None:
        await self.line.achat("A soil-moisture monitor on an ESP32", thread=thread)
        # The titler names a new thread in the background after its first exchange; let
        # that call finish before the clock starts (the bare graph has no titles).
        await self.line.awaiting_titles()

    async def turn(self, thread: str, text: str) -> None:
        await self.line.achat(text, thread=thread)

    async def streamed(self, thread: str, text: str) -> None:
        async for ev in self.line.astream(text, thread=thread):
            if ev.type == "error":
                raise RuntimeError(ev.message)


Runner = Callable[[str, Path], Any]


async def throughput(
    make: Runner, base_url: str, tmp: Path, threads: int, streamed: bool = False
) -> float:
    """Turns per second for ``threads`` concurrent threads of len(MESSAGES) turns."""
    async with make(base_url, tmp) as g:
        names = [f"t{i}" for i in range(threads)]
        await asyncio.gather(*(g.warm(n) for n in names))
        turn = g.streamed if streamed else g.turn

        async def one(name: str) -> None:
            for text in MESSAGES:
                await turn(name, text)

        start = time.perf_counter()
        await asyncio.gather(*(one(n) for n in names))
        elapsed = time.perf_counter() - start
    return threads * len(MESSAGES) / elapsed


async def _concurrent(
    base_url: str, threads: int, make: Runner, tmp: Path, streamed: bool = False
) -> float:
    return await throughput(make, base_url, tmp, threads, streamed)


async def _summarising(base_url: str, threads: int, make: Runner, tmp: Path) -> float:
    """Ohm with its running summary on (the bare graph has none: it runs as usual)."""
    runner: Runner = partial(Ohm, summary=True) if make is Ohm else make
    return await throughput(runner, base_url, tmp, threads)


async def per_turn(
    make: Runner, base_url: str, tmp: Path, turns: int, streamed: bool = False
) -> float:
    """Seconds per turn on one thread, turns one after another."""
    async with make(base_url, tmp) as g:
        turn = g.streamed if streamed else g.turn
        await g.warm("solo")
        await turn("solo", MESSAGES[0])  # first-call costs out of the measurement
        start = time.perf_counter()
        for i in range(turns):
            await turn("solo", MESSAGES[i % len(MESSAGES)])
        return (time.perf_counter() - start) / turns


def _fresh(tmp: Path, name: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=name, dir=tmp))
    return d


async def measure(port: int, rounds: int, thread_counts: list[int], turns: int) -> dict[str, Any]:
    slow = f"http://127.0.0.1:{port}/d200/v1"
    fast = f"http://127.0.0.1:{port}/d0/v1"
    kinds: dict[str, Any] = {"Ohm": Ohm, "bare": Bare}
    rows: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for r in range(rounds):
            order = list(kinds) if r % 2 == 0 else list(reversed(kinds))
            cases: list[tuple[str, Callable[[Runner, Path], Awaitable[float]]]] = [
                (f"{n} threads, 200 ms", partial(_concurrent, slow, n)) for n in thread_counts
            ]
            cases.append(("overhead, 0 ms", lambda mk, d: per_turn(mk, fast, d, turns)))
            # Token streaming, as the CLI and the dashboard use it: Ohm's astream against
            # the bare graph's astream(stream_mode="messages").
            top = max(thread_counts)
            cases.append(
                (f"{top} threads, 200 ms, streamed", partial(_concurrent, slow, top, streamed=True))
            )
            cases.append(
                (f"{top} threads, 200 ms, summary every 4 turns", partial(_summarising, slow, top))
            )
            cases.append(
                (
                    "overhead, 0 ms, streamed",
                    lambda mk, d: per_turn(mk, fast, d, turns, streamed=True),
                )
            )
            for label, run in cases:
                got: dict[str, float] = {}
                for name in order:
                    got[name] = await run(kinds[name], _fresh(tmp, name))
                rows.setdefault(label, []).append(got)
                print(f"round {r + 1} {label}: " + ", ".join(
                    f"{k} {v:.3f}" for k, v in got.items()), flush=True)  # fmt: skip
    return rows


def summarise(rows: dict[str, list[dict[str, float]]]) -> list[dict[str, Any]]:
    out = []
    for label, runs in rows.items():
        ratios = [r["Ohm"] / r["bare"] for r in runs]
        out.append(
            {
                "case": label,
                "unit": "s/turn" if label.startswith("overhead") else "turns/s",
                "ohm": statistics.median(r["Ohm"] for r in runs),
                "bare": statistics.median(r["bare"] for r in runs),
                "ratios": ratios,
                "median_ratio": statistics.median(ratios),
            }
        )
    return out


def table(summary: list[dict[str, Any]]) -> str:
    lines = [
        "| case | unit | Ohm | bare LangGraph | Ohm ÷ bare, per round | median |",
        "|---|---|---:|---:|---|---:|",
    ]
    for s in summary:
        digits = 4 if s["unit"] == "s/turn" else 1
        lines.append(
            f"| {s['case']} | {s['unit']} | {s['ohm']:.{digits}f} | {s['bare']:.{digits}f} | "
            + ", ".join(f"{x:.2f}" for x in s["ratios"])
            + f" | {s['median_ratio']:.2f}× |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 and 10 threads only")
    parser.add_argument("--turns", type=int, default=30, help="turns for the overhead case")
    args = parser.parse_args()
    for var in list(os.environ):
        if var.startswith("BYTEZ_API_KEY") or var in ("OHM_DATABASE_URL", "OHM_CHECKPOINT_URL"):
            del os.environ[var]
    threads = [1, 10] if args.quick else [1, 10, 50]
    proc, port = start_server()
    try:
        rows = asyncio.run(measure(port, args.rounds, threads, args.turns))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    summary = summarise(rows)
    print(table(summary))
    info = machine()
    write_json("throughput", {**info, "rounds": args.rounds, "summary": summary})
    if args.quick:
        return
    write_section(
        "throughput",
        "## Throughput and overhead against a bare LangGraph graph\n\n"
        f"Measured with `{COMMAND}` on {info['measured_at']} ({info['machine']}, Python "
        f"{info['python']}), {args.rounds} rounds in rotating order. Both graphs talk to "
        "`bench/fake_openai.py` in its own process; the bare graph (classify → conditional "
        "edge → one specialist, `AsyncSqliteSaver`, plain `add_messages`) is built by the "
        "script. Every timed turn is routed: a classification and a specialist call (Ohm's "
        "local router is off here, so both make the same two model calls; so is Ohm's "
        "running summary, one more model call every fourth turn, except in the row marked "
        "*summary*, which is for information). "
        "*turns/s*: concurrent threads of 3 turns each, the server taking 200 ms per "
        "request (higher is better; a ratio ≥ 1 means Ohm is at least as fast). Rows without "
        "*streamed* call Ohm's `achat` and the bare graph's `ainvoke` (answers in one piece); "
        "*streamed* rows consume Ohm's `astream` events and the bare graph's "
        '`astream(stream_mode="messages")`, so every model answer is streamed. *s/turn*: '
        f"one thread, {args.turns} turns, the server answering at once, so the time is "
        "each graph's own overhead (lower is better; a ratio ≤ 1 means Ohm costs no more). "
        "Numbers: `bench/results/throughput.json`.\n\n" + table(summary),
    )


if __name__ == "__main__":
    main()
