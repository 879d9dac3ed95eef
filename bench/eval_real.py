"""A short maker conversation through Ohm against a small real model on loopback.

    make eval-real                                   # or:
    .venv/bin/python bench/eval_real.py [--model 1.5b|0.5b] [--max-tokens 1024]

Opt-in and slow (not part of ``make test``): the first run builds llama.cpp's
``llama-server`` and fetches the weights (``bench/real_model.py``, cached under
``~/.cache/ohm-eval``), then every run serves the model on 127.0.0.1 and sends a kickoff,
a parts request and a wiring request through ``AssemblyLine`` exactly as ``ohm ask``
would, with Ohm's settings for a custom OpenAI-compatible endpoint (``OHM_BASE_URL``, a
placeholder key, ``OHM_MODEL``). Nothing is forced: the local router and the classifier
pick the agents.

Per agent it counts, from the turn's events (so it does not depend on which tools exist
or what they are called): tool calls, tool results that came back as failures (invalid
arguments or content the model has to fix), artifact versions saved, saved versions whose
checks found no error, model steps used against the agent's budget, and seconds. Writes
docs/benchmarks.md (section ``eval-real``) and bench/results/eval_real.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import real_model
from bench._common import machine, write_json, write_section

COMMAND = "make eval-real"
CONVERSATION = (
    ("kickoff", "I want to build a soil-moisture monitor on an ESP32 that waters my plants "
                "with a small 5 V pump. Powered from USB."),
    ("parts", "What parts do I need?"),
    ("wiring", "How do I wire it?"),
)  # fmt: skip
PLACEHOLDER_KEY = "local-llama-server-0000"


@dataclass
class AgentTally:
    """What one agent did over the conversation."""

    agent: str
    turns: int = 0
    tool_calls: int = 0
    failed_calls: int = 0
    saved: int = 0
    checks_passed: int = 0
    steps: int = 0
    max_steps: int = 0
    limited: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    saved_types: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def tally_events(events: list[Any], tallies: dict[str, AgentTally], default_agent: str) -> str:
    """Fold one turn's events into per-agent tallies; returns the agent that answered.

    Counted generically: every ``tool_call`` event is a call, every ``tool_result`` with
    ``ok`` false a failure, every new ``artifact`` version a save (passing its checks when
    it carries no error finding)."""
    answered = default_agent
    for ev in events:
        kind = getattr(ev, "type", None)
        agent = getattr(ev, "agent", None) or answered
        if kind == "agent":
            answered = ev.agent
            continue
        if kind not in ("tool_call", "tool_result", "artifact", "error"):
            continue
        t = tallies.setdefault(agent, AgentTally(agent))
        if kind == "tool_call":
            t.tool_calls += 1
        elif kind == "tool_result" and not ev.ok:
            t.failed_calls += 1
        elif kind == "artifact" and ev.created and not ev.deleted:
            t.saved += 1
            t.checks_passed += int(ev.errors == 0)
            t.saved_types.append(ev.artifact_type + (f" {ev.path}" if ev.path else ""))
        elif kind == "error":
            t.errors.append(f"{ev.kind}: {ev.message}"[:200])
    return answered


_TASK = re.compile(r"\| task (\d+) \|")
_PROMPT_EVAL = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_GEN_EVAL = re.compile(r"(?:^|\|)\s+eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_STOP = re.compile(r"stop processing: n_tokens = (\d+)")


@dataclass
class Request:
    """One model request as llama-server logged it."""

    task: int
    prompt_tokens: int = 0
    """Tokens in the request (system prompt, tool schemas, messages)."""
    processed_tokens: int = 0
    """Prompt tokens evaluated, the rest came from the server's prompt cache."""
    prompt_seconds: float = 0.0
    generated_tokens: int = 0
    generate_seconds: float = 0.0


def server_requests(log_text: str) -> list[Request]:
    """The requests in a stretch of llama-server's log, in order, from its timing lines.

    Per task the log prints the prompt tokens it evaluated and the tokens it generated,
    and at the end the tokens in the slot (prompt plus generated). A line with no task id
    belongs to the task named last (some versions break the timing line after it)."""
    by_task: dict[int, Request] = {}
    current: Request | None = None
    for line in log_text.splitlines():
        if task := _TASK.search(line):
            current = by_task.setdefault(int(task.group(1)), Request(int(task.group(1))))
        if current is None:
            continue
        if m := _PROMPT_EVAL.search(line):
            current.prompt_seconds = float(m.group(1)) / 1000
            current.processed_tokens = int(m.group(2))
        elif m := _GEN_EVAL.search(line):
            current.generate_seconds = float(m.group(1)) / 1000
            current.generated_tokens = int(m.group(2))
        elif m := _STOP.search(line):
            current.prompt_tokens = int(m.group(1))
    out = []
    for r in by_task.values():
        if not (r.processed_tokens or r.generated_tokens):
            continue
        r.prompt_tokens = max(r.prompt_tokens - r.generated_tokens, r.processed_tokens)
        out.append(r)
    return out


class LogTail:
    """What a log file gained since the last call (empty when there is no log)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.offset = path.stat().st_size if path is not None and path.exists() else 0

    def new_text(self) -> str:
        if self.path is None or not self.path.exists():
            return ""
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        self.offset += len(data)
        return data.decode("utf-8", "replace")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    binary: Path, gguf: Path, ctx: int, max_tokens: int, log_path: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [
        str(binary), "-m", str(gguf), "--host", "127.0.0.1", "--port", str(port),
        "-c", str(ctx), "-n", str(max_tokens), "--jinja", "-t", str(os.cpu_count() or 2),
        "--parallel", "1", "--no-webui",
    ]  # fmt: skip
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: llama-server exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    proc.kill()
    raise SystemExit(f"error: llama-server did not become ready; see {log_path}")


async def converse(
    data_dir: Path,
    max_tokens: int,
    turn_timeout: float,
    messages: tuple[tuple[str, str], ...],
    server_log: Path | None = None,
) -> tuple[list[dict[str, Any]], dict[str, AgentTally]]:
    from graph.assembly_line import AssemblyLine
    from nodes import agents

    # The agents' token limits are sized for large hosted models; a 2-core CPU would spend
    # minutes on one answer. Capped here for this process only.
    for name, spec in list(agents.AGENTS.items()):
        agents.AGENTS[name] = dataclasses.replace(spec, max_tokens=min(spec.max_tokens, max_tokens))
    tallies: dict[str, AgentTally] = {}
    turns: list[dict[str, Any]] = []
    log = LogTail(server_log)
    async with AssemblyLine(data_dir=data_dir) as line:
        for label, message in messages:
            events: list[Any] = []
            started = time.monotonic()
            status = "done"

            async def run(
                events: list[Any] = events, message: str = message, label: str = label
            ) -> None:
                async for ev in line.astream(message, project="default", thread="eval"):
                    events.append(ev)
                    if ev.type in ("tool_call", "tool_result", "artifact", "agent", "error"):
                        print(f"  [{label}] {_describe(ev)}", file=sys.stderr, flush=True)

            try:
                await asyncio.wait_for(run(), turn_timeout)
            except TimeoutError:
                status = f"stopped after {turn_timeout:.0f} s"
            seconds = time.monotonic() - started
            agent = tally_events(events, tallies, "unknown")
            t = tallies.setdefault(agent, AgentTally(agent))
            t.turns += 1
            t.seconds += seconds
            done = next((e for e in events if e.type == "done"), None)
            if done is not None:
                t.limited += int(done.result.limited)
            if any(e.type == "error" for e in events):
                status = "error"
            state = await line.graph.aget_state({"configurable": {"thread_id": "eval"}})
            t.steps += int(state.values.get("steps") or 0)
            t.max_steps = agents.AGENTS[agent].max_steps if agent in agents.AGENTS else 0
            requests = [dataclasses.asdict(r) for r in server_requests(log.new_text())]
            t.requests.extend(requests)
            for r in requests:
                print(
                    f"  [{label}] request: {r['prompt_tokens']} prompt tokens "
                    f"({r['processed_tokens']} evaluated in {r['prompt_seconds']:.0f} s), "
                    f"{r['generated_tokens']} generated in {r['generate_seconds']:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
            turns.append(
                {
                    "turn": label,
                    "message": message,
                    "agent": agent,
                    "route": next((e.route for e in events if e.type == "agent"), None),
                    "status": status,
                    "seconds": round(seconds, 1),
                    "reply": (done.result.reply[:400] if done is not None else ""),
                    "requests": requests,
                }
            )
            print(f"[{label}] {agent}: {status} in {seconds:.0f} s", file=sys.stderr, flush=True)
    return turns, tallies


def _describe(ev: Any) -> str:
    if ev.type == "tool_call":
        return f"{ev.agent} calls {ev.tool}"
    if ev.type == "tool_result":
        return f"{ev.agent} {ev.tool}: {'ok' if ev.ok else 'FAILED'} {ev.summary[:120]}"
    if ev.type == "artifact":
        return f"saved {ev.artifact_type} v{ev.version} ({ev.errors} check error(s))"
    if ev.type == "agent":
        return f"-> {ev.agent} ({ev.route})"
    return f"error {ev.kind}: {ev.message[:160]}"


def _largest_prompt(requests: list[dict[str, Any]]) -> str:
    return str(max((r["prompt_tokens"] for r in requests), default=0) or "-")


def render(meta: dict[str, Any], turns: list[dict[str, Any]], tallies: list[AgentTally]) -> str:
    recover = meta.get("recover_text_calls") or "none"
    require = meta.get("require_tool_calls") or "none"
    lines = [
        "## A short conversation with a small real model",
        "",
        f"Measured with `{COMMAND}` (`{meta['command']}`) on {meta['measured_at']} "
        f"({meta['machine']}, Python {meta['python']}): {meta['model']} served by llama.cpp's "
        f"`llama-server` on loopback (context {meta['ctx']} tokens, answers capped at "
        f"{meta['max_tokens']} tokens, {meta['threads']} threads), three messages in one "
        "thread, agents chosen by Ohm's routing; calls printed as text recovered for: "
        f"{recover}; a tool call required until the turn has saved for: {require}. "
        "*Failed* counts tool results that went back "
        "to the model as errors to fix; *checks passed* counts saved versions with no error "
        "finding; *steps* are model calls against the agent's budget; *prompt* is the "
        "largest request in tokens (system prompt, tool schemas and messages) as llama-server "
        "counted it. Numbers: `bench/results/eval_real.json`.",
        "",
        "| agent | turns | tool calls | failed | saved | checks passed | steps / budget "
        "| prompt | s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in tallies:
        budget = f"{t.steps} / {t.max_steps * t.turns}" if t.max_steps else str(t.steps)
        lines.append(
            f"| {t.agent} | {t.turns} | {t.tool_calls} | {t.failed_calls} | {t.saved} "
            f"| {t.checks_passed} | {budget} | {_largest_prompt(t.requests)} "
            f"| {t.seconds:.0f} |"
        )
    lines += [
        "",
        "| turn | agent | route | outcome | requests | generated | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for turn in turns:
        reqs = turn.get("requests") or []
        generated = sum(r["generated_tokens"] for r in reqs)
        lines.append(
            f"| {turn['turn']} | {turn['agent']} | {turn['route']} | {turn['status']} "
            f"| {len(reqs)} | {generated} | {turn['seconds']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(real_model.MODELS), default="1.5b")
    parser.add_argument("--max-tokens", type=int, default=1024, help="per model answer")
    parser.add_argument("--ctx", type=int, default=8192, help="llama-server context size")
    parser.add_argument("--turn-timeout", type=float, default=1200.0, help="seconds per turn")
    parser.add_argument("--turns", type=int, default=len(CONVERSATION))
    parser.add_argument(
        "--no-doc", action="store_true", help="write neither docs/benchmarks.md nor the JSON"
    )
    parser.add_argument(
        "--base-url", help="use this running OpenAI-compatible server (…/v1) instead of one here"
    )
    parser.add_argument(
        "--server-log", type=Path, help="with --base-url: that server's log, for request sizes"
    )
    parser.add_argument(
        "--require-tool-calls",
        default=None,
        metavar="AGENTS",
        help="agents asked for a tool call until their turn has saved "
        "(OHM_REQUIRE_TOOL_CALLS); default: what the model's entry says",
    )
    parser.add_argument(
        "--recover-text-calls",
        default=None,
        metavar="AGENTS",
        help="agents whose calls printed as text are run (OHM_RECOVER_TEXT_CALLS); "
        "default: what the model's entry says",
    )
    args = parser.parse_args(argv)

    spec = real_model.MODELS[args.model]
    recover = (
        spec.recover_text_calls if args.recover_text_calls is None else args.recover_text_calls
    )
    require = (
        spec.require_tool_calls if args.require_tool_calls is None else args.require_tool_calls
    )
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    if args.base_url:
        url = args.base_url.rstrip("/").removesuffix("/v1")
        log_path = args.server_log
    else:
        gguf = real_model.fetch_weights(spec)
        binary = real_model.build_server()
        log_path = real_model.cache_dir() / "llama-server.log"
        proc, url = start_server(binary, gguf, args.ctx, args.max_tokens, log_path)
    try:
        with tempfile.TemporaryDirectory(prefix="ohm-eval-") as tmp:
            os.environ.update(
                {
                    "OHM_BASE_URL": f"{url}/v1",
                    "BYTEZ_API_KEY": PLACEHOLDER_KEY,
                    "OHM_MODEL": spec.file.removesuffix(".gguf"),
                    "OHM_TIMEOUT_S": str(args.turn_timeout),
                    "OHM_DATA_DIR": tmp,
                }
            )
            for var in ("OHM_OFFLINE", "OHM_DATABASE_URL", "OHM_CHECKPOINT_URL", "OHM_CONFIG"):
                os.environ.pop(var, None)
            for var, value in (
                ("OHM_RECOVER_TEXT_CALLS", recover),
                ("OHM_REQUIRE_TOOL_CALLS", require),
            ):
                if value:
                    os.environ[var] = value
                else:
                    os.environ.pop(var, None)
            from providers.factory import reset_factory

            reset_factory()
            turns, tallies = asyncio.run(
                converse(
                    Path(tmp),
                    args.max_tokens,
                    args.turn_timeout,
                    CONVERSATION[: args.turns],
                    log_path,
                )
            )
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    meta = {
        **machine(),
        "command": f".venv/bin/python bench/eval_real.py --model {args.model} "
        f"--max-tokens {args.max_tokens} --ctx {args.ctx}"
        + (f" --recover-text-calls {recover}" if recover else "")
        + (f" --require-tool-calls {require}" if require else ""),
        "recover_text_calls": recover,
        "require_tool_calls": require,
        "model": spec.name,
        "ctx": args.ctx,
        "max_tokens": args.max_tokens,
        "threads": os.cpu_count() or 2,
    }
    ordered = sorted(tallies.values(), key=lambda t: t.agent)
    print(render(meta, turns, ordered))
    if not args.no_doc:
        write_json("eval_real", {**meta, "turns": turns, "agents": [t.row() for t in ordered]})
        write_section("eval-real", render(meta, turns, ordered))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
