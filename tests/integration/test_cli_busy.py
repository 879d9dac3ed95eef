"""Two `ohm ask` processes on one thread at the same moment: one runs, the other is told
the thread is busy (exit 3), or, with --wait, runs after it; never a forked thread."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import assert_index_matches_langgraph

pytestmark = pytest.mark.integration
OHM = str(Path(sys.executable).with_name("ohm"))


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYTEZ_API_KEY")}
    env.update(
        OHM_OFFLINE="1",
        OHM_OFFLINE_LATENCY_S="0.4",  # every model answer takes a while: the turns overlap
        OHM_DATA_DIR=str(tmp_path / "data"),
    )
    return env


def _both(tmp_path: Path, *extra: str) -> list[subprocess.CompletedProcess[str]]:
    env = _env(tmp_path)
    first = subprocess.run(
        [OHM, "ask", "A weather station on an ESP32", "--thread", "S", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    procs = [
        subprocess.Popen(
            [OHM, "ask", text, "--thread", "S", "--json", *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for text in ("What parts do I need?", "How do I wire it all up?")
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=180)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


async def _thread_users(tmp_path: Path) -> list[str]:
    from graph.assembly_line import AssemblyLine

    async with AssemblyLine(data_dir=tmp_path / "data") as line:
        await assert_index_matches_langgraph(line, "S")
        state = await line.graph.aget_state({"configurable": {"thread_id": "S"}})
        snaps = [
            s async for s in line.graph.aget_state_history({"configurable": {"thread_id": "S"}})
        ]
        children: dict[str, int] = {}
        for s in snaps:
            parent = (s.parent_config or {}).get("configurable", {}).get("checkpoint_id")
            if parent:
                children[parent] = children.get(parent, 0) + 1
        assert max(children.values()) == 1, "the thread forked"
        line.store.close()
        return [m.content for m in state.values["messages"] if m.type == "human"]


async def test_the_second_of_two_concurrent_asks_is_refused(tmp_path: Path) -> None:
    runs = _both(tmp_path)
    codes = sorted(r.returncode for r in runs)
    assert codes == [0, 3], [(r.returncode, r.stderr) for r in runs]
    refused = next(r for r in runs if r.returncode == 3)
    errors = [ln for ln in refused.stderr.splitlines() if not ln.startswith("offline:")]
    assert len(errors) == 1, refused.stderr
    line = errors[0]
    assert line.startswith("error: thread S is busy with a turn")
    assert "--wait" in line
    accepted = next(r for r in runs if r.returncode == 0)
    reply = json.loads(accepted.stdout.splitlines()[-1])
    users = await _thread_users(tmp_path)
    assert len(users) == 2 and reply["thread_id"] == "S"


async def test_with_wait_both_run_one_after_the_other(tmp_path: Path) -> None:
    runs = _both(tmp_path, "--wait", "120")
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    users = await _thread_users(tmp_path)
    assert sorted(users[1:]) == ["How do I wire it all up?", "What parts do I need?"]
