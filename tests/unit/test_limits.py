"""Limits that hold everywhere: long messages refused, long replies cut, big bodies 413."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import AIMessage

from app.web import WebConfig, create_app
from graph.assembly_line import AssemblyLine
from graph.events import TextDelta, TurnFinished, WarningEvent
from nodes.deps import Deps
from nodes.limits import MAX_MESSAGE_CHARS, LimitError, check_message, cut_reply
from persistence.store import ArtifactStore
from tests.fakes import ModelBook

JSON_HEADERS = {"x-ohm-client": "test"}


def test_a_message_over_the_limit_names_its_length_and_the_limit() -> None:
    assert check_message("x" * MAX_MESSAGE_CHARS)
    with pytest.raises(LimitError, match=r"is 20,001 characters; the limit is 20,000"):
        check_message("x" * (MAX_MESSAGE_CHARS + 1))
    with pytest.raises(LimitError, match="empty"):
        check_message("  \n")


def test_a_long_reply_is_cut_with_a_note() -> None:
    text, was = cut_reply("a" * 5000, limit=1000)
    assert was == 5000 and text.startswith("a" * 1000) and "cut this reply at 1,000" in text
    assert text.count("a") == 1000 + text[1000:].count("a")
    assert cut_reply("short", limit=1000) == ("short", None)


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")


async def test_a_long_message_saves_nothing(tmp_path: Path, store: ArtifactStore) -> None:
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=ModelBook(), store=lambda: store))
    async with line:
        with pytest.raises(LimitError):
            await line.achat("x" * (MAX_MESSAGE_CHARS + 1), thread="t")
        assert store.find_thread("t") is None
        state = await line.graph.aget_state({"configurable": {"thread_id": "t"}})
        assert not state.values


async def test_a_runaway_reply_is_cut_in_the_stream_the_result_and_the_checkpoint(
    tmp_path: Path, store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_MAX_REPLY_CHARS", "2000")
    book = ModelBook(project_initializer=[AIMessage("b" * 50_000)])
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store))
    async with line:
        events = [ev async for ev in line.astream("A weather station", thread="t")]
        state = await line.graph.aget_state({"configurable": {"thread_id": "t"}})
    streamed = "".join(ev.text for ev in events if isinstance(ev, TextDelta))
    assert len(streamed) <= 2000
    warnings = [ev for ev in events if isinstance(ev, WarningEvent)]
    assert warnings and "50,000 characters" in warnings[0].message
    done = events[-1]
    assert isinstance(done, TurnFinished)
    assert done.result.reply.startswith("b" * 2000) and "cut this reply" in done.result.reply
    saved = state.values["messages"][-1].content
    assert len(saved) < 2500 and saved == done.result.reply


@pytest.fixture
def client(store: ArtifactStore, tmp_path: Path) -> Iterator[TestClient]:
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=ModelBook(), store=lambda: store))
    app = create_app(WebConfig(data_dir=tmp_path / "d"), store=store, line=line)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def test_the_dashboard_refuses_big_bodies_with_413(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = b'{"message": "' + b"x" * 1_100_000 + b'"}'
    r = client.post(
        "/api/projects",
        content=big,
        headers={**JSON_HEADERS, "content-type": "application/json"},
    )
    assert r.status_code == 413 and "1,048,576 bytes" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"id": "p", "name": "'
        for _ in range(40):
            yield b"y" * 32_768
        yield b'"}'

    r = client.post(
        "/api/projects",
        content=chunks(),
        headers={**JSON_HEADERS, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert client.get("/api/projects").json() == []


def test_the_dashboard_uses_the_same_message_limit(client: TestClient) -> None:
    client.post("/api/projects", json={"id": "p"}, headers=JSON_HEADERS)
    r = client.post(
        "/api/projects/p/turns",
        json={"message": "x" * (MAX_MESSAGE_CHARS + 1), "stream": False},
        headers=JSON_HEADERS,
    )
    assert r.status_code == 422 and "20000" in r.json()["detail"]
