"""What a rate-limited key costs: Ohm's key pool versus the OpenAI SDK's own retries.

    .venv/bin/python bench/keypool_bench.py [--reps 5] [--latency 0.05]

Against the offline model on loopback, with a fixed latency per answer so that round
trips are visible, it times one model call and one whole turn (a new project's kickoff
through ``AssemblyLine``) in four setups:

* Ohm, three healthy keys;
* Ohm, key 1 answering 429 (each repetition starts with a fresh pool, so it pays the
  429 every time);
* a plain ``ChatOpenAI`` on key 1 with the SDK's default retries, key 1 healthy;
* the same, key 1 answering its first request with 429 (once without a Retry-After,
  as Bytez sends it, and once with ``Retry-After: 2``).

It prints a table with the ratio "key 1 answers 429 / healthy" for both, writes the
numbers to ``bench/results/keypool.json`` and replaces its own section of
``docs/benchmarks.md``. Target: rotation costs at most one extra round trip and no sleep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402

from graph.assembly_line import AssemblyLine  # noqa: E402
from nodes.agents import AGENTS, AgentSpec  # noqa: E402
from providers.factory import (  # noqa: E402
    AGENT_HEADER,
    ModelFactory,
    ProviderSettings,
    reset_factory,
)
from providers.keypool import KeyPool, PoolConfig, SystemClock  # noqa: E402
from providers.keys import Secret  # noqa: E402
from providers.offline.server import Fault, OfflineServer  # noqa: E402

KEYS = ("bz-bench-key-one-0001", "bz-bench-key-two-0002", "bz-bench-key-three-0003")
CALL_PROMPT = "Hello! Can you help me with my weather station?"
TURN_PROMPT = "I want to build a soil-moisture monitor on an ESP32 that waters my plants."
RESULTS = ROOT / "bench" / "results" / "keypool.json"
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- keypool-bench:start -->"
END = "<!-- keypool-bench:end -->"
COMMAND = ".venv/bin/python bench/keypool_bench.py"

FAULTS: dict[str, Fault | None] = {
    "healthy": None,
    "429": Fault(status=429, body={"error": "Rate limit exceeded", "output": None}, times=1),
    "429 + Retry-After: 2": Fault(
        status=429,
        body={"error": "Rate limit exceeded", "output": None},
        headers={"Retry-After": "2"},
        times=1,
    ),
}


class CountingClock(SystemClock):
    """Real time; counts the pool's sleeps, which the target says must be zero."""

    def __init__(self) -> None:
        self.sleeps = 0

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        super().sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleeps += 1
        await super().asleep(seconds)


class PlainFactory(ModelFactory):
    """Chat models as most LangChain apps build them: one key, the SDK's default retries.
    They share one pair of plain HTTP clients, as Ohm's models do, so that connection
    setup costs the same on both sides."""

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self._plain_sync = httpx2.Client()
        self._plain_async = httpx2.AsyncClient()

    def chat_model(self, spec: AgentSpec) -> ChatOpenAI:
        return ChatOpenAI(
            model=spec.model,
            temperature=spec.temperature,
            max_completion_tokens=spec.max_tokens,
            base_url=self.base_url,
            api_key=KEYS[0],
            http_client=self._plain_sync,
            http_async_client=self._plain_async,
            default_headers={AGENT_HEADER: spec.name},
            stream_usage=False,
        )


def ohm_factory(server: OfflineServer, clock: CountingClock) -> ModelFactory:
    secrets = tuple(Secret(k) for k in KEYS)
    settings = ProviderSettings(base_url=server.base_url, keys=secrets, offline=False)
    pool = KeyPool(secrets, config=PoolConfig(wait_budget_s=0), clock=clock)
    return ModelFactory(settings, pool=pool)


def plain_factory(server: OfflineServer) -> ModelFactory:
    secrets = (Secret(KEYS[0]),)
    return PlainFactory(ProviderSettings(base_url=server.base_url, keys=secrets, offline=False))


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def measure_once(
    server: OfflineServer, setup: str, fault: Fault | None, unit: str, data_dir: Path
) -> tuple[float, int, int]:
    """One timed run: (seconds, requests the server saw, sleeps in the pool)."""
    server.faults.clear()
    if fault is not None:
        server.faults.set(KEYS[0], [Fault(**fault.__dict__)])
    clock = CountingClock()
    factory = ohm_factory(server, clock) if setup == "ohm" else plain_factory(server)
    reset_factory(factory)
    server.clear_records()
    try:
        if unit == "call":
            model = factory.chat_model(AGENTS["conversational"])

            async def call() -> None:
                async for _ in model.astream(CALL_PROMPT):
                    pass

            seconds = await timed(call)
        else:
            async with AssemblyLine(data_dir=data_dir) as line:
                thread = uuid.uuid4().hex[:12]
                seconds = await timed(lambda: line.achat(TURN_PROMPT, thread=thread))
    finally:
        factory.close()
        reset_factory()
    return seconds, len(server.records), clock.sleeps


def setups() -> list[tuple[str, str, str]]:
    out = []
    for unit in ("call", "turn"):
        for setup in ("ohm", "sdk"):
            for name in FAULTS:
                if setup == "ohm" and name == "429 + Retry-After: 2":
                    continue  # the pool does not wait on key 1 either way
                out.append((setup, unit, name))
    return out


async def run(reps: int, latency: float) -> dict[str, Any]:
    runs: dict[str, list[tuple[float, int, int]]] = {}
    with OfflineServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.latency_s = latency
        # The simulator writes headers and body in two sends; with Nagle's algorithm on,
        # every answer on a reused connection then waits ~40 ms for a delayed ACK, which
        # would be counted as the cost of whatever request came second.
        server._httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        for setup, unit, _ in setups():  # warm imports and code paths, untimed
            await measure_once(server, setup, None, unit, Path(tmp))
        # Interleaved, so that a busy moment on the machine hits every setup alike.
        for rep in range(reps):
            for setup, unit, name in setups():
                key = f"{setup}/{unit}/{name}"
                runs.setdefault(key, []).append(
                    await measure_once(server, setup, FAULTS[name], unit, Path(tmp))
                )
            print(f"  round {rep + 1}/{reps} done", file=sys.stderr)
    results: dict[str, Any] = {}
    for key, got in runs.items():
        times = [t for t, _, _ in got]
        results[key] = {
            "median_s": round(statistics.median(times), 4),
            "min_s": round(min(times), 4),
            "max_s": round(max(times), 4),
            "requests": statistics.median([n for _, n, _ in got]),
            "pool_sleeps": sum(z for _, _, z in got),
            "runs": [round(t, 4) for t in times],
        }
    return results


def summarize(results: dict[str, Any], latency: float, reps: int) -> dict[str, Any]:
    rows = []
    for unit in ("call", "turn"):
        ohm_h, ohm_f = results[f"ohm/{unit}/healthy"], results[f"ohm/{unit}/429"]
        round_trip = results["ohm/call/healthy"]["median_s"]
        extra = ohm_f["median_s"] - ohm_h["median_s"]
        rows.append(
            {
                "unit": unit,
                "setup": "Ohm key pool (3 keys)",
                "fault": "429",
                "healthy_s": ohm_h["median_s"],
                "faulty_s": ohm_f["median_s"],
                "ratio": round(ohm_f["median_s"] / ohm_h["median_s"], 2),
                "extra_requests": ohm_f["requests"] - ohm_h["requests"],
                "extra_round_trips": round(extra / round_trip, 2),
                "sleeps": ohm_f["pool_sleeps"],
            }
        )
        sdk_h = results[f"sdk/{unit}/healthy"]
        for name in ("429", "429 + Retry-After: 2"):
            sdk_f = results[f"sdk/{unit}/{name}"]
            extra = sdk_f["median_s"] - sdk_h["median_s"]
            rows.append(
                {
                    "unit": unit,
                    "setup": "ChatOpenAI, SDK retries (1 key)",
                    "fault": name,
                    "healthy_s": sdk_h["median_s"],
                    "faulty_s": sdk_f["median_s"],
                    "ratio": round(sdk_f["median_s"] / sdk_h["median_s"], 2),
                    "extra_requests": sdk_f["requests"] - sdk_h["requests"],
                    "extra_round_trips": round(extra / round_trip, 2),
                    "sleeps": None,
                }
            )
    return {
        "benchmark": "keypool",
        "command": COMMAND,
        "latency_s": latency,
        "reps": reps,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "rows": rows,
        "raw": results,
    }


def table(summary: dict[str, Any]) -> str:
    head = (
        "| unit | setup | key 1 answers | healthy (s) | with fault (s) | ratio | "
        "extra requests | extra time in round trips | pool sleeps |\n"
        "|---|---|---|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = [
        f"| {r['unit']} | {r['setup']} | {r['fault']} | {r['healthy_s']:.3f} | "
        f"{r['faulty_s']:.3f} | {r['ratio']:.2f}× | {r['extra_requests']:g} | "
        f"{r['extra_round_trips']:.2f} | {'-' if r['sleeps'] is None else r['sleeps']} |"
        for r in summary["rows"]
    ]
    return head + "\n".join(lines) + "\n"


def write_doc(summary: dict[str, Any]) -> None:
    section = (
        f"{START}\n"
        "## Key pool: what a rate-limited key costs\n\n"
        f"Measured with `{COMMAND}` on {summary['measured_at']} ({summary['machine']}, "
        f"Python {summary['python']}): the offline model on loopback with "
        f"{summary['latency_s'] * 1000:.0f} ms added to every answer, median of "
        f"{summary['reps']} runs each. *call* is one streamed model call (`astream`, as "
        "the nodes call models); *turn* is a new project's kickoff through `AssemblyLine` "
        "(two streamed model calls and the tool work between them). Each Ohm run starts "
        "with a fresh pool, so key 1's 429 is paid every time; the SDK runs use one key and "
        "its default retries (2 retries, 0.5 s backoff with jitter, honouring "
        "Retry-After). The simulator's Nagle delay is switched off for the run (see the "
        "script).\n\n"
        f"{table(summary)}\n"
        "*Ratio* is the time with key 1 answering 429 over the time with healthy keys; "
        "*extra time in round trips* divides the difference by a healthy call's time. "
        "The pool's target is at most one extra round trip and no sleep. Numbers: "
        "`bench/results/keypool.json`.\n"
        f"{END}\n"
    )
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=9, help="Runs per setup (median kept).")
    parser.add_argument("--latency", type=float, default=0.05, help="Seconds per answer.")
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    os.environ.pop("OHM_KEY_STORE", None)
    results = asyncio.run(run(args.reps, args.latency))
    summary = summarize(results, args.latency, args.reps)
    print(table(summary))
    for row in summary["rows"]:
        if row["unit"] == "turn":
            print(f"ratio ({row['setup']}, {row['fault']}): {row['ratio']:.2f}×")
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
        write_doc(summary)
        print(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
