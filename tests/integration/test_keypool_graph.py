"""The key pool under the real graph: the acceptance scenario of the key-pool issue.

Three keys against an OpenAI-compatible server on loopback; key 1 answers 429 with
Retry-After: 30 and key 2 answers 402. Several turns through ``AssemblyLine`` all succeed,
keys 1 and 2 each see exactly one request, the turns make exactly two more requests than
the same turns on healthy keys, and nothing sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.assembly_line import AssemblyLine, TurnError
from graph.events import ErrorEvent, KeyRotation, OhmEvent, TurnFinished, TurnResult
from providers.factory import get_factory, reset_factory
from providers.keypool import ManualClock, SystemClock
from providers.keys import mask
from providers.offline.server import Fault, OfflineServer

pytestmark = [pytest.mark.integration, pytest.mark.allow_hosts(["127.0.0.1"])]

KEYS = ["bz-graph-key-one-1a1a", "bz-graph-key-two-2b2b", "bz-graph-key-three-3c3c"]
MESSAGES = (
    "I want to build a soil-moisture monitor on an ESP32 that waters my plants.",
    "What parts do I need?",
    "How do I wire it all up?",
    "Great, now write the firmware.",
)


class RecordingClock(SystemClock):
    """Real time, but every sleep is written down (there should be none)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        super().sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await super().asleep(seconds)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OfflineServer]:
    with OfflineServer() as srv:
        for i, key in enumerate(KEYS, start=1):
            monkeypatch.setenv(f"BYTEZ_API_KEY_{i}", key)
        monkeypatch.setenv("OHM_BASE_URL", srv.base_url)
        monkeypatch.setenv("OHM_KEY_WAIT_S", "20")
        monkeypatch.delenv("OHM_OFFLINE", raising=False)
        monkeypatch.delenv("OHM_KEY_STORE", raising=False)
        reset_factory()
        yield srv
        reset_factory()


async def run_turns(data_dir: Path, thread: str) -> tuple[list[TurnResult], list[OhmEvent]]:
    results: list[TurnResult] = []
    events: list[OhmEvent] = []
    async with AssemblyLine(data_dir=data_dir) as line:
        for message in MESSAGES:
            async for ev in line.astream(message, project="garden", thread=thread):
                events.append(ev)
                if isinstance(ev, ErrorEvent):
                    raise AssertionError(ev.message)
                if isinstance(ev, TurnFinished):
                    results.append(ev.result)
    return results, events


def hits(server: OfflineServer, i: int) -> int:
    return len(server.requests_for(KEYS[i]))


async def test_turns_succeed_with_one_key_rate_limited_and_one_out_of_credit(
    server: OfflineServer, tmp_path: Path
) -> None:
    healthy, _ = await run_turns(tmp_path / "healthy", "t-healthy")
    needed = len(server.records)
    assert needed >= len(MESSAGES)

    server.clear_records()
    reset_factory()
    clock = RecordingClock()
    get_factory().pool.clock = clock
    server.faults.set(
        KEYS[0],
        [Fault(status=429, body={"error": "Rate limit exceeded"}, headers={"Retry-After": "30"})],
    )
    server.faults.set(
        KEYS[1], [Fault(status=402, body={"status": 402, "error": "Payment Required"})]
    )

    results, events = await run_turns(tmp_path / "faulty", "t-faulty")

    assert [r.agent for r in results] == [r.agent for r in healthy]
    assert [r.reply for r in results] == [r.reply for r in healthy]
    assert (hits(server, 0), hits(server, 1)) == (1, 1)
    assert len(server.records) == needed + 2  # one extra round trip per bad key, no more
    assert clock.slept == []
    rotations = [e for e in events if isinstance(e, KeyRotation)]
    assert [(e.from_key, e.to_key) for e in rotations] == [
        (mask(KEYS[0]), mask(KEYS[1])),
        (mask(KEYS[1]), mask(KEYS[2])),
    ]
    assert rotations[0].reason.startswith("rate limited (429)")
    assert rotations[1].reason == "out of credit (402)"
    assert results[0].events and any(e["type"] == "key_rotation" for e in results[0].events)
    snap = {s.key: s for s in get_factory().pool.snapshot()}
    assert snap[mask(KEYS[0])].state == "cooling"
    assert snap[mask(KEYS[1])].state == "exhausted"
    assert snap[mask(KEYS[2])].successes == len(server.records) - 2


async def test_all_keys_down_keeps_the_message_and_resume_finishes_the_turn(
    server: OfflineServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_KEY_WAIT_S", "0")
    reset_factory()
    server.faults.set("*", [Fault(status=429, body={"error": "Rate limit exceeded"})])
    message = "I want to build a doorbell that texts me when someone rings."
    async with AssemblyLine(data_dir=tmp_path) as line:
        with pytest.raises(TurnError) as err:
            await line.achat(message, thread="t-down")
        text = err.value.event.message
        assert text.startswith("no Bytez key is available (3 keys: 3 cooling down")
        assert "ohm resume --thread t-down" in text
        assert "\n" not in text
        assert len(server.records) == 3
        history = await line.ahistory("t-down")
        assert any(message[:40] in h.message for h in history)

        server.faults.clear()
        get_factory().pool.clock = ManualClock(start=time.time() + 5)  # backoffs are over
        result = await line.aresume("t-down")
        assert result.reply and result.agent == "project_initializer"
