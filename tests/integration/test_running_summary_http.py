"""The running summary over real HTTP: what the model server receives, and the offline
simulator's rule-built summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.assembly_line import AssemblyLine
from nodes.summary import SUMMARY_INTRO, SUMMARY_TYPE
from providers.offline.summary import NOTE
from tests.conformance.server import Answer, ModelServer, role_text, serving

pytestmark = [pytest.mark.integration, pytest.mark.allow_hosts(["127.0.0.1"])]

KEY = "bz-summary-test-key-4q4q"
SUMMARY = (
    "## Goal\nA balcony weather station.\n\n## Constraints\n"
    "- must run a year on 3 AA cells (constraint-mark-31)"
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with serving(monkeypatch, KEY, OHM_SUMMARY_EVERY="2") as srv:
        yield srv


def system_of(body: dict[str, object]) -> str:
    return role_text(body, "system")


async def test_the_next_specialist_request_carries_the_summary(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script("summarizer", Answer(text=SUMMARY))
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        await line.achat("A weather station on 3 AA cells for a year", thread="w", agent="chat")
        await line.achat("Which sensor?", thread="w", agent="chat")
        saved = line.store.latest("default", SUMMARY_TYPE)
        last = await line.achat("And the enclosure?", thread="w", agent="chat")

    assert last.reply == server.fallback
    assert saved is not None and "constraint-mark-31" in saved.content
    [summary_request] = server.sent_to("summarizer")
    assert summary_request["model"] == "google/gemini-2.5-flash"
    assert "3 AA cells for a year" in str(summary_request["messages"])
    chats = server.sent_to("conversational")
    assert len(chats) == 3
    assert all("constraint-mark-31" not in system_of(b) for b in chats[:2])
    assert SUMMARY_INTRO in system_of(chats[2]) and "constraint-mark-31" in system_of(chats[2])


async def test_the_offline_simulator_writes_a_labelled_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_OFFLINE", "1")
    monkeypatch.setenv("OHM_SUMMARY_EVERY", "2")
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        await line.achat(
            "A weather station on an ESP32. It must run on batteries for a month.", thread="s"
        )
        deltas: list[str] = []
        async for ev in line.astream("What parts do I need?", thread="s"):
            if ev.type == "text":
                deltas.append(ev.text)
            elif ev.type == "done":
                reply = ev.result.reply
        first = line.store.latest("default", SUMMARY_TYPE)
        await line.achat("How do I wire it?", thread="s")
        await line.achat("Now the firmware please.", thread="s")
        second = line.store.latest("default", SUMMARY_TYPE)

    # The summary call streams too, but none of its text reaches the reply's stream.
    assert "".join(deltas).strip() == reply.strip() and NOTE not in "".join(deltas)
    assert first is not None and second is not None
    assert (first.version, second.version) == (1, 2)
    assert first.content.startswith(NOTE)  # it says the simulator made it
    for heading in ("Goal", "Constraints", "Decisions", "Parts chosen", "Files written"):
        assert f"## {heading}" in second.content
    # The early constraint survives the rewrite; the parts list shows up as chosen parts.
    assert "must run on batteries for a month" in second.content
    assert "BME280" in second.content
    assert "- wiring (v1)" in second.content
