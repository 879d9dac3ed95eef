"""64 ``ohm ask`` processes started together on one SQLite data directory.

    .venv/bin/python bench/burst_bench.py [--processes 64] [--src DIR] [--label NAME]

Each process runs one offline turn (``OHM_OFFLINE=1``: Ohm's built-in simulator, not a
language model) on a thread of its own, as a shell loop of ``ohm ask ... &`` would. Two
data directories are tried: a fresh one (every process races to create the schema) and
an existing one (one earlier turn already created it, as for a returning user). A process
fails when it exits non-zero or prints no reply; afterwards every thread's saved state is
read back and must hold the user's message and the reply that process printed.

``--src DIR`` runs the code of another checkout (its directory goes first on
``PYTHONPATH``), for a before/after comparison; the check afterwards always uses this one.
Prints a table, writes ``bench/results/burst.json`` and its own section of
``docs/benchmarks.md``. Target: 0 failures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import put_section  # noqa: E402
from graph.assembly_line import AssemblyLine  # noqa: E402
from nodes.classifier import message_text  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "burst.json"
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- burst-bench:start -->"
END = "<!-- burst-bench:end -->"
COMMAND = ".venv/bin/python bench/burst_bench.py"
MESSAGE = "I want to build a soil-moisture monitor on an ESP32 (burst {i})"
RUN_OHM = "import sys; from app.cli import main; sys.argv[0] = 'ohm'; main()"


def _env(data_dir: Path, src: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OHM_", "BYTEZ_"))}
    path = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)
    return env | {"OHM_OFFLINE": "1", "OHM_DATA_DIR": str(data_dir), "PYTHONPATH": path}


def _ask(message: str, thread: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN_OHM, "ask", message, "--thread", thread, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _saved_turns(data_dir: Path, threads: list[str]) -> dict[str, list[str]]:
    """Each thread's messages as its latest checkpoint holds them."""
    out: dict[str, list[str]] = {}
    async with AssemblyLine(data_dir=data_dir) as line:
        for t in threads:
            snap = await line.graph.aget_state({"configurable": {"thread_id": t}})
            out[t] = [message_text(m) for m in (snap.values or {}).get("messages", [])]
    return out


def _first_error(err: str, returncode: int) -> str:
    """The ``error:`` line, or for a traceback the exception line that ends it."""
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("error:"):
            return line
    if not returncode:
        return ""
    raised = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception)\b", line)]
    return "traceback: " + (raised[-1] if raised else lines[-1] if lines else "no output")


def burst(data_dir: Path, processes: int, src: Path) -> dict[str, Any]:
    env = _env(data_dir, src)
    threads = [f"b{i}" for i in range(processes)]
    outcomes: dict[str, dict[str, Any]] = {}
    began = time.monotonic()

    def wait(i: int, t: str, p: subprocess.Popen[str]) -> None:
        out, err = p.communicate(timeout=900)
        done = time.monotonic() - began
        reply = ""
        with contextlib.suppress(json.JSONDecodeError, IndexError):
            reply = json.loads(out.splitlines()[-1]).get("reply", "")
        outcomes[t] = {
            "message": MESSAGE.format(i=i),
            "returncode": p.returncode,
            "reply": reply,
            "error": _first_error(err, p.returncode),
            "stderr_tail": err.strip().splitlines()[-25:] if p.returncode else [],
            "done_s": done,
        }

    procs = [_ask(MESSAGE.format(i=i), t, env) for i, t in enumerate(threads)]
    waiters = [
        threading.Thread(target=wait, args=(i, t, p))
        for i, (t, p) in enumerate(zip(threads, procs, strict=True))
    ]
    for w in waiters:
        w.start()
    for w in waiters:
        w.join()
    wall = time.monotonic() - began
    saved = asyncio.run(_saved_turns(data_dir, threads))
    failed = {t: o for t, o in outcomes.items() if o["returncode"] != 0 or not o["reply"]}
    kept = [
        t
        for t, o in outcomes.items()
        if t not in failed and o["message"] in saved[t] and o["reply"] in saved[t]
    ]
    done = sorted(o["done_s"] for o in outcomes.values())
    return {
        "processes": processes,
        "failures": len(failed),
        "errors": dict(Counter(o["error"] or "no reply" for o in failed.values())),
        "failed_stderr": {t: o["stderr_tail"] for t, o in failed.items()},
        "replies_saved": len(kept),
        "wall_s": round(wall, 2),
        "first_done_s": round(done[0], 2),
        "median_done_s": round(statistics.median(done), 2),
    }


def run(processes: int, src: Path) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="ohm-burst-") as tmp:
        fresh = Path(tmp) / "fresh"
        results["fresh"] = burst(fresh, processes, src)
        existing = Path(tmp) / "existing"
        first = _ask("A weather station on an ESP32", "warmup", _env(existing, src))
        _out, err = first.communicate(timeout=300)
        if first.returncode != 0:
            raise SystemExit(f"the turn that prepares the existing data directory failed: {err}")
        results["existing"] = burst(existing, processes, src)
    return results


def table(runs: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| code | data directory | processes | failures | replies saved | burst wall (s) "
        "| first / median process done (s) | errors |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, by_dir in runs.items():
        for where, r in by_dir.items():
            errors = "; ".join(f"{n}× `{e}`" for e, n in r["errors"].items()) or "-"
            lines.append(
                f"| {label} | {where} | {r['processes']} | {r['failures']} | "
                f"{r['replies_saved']} | {r['wall_s']:.1f} | "
                f"{r['first_done_s']:.1f} / {r['median_done_s']:.1f} | {errors} |"
            )
    return "\n".join(lines) + "\n"


def write_doc(summary: dict[str, Any]) -> None:
    commands = "; ".join(f"`{c}`" for c in summary["commands"])
    section = (
        f"{START}\n"
        "## Many processes on one data directory: 64 `ohm ask` at once\n\n"
        f"Measured with {commands} on {summary['measured_at']} ({summary['machine']}, "
        f"Python {summary['python']}; the machine was shared, so the times are loose). "
        "Every process is a fresh `ohm ask ... --thread bN --json` running one offline turn "
        "(the built-in simulator, not a language model) on its own thread, all started at "
        "once on one SQLite data directory: a *fresh* one, where they race to create the "
        "schema, and an *existing* one, prepared by one earlier turn. *Replies saved* "
        "counts threads whose saved state holds the user's message and the printed reply. "
        "*before* is commit 355737e, the code before the read-only schema check, Alembic "
        "and WAL on the checkpoints (`git archive 355737e | tar -x -C /tmp/ohm-before`); "
        "*after* is the code with them.\n\n"
        f"{table(summary['runs'])}\n"
        + "".join(f"{note}\n\n" for note in summary.get("notes", []))
        + "Target: 0 failures. Numbers: `bench/results/burst.json`.\n"
        f"{END}\n"
    )
    put_section(START, END, section)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=64)
    ap.add_argument("--src", type=Path, default=ROOT, help="checkout whose code the burst runs")
    ap.add_argument("--label", default="after", help="name of this code in the table")
    ap.add_argument(
        "--rewrite-doc",
        action="store_true",
        help="only rewrite the docs section from bench/results/burst.json (after editing notes)",
    )
    args = ap.parse_args()
    if args.rewrite_doc:
        write_doc(json.loads(RESULTS.read_text()))
        return 0
    runs = run(args.processes, args.src.resolve())
    command = COMMAND + (f" --src {args.src} --label {args.label}" if args.src != ROOT else "")
    # Runs of other checkouts (and their commands) stay in the results file beside this one.
    summary: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    summary.setdefault("runs", {})[args.label] = runs
    summary.setdefault("commands_by_label", {})[args.label] = command
    summary |= {
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
    }
    summary["commands"] = list(summary["commands_by_label"].values())
    print(table({args.label: runs}))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    write_doc(summary)
    print(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
    return 0 if all(r["failures"] == 0 for r in runs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
