"""Cold start: what a fresh ``ohm`` process costs before it does anything useful.

    .venv/bin/python bench/coldstart_bench.py [--rounds 7]

Two comparisons, each interleaved in rotating order over several rounds so that a busy
moment on the machine hits every contender alike:

* **help**: ``ohm --help`` and ``ohm --version`` against a bare Typer program with one
  command asked for its ``--help`` (what any Typer CLI costs). Target: at most 0.3 s.
* **turn**: one ``ohm ask`` turn in a fresh process against a bare one-turn LangGraph
  script that this benchmark writes itself: it imports langgraph and langchain_openai,
  builds classify → conditional edge → one specialist with ``AsyncSqliteSaver`` and
  streams one turn. Both talk to the same fake OpenAI-compatible server on loopback, which
  answers every request at once with plain text and no tool calls. Both send the second
  message of a thread, so both load a saved checkpoint, classify (one request) and answer
  (a second request): Ohm's first message of a thread goes to the project initializer
  without classifying, so the thread is seeded with one untimed turn first, on both sides.
  Ohm runs with ``OHM_BASE_URL`` pointed at the fake server and a dummy key. Target: the
  Ohm turn at most 1.0× the bare script's, round by round.

A third turn row runs Ohm on its offline simulator (no key, the simulator started inside
the process), for information: the simulator answers with its own scripted text, so the
work differs from the fake server's.

It prints a table with per-round times and ratios, writes the numbers to
``bench/results/coldstart.json`` and replaces its own section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "coldstart.json"
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- coldstart-bench:start -->"
END = "<!-- coldstart-bench:end -->"
COMMAND = ".venv/bin/python bench/coldstart_bench.py"
HELP_TARGET_S = 0.3
DUMMY_KEY = "test-key-0001"
SEED_MESSAGE = "I want to build a soil-moisture monitor on an ESP32."
TURN_MESSAGE = "Thanks! Can you say a bit more about how it will work?"
REPLY = (
    "Sure. The ESP32 reads the capacitive soil sensor every few minutes, and when the "
    "reading says the soil is dry it switches the pump through a MOSFET for a few seconds."
)

BARE_TYPER = """\
import typer

app = typer.Typer(add_completion=False)


@app.command()
def hello(name: str = "world") -> None:
    '''Say hello.'''
    print(f"hello {name}")


app()
"""

BARE_TURN = '''\
"""A bare one-turn LangGraph program: classify, branch, one specialist, SQLite checkpoints."""

import asyncio
import sys
from typing import Annotated, TypedDict

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    intent: str


def main(base_url: str, db: str, thread: str, message: str) -> None:
    model = ChatOpenAI(model="bench-model", base_url=base_url, api_key="test-key-0001")

    async def classify(state: State) -> dict:
        prompt = [SystemMessage("Answer with one word: BOM, CODE, WIRING, DEBUG or CHAT.")]
        answer = await model.ainvoke(prompt + [state["messages"][-1]])
        word = str(answer.content).strip().split()[0].upper() if answer.content else ""
        return {"intent": word if word in ("BOM", "CODE", "WIRING", "DEBUG") else "CHAT"}

    async def chat(state: State) -> dict:
        system = SystemMessage("You help people build hardware projects.")
        return {"messages": [await model.ainvoke([system, *state["messages"]])]}

    builder = StateGraph(State)
    builder.add_node("classify", classify)
    builder.add_node("chat", chat)
    builder.add_edge(START, "classify")
    builder.add_conditional_edges("classify", lambda s: "chat", ["chat"])
    builder.add_edge("chat", END)

    async def run() -> None:
        async with AsyncSqliteSaver.from_conn_string(db) as saver:
            graph = builder.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": thread}}
            async for mode, chunk in graph.astream(
                {"messages": [HumanMessage(message)]}, config, stream_mode=["messages"]
            ):
                msg, meta = chunk
                if meta.get("langgraph_node") == "chat" and msg.content:
                    print(msg.content, end="", flush=True)
            print()

    asyncio.run(run())


if __name__ == "__main__":
    main(*sys.argv[1:5])
'''


# ----------------------------------------------------------------- the fake server


class FakeOpenAI(ThreadingHTTPServer):
    """An OpenAI-compatible chat endpoint that answers at once with plain text."""

    daemon_threads = True
    requests_seen = 0

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeOpenAI

    def log_message(self, fmt: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests_seen += 1
        model = body.get("model", "bench-model")
        base = {"id": "chatcmpl-bench", "created": int(time.time()), "model": model}
        if not body.get("stream"):
            payload = {
                **base,
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": REPLY},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 50, "completion_tokens": 40, "total_tokens": 90},
            }
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = REPLY.split(" ")
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": (" " if i else "") + w} for i, w in enumerate(words)]
        for i, delta in enumerate([*deltas, {}]):
            finish = "stop" if i == len(deltas) else None
            chunk = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


# ---------------------------------------------------------------------- running


@dataclass
class Contender:
    """One program timed in every round; ``seed`` runs untimed just before it."""

    name: str
    argv: Callable[[int], list[str]]
    env: dict[str, str]
    seed: Callable[[int], list[str]] | None = None
    expect_requests: int | None = None
    expect_text: str | None = None
    times: list[float] = field(default_factory=list)


def run(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    return time.perf_counter() - start, proc


def measure(group: list[Contender], rounds: int, server: FakeOpenAI) -> None:
    """Time every contender once per round, starting each round one place further on."""
    for r in range(rounds):
        order = group[r % len(group) :] + group[: r % len(group)]
        for c in order:
            if c.seed is not None:
                _, proc = run(c.seed(r), c.env)
                check(c, proc, "seed")
            before = server.requests_seen
            elapsed, proc = run(c.argv(r), c.env)
            check(c, proc, f"round {r + 1}")
            if c.expect_requests is not None:
                seen = server.requests_seen - before
                if seen != c.expect_requests:
                    raise SystemExit(
                        f"{c.name}: {seen} model requests, expected {c.expect_requests}"
                    )
            c.times.append(elapsed)


def check(c: Contender, proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode != 0:
        raise SystemExit(f"{c.name} ({what}) exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    if c.expect_text is not None and what != "seed" and c.expect_text not in proc.stdout:
        raise SystemExit(f"{c.name} ({what}) did not print {c.expect_text!r}:\n{proc.stdout}")


def import_profile(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Milliseconds of import time by top-level package, from ``python -X importtime``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=ROOT,
    )
    by_package: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        top = name.strip().split(".")[0]
        by_package[top] = by_package.get(top, 0.0) + int(self_us) / 1000
    return dict(sorted(by_package.items(), key=lambda kv: -kv[1]))


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def ratios(a: Contender, b: Contender) -> list[float]:
    return [x / y for x, y in zip(a.times, b.times, strict=True)]


# ---------------------------------------------------------------------- reporting


def table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def round_rows(columns: list[tuple[str, list[float], str]], rounds: int) -> list[list[str]]:
    rows = []
    for r in range(rounds):
        rows.append([str(r + 1)] + [fmt.format(vals[r]) for _, vals, fmt in columns])
    rows.append(["median"] + [fmt.format(median(vals)) for _, vals, fmt in columns])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-doc", action="store_true", help="Do not update docs/benchmarks.md.")
    args = parser.parse_args()
    ohm = str(Path(sys.executable).parent / "ohm")
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="ohm-coldstart-") as tmp, FakeOpenAI() as server:
        work = Path(tmp)
        (work / "bare_typer.py").write_text(BARE_TYPER)
        (work / "bare_turn.py").write_text(BARE_TURN)
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OHM_", "BYTEZ_", "LANGSMITH_", "LANGCHAIN_"))
        }
        base["COLUMNS"] = "100"
        help_env = {**base, "OHM_DATA_DIR": str(work / "help")}
        fake_env = {
            **base,
            "OHM_DATA_DIR": str(work / "ohm"),
            "OHM_BASE_URL": server.base_url,
            "BYTEZ_API_KEY": DUMMY_KEY,
        }
        offline_env = {**base, "OHM_DATA_DIR": str(work / "offline"), "OHM_OFFLINE": "1"}
        bare_db = str(work / "bare.db")

        def bare_turn(message: str) -> Callable[[int], list[str]]:
            script = str(work / "bare_turn.py")
            return lambda r: [py, script, server.base_url, bare_db, f"t{r}", message]

        def ohm_turn(message: str) -> Callable[[int], list[str]]:
            return lambda r: [ohm, "ask", message, "--thread", f"t{r}"]

        help_group = [
            Contender("ohm --help", lambda r: [ohm, "--help"], help_env, expect_text="Usage: ohm"),
            Contender("ohm --version", lambda r: [ohm, "--version"], help_env, expect_text="ohm "),
            Contender(
                "bare Typer --help",
                lambda r: [py, str(work / "bare_typer.py"), "--help"],
                help_env,
                expect_text="Usage:",
            ),
        ]
        turn_group = [
            Contender(
                "bare LangGraph turn",
                bare_turn(TURN_MESSAGE),
                base,
                seed=bare_turn(SEED_MESSAGE),
                expect_requests=2,
                expect_text=REPLY[:40],
            ),
            Contender(
                "ohm ask (fake server)",
                ohm_turn(TURN_MESSAGE),
                fake_env,
                seed=ohm_turn(SEED_MESSAGE),
                expect_requests=2,
                expect_text=REPLY[:40],
            ),
            Contender(
                "ohm ask (offline simulator)",
                ohm_turn(TURN_MESSAGE),
                offline_env,
                seed=ohm_turn(SEED_MESSAGE),
                expect_requests=0,
            ),
        ]
        for c in help_group + turn_group:  # one untimed run each: bytecode caches, page cache
            if c.seed is not None:
                run(c.seed(999), c.env)
            run(c.argv(999), c.env)
        measure(help_group, args.rounds, server)
        measure(turn_group, args.rounds, server)
        run([ohm, "ask", SEED_MESSAGE, "--thread", "profile"], fake_env)
        profiles = {
            "ohm ask (fake server)": import_profile(
                ["-m", "app.cli", "ask", TURN_MESSAGE, "--thread", "profile"], fake_env
            ),
            "bare LangGraph turn": import_profile(
                [str(work / "bare_turn.py"), server.base_url, bare_db, "profile", TURN_MESSAGE],
                base,
            ),
        }
    report(help_group, turn_group, profiles, args.rounds, write_doc=not args.no_doc)


def report(
    help_group: list[Contender],
    turn_group: list[Contender],
    profiles: dict[str, dict[str, float]],
    rounds: int,
    *,
    write_doc: bool,
) -> None:
    ohm_help, ohm_version, bare_typer = help_group
    bare, ohm_fake, ohm_offline = turn_group
    help_ratio = ratios(ohm_help, bare_typer)
    turn_ratio = ratios(ohm_fake, bare)
    offline_ratio = ratios(ohm_offline, bare)
    help_table = table(
        round_rows(
            [
                ("ohm --help", ohm_help.times, "{:.3f}"),
                ("ohm --version", ohm_version.times, "{:.3f}"),
                ("bare Typer --help", bare_typer.times, "{:.3f}"),
                ("ratio", help_ratio, "{:.2f}×"),
            ],
            rounds,
        ),
        ["round", "ohm --help (s)", "ohm --version (s)", "bare Typer --help (s)", "--help ÷ bare"],
    )
    turn_table = table(
        round_rows(
            [
                ("bare", bare.times, "{:.3f}"),
                ("ohm", ohm_fake.times, "{:.3f}"),
                ("ratio", turn_ratio, "{:.2f}×"),
                ("offline", ohm_offline.times, "{:.3f}"),
                ("ratio", offline_ratio, "{:.2f}×"),
            ],
            rounds,
        ),
        [
            "round",
            "bare LangGraph turn (s)",
            "ohm ask, fake server (s)",
            "ohm ÷ bare",
            "ohm ask, offline simulator (s)",
            "offline ÷ bare",
        ],
    )
    ohm_pkgs, bare_pkgs = profiles["ohm ask (fake server)"], profiles["bare LangGraph turn"]
    names = [n for n in ohm_pkgs if ohm_pkgs[n] >= 5 or bare_pkgs.get(n, 0) >= 5][:14]
    import_table = table(
        [[n, f"{ohm_pkgs.get(n, 0):.0f}", f"{bare_pkgs.get(n, 0):.0f}"] for n in names]
        + [["all", f"{sum(ohm_pkgs.values()):.0f}", f"{sum(bare_pkgs.values()):.0f}"]],
        ["package", "ohm ask (ms)", "bare turn (ms)"],
    )
    print("\nStart-up of the CLI (seconds, wall clock of a fresh process)\n")
    print(help_table)
    print("\nOne turn in a fresh process (seconds)\n")
    print(turn_table)
    print("\nImport time by package, one run each (ms, from python -X importtime)\n")
    print(import_table)
    summary = {
        "ohm_help_s": median(ohm_help.times),
        "ohm_version_s": median(ohm_version.times),
        "bare_typer_help_s": median(bare_typer.times),
        "help_target_s": HELP_TARGET_S,
        "bare_turn_s": median(bare.times),
        "ohm_turn_fake_server_s": median(ohm_fake.times),
        "ohm_turn_offline_s": median(ohm_offline.times),
        "turn_ratio_median": median(turn_ratio),
        "turn_ratio_worst_round": max(turn_ratio),
        "offline_ratio_median": median(offline_ratio),
    }
    for k, v in summary.items():
        print(f"{k}: {v:.3f}")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "command": f"{COMMAND} --rounds {rounds}",
                "measured_at_utc": when,
                "machine": machine,
                "rounds": rounds,
                "seconds": {c.name: c.times for c in help_group + turn_group},
                "ratios": {
                    "ohm --help / bare Typer --help": help_ratio,
                    "ohm ask (fake server) / bare LangGraph turn": turn_ratio,
                    "ohm ask (offline simulator) / bare LangGraph turn": offline_ratio,
                },
                "summary": summary,
                "import_ms_by_package": profiles,
            },
            indent=2,
        )
        + "\n"
    )
    if write_doc:
        write_section(
            doc_section(when, machine, rounds, help_table, turn_table, import_table, summary)
        )


def write_section(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def doc_section(
    when: str,
    machine: str,
    rounds: int,
    help_table: str,
    turn_table: str,
    import_table: str,
    s: dict[str, float],
) -> str:
    verdict_help = "within" if s["ohm_help_s"] <= HELP_TARGET_S else "over"
    verdict_turn = "meets" if s["turn_ratio_median"] <= 1.0 else "misses"
    return f"""{START}
## Cold start: `ohm --help` and one turn in a fresh process

Measured with `{COMMAND} --rounds {rounds}` on {when} UTC ({machine}). Each round runs
every program of a group once, as a fresh process, starting one place further along the
list than the round before; times are wall clock from spawn to exit.

**Start-up.** `ohm --help` against a bare Typer program with one command asked for its
`--help`. Median `ohm --help` {s["ohm_help_s"]:.3f} s, `ohm --version` {s["ohm_version_s"]:.3f} s
({verdict_help} the 0.3 s target); a test (`tests/integration/test_cli_startup.py`) checks
that `--help`, `--version` and argument errors import none of LangGraph, LangChain,
OpenAI, SQLAlchemy's ORM, FastAPI, uvicorn or tree-sitter.

{help_table}

**One turn.** The bare program is written by the benchmark: it imports `langgraph` and
`langchain_openai`, builds classify → conditional edge → one specialist with
`AsyncSqliteSaver`, and streams one turn. Ohm runs `ohm ask MESSAGE --thread T` with
`OHM_BASE_URL` pointed at the same fake OpenAI-compatible server on loopback and a dummy
key (`BYTEZ_API_KEY=test-key-0001`). The server answers every request at once with plain
text and no tool calls. To make both do the same work, both send the *second* message of
a thread, seeded by an untimed first run just before: both load a saved checkpoint, make
one classification request and one answer request (the benchmark counts the server's
requests and stops if either side makes other than two), write their checkpoints and
exit. Ohm's classifier asks for a structured answer, gets plain text, and routes to its
conversational specialist, as a real model's unusable answer would. Ohm also opens its
artifact store, records the thread and builds all six specialists with their tools; the
bare program has none of that. The last column is Ohm on its offline simulator (the
simulator is Ohm's built-in stand-in for a model, started inside the process; it answers
with its own scripted text, so that work differs and the column is for information).
Median ratio {s["turn_ratio_median"]:.2f}×, worst round {s["turn_ratio_worst_round"]:.2f}×
({verdict_turn} the 1.0× target).

{turn_table}

Where the import time goes, one run of each under `python -X importtime` (the tracing
inflates every number alike; self time summed by top-level package):

{import_table}

What was cut, and why it was slow (see `app/startup.py` and `app/cli.py`):

- `app.cli` imported every layer at module level, so `ohm --help` loaded LangGraph,
  LangChain, the OpenAI types, SQLAlchemy's ORM and the checks (2.5 s). Each command group
  now lives in its own module that imports only Typer at the top; the graph, the store
  and the model layer load inside the commands that use them, and `ohm check` (rules,
  YAML, the firmware parser) loads only when called.
- Python's cyclic garbage collector ran hundreds of passes while ~2000 modules were
  imported and the graph was built, rescanning objects that live as long as the process,
  and once more over all of them at exit. `ohm` turns it off during start-up, then moves
  what start-up made into the permanent generation (`gc.freeze()`) and turns it back on,
  so long `chat` and `serve` sessions still collect.
- The checks (rules, parts catalog, tree-sitter firmware parser) were imported to build
  the tools; they now load on the first check. The dashboard (FastAPI, uvicorn) loads
  only in `ohm serve`, the offline simulator only when no key is set.

Numbers: `bench/results/coldstart.json`.
{END}"""


if __name__ == "__main__":
    main()
