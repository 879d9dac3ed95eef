"""The key pool as the ``ohm`` command shows it, run as a separate process.

With every key answering 429 and no wait budget, ``ohm ask`` exits non-zero with one clear
line and the message stays in the thread's history. And whatever happens, no raw key
appears in anything the program writes: stdout, stderr or the data directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.keys import mask
from providers.offline.server import Fault, OfflineServer

pytestmark = pytest.mark.integration

OHM = Path(sys.executable).with_name("ohm")
KEYS = ["bz-cli-key-first-f1f1", "bz-cli-key-second-s2s2", "bz-cli-key-third-t3t3"]
IDEA = "I want to build a soil-moisture monitor on an ESP32 that waters my plants."


@pytest.fixture
def server() -> Iterator[OfflineServer]:
    with OfflineServer() as srv:
        yield srv


def ohm_env(server: OfflineServer, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BYTEZ_API_KEY", "OHM_")) and k != "PYTEST_CURRENT_TEST"
    }
    env.update({f"BYTEZ_API_KEY_{i}": k for i, k in enumerate(KEYS, start=1)})
    env.update(OHM_BASE_URL=server.base_url, OHM_DATA_DIR=str(data_dir), COLUMNS="200")
    env.update(extra)
    return env


def ohm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OHM), *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_all_keys_rate_limited_is_one_line_and_the_message_is_kept(
    server: OfflineServer, tmp_path: Path
) -> None:
    server.faults.set("*", [Fault(status=429, body={"error": "Rate limit exceeded"})])
    env = ohm_env(server, tmp_path / "data", OHM_KEY_WAIT_S="0")

    run = ohm(env, "ask", "--thread", "t-cli", IDEA)

    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: no Bytez key is available (3 keys: 3 cooling down")
    assert "ohm resume --thread t-cli" in lines[0]
    assert "Traceback" not in run.stdout + run.stderr
    assert len(server.records) == 3  # one request per key, nothing retried on a dead key

    shown = ohm(env, "history", "--thread", "t-cli", "--json")
    assert shown.returncode == 0, shown.stderr
    assert any(IDEA[:60] in row["message"] for row in json.loads(shown.stdout))


def test_no_raw_key_in_anything_the_program_writes(server: OfflineServer, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server.faults.set(KEYS[0], [Fault(status=429, headers={"Retry-After": "30"})])
    server.faults.set(KEYS[1], [Fault(status=401, body={"error": f"unknown key {KEYS[1]}"})])
    env = ohm_env(server, data_dir)
    runs = [
        ohm(env, "ask", "--json", "--thread", "t-leak", IDEA, "What parts do I need?"),
        ohm(env, "ask", "--thread", "t-leak", "How do I wire it all up?"),
        ohm(env, "keys", "--json"),
        ohm(env, "keys"),
        ohm(env, "history", "--thread", "t-leak", "--json"),
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in runs[0].stdout.splitlines() if line.strip()]
    rotations = [e for r in events for e in r["events"] if e["type"] == "key_rotation"]
    assert rotations and rotations[0]["from_key"] == mask(KEYS[0])
    assert mask(KEYS[1]) in runs[0].stderr  # the rejected key is reported, masked
    report = json.loads(runs[2].stdout)
    assert [k["key"] for k in report["keys"]] == [mask(k) for k in KEYS]

    # A service that echoes the key in a refusal: the turn fails with one error line.
    server.faults.set(KEYS[2], [Fault(status=400, body={"error": f"key {KEYS[2]} may not"})])
    refused = ohm(env, "ask", "--thread", "t-leak", "And the enclosure?")
    assert refused.returncode != 0
    assert [ln for ln in refused.stderr.splitlines() if ln.startswith("error:")]
    assert "Traceback" not in refused.stderr
    runs.append(refused)

    written = [r.stdout.encode() + r.stderr.encode() for r in runs]
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files  # the database and checkpoints were written
    written += [p.read_bytes() for p in files]
    for raw in KEYS:
        for blob in written:
            assert raw.encode() not in blob
