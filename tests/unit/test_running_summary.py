"""The running summary: written every few turns, shown to every specialist, never in the way."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage

from graph.assembly_line import AssemblyLine, TurnError
from nodes.agents import SPECIALISTS, ConfigError, agent_spec, resolve_agent
from nodes.deps import Deps
from nodes.summary import SUMMARY_INTRO, SUMMARY_TYPE, summary_every
from persistence.store import ArtifactStore
from tests.fakes import ModelBook

SUMMARY = "## Goal\nA plant waterer.\n\n## Constraints\n- runs on two AA cells (summary-mark-7)"


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")


def chat_book(replies: int, summaries: list[AIMessage] | None = None) -> ModelBook:
    book = ModelBook(conversational=[AIMessage(f"Reply {i + 1}.") for i in range(replies)])
    if summaries is not None:
        book.add("summarizer", *summaries)
    return book


async def checkpoints_per_turn(
    book: ModelBook, store: ArtifactStore, data_dir: Path, messages: list[str]
) -> list[int]:
    counts: list[int] = []
    config = {"configurable": {"thread_id": "t"}}
    async with AssemblyLine(data_dir=data_dir, deps=Deps(models=book, store=lambda: store)) as line:
        before = 0
        for m in messages:
            await line.achat(m, thread="t", agent="chat")
            total = len([s async for s in line.graph.aget_state_history(config)])  # type: ignore[arg-type]
            counts.append(total - before)
            before = total
    return counts


def system_text(prompt: list[BaseMessage]) -> str:
    assert isinstance(prompt[0], SystemMessage)
    return str(prompt[0].content)


def test_every_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OHM_SUMMARY_EVERY")
    assert summary_every() == 4
    monkeypatch.setenv("OHM_SUMMARY_EVERY", "0")
    assert summary_every() == 0
    for bad in ("often", "-2", "1.5"):
        monkeypatch.setenv("OHM_SUMMARY_EVERY", bad)
        with pytest.raises(ConfigError, match="OHM_SUMMARY_EVERY"):
            summary_every()


def test_the_summarizer_is_a_cheap_overridable_agent_no_one_routes_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "summarizer" not in SPECIALISTS
    with pytest.raises(ConfigError):
        resolve_agent("summarizer")
    assert agent_spec("summarizer").model == "google/gemini-2.5-flash"
    assert agent_spec("summarizer").tools == ()
    monkeypatch.setenv("OHM_MODEL_SUMMARIZER", "meta-llama/Llama-3.1-8B-Instruct")
    assert agent_spec("summarizer").model == "meta-llama/Llama-3.1-8B-Instruct"


async def test_turns_with_no_summary_due_take_the_same_steps(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = ["A plant waterer", "On batteries please", "What now?"]
    off = await checkpoints_per_turn(chat_book(3), store, tmp_path / "a", messages)
    monkeypatch.setenv("OHM_SUMMARY_EVERY", "3")
    other = ArtifactStore(f"sqlite:///{tmp_path / 'other.db'}")
    book = chat_book(3, [AIMessage(SUMMARY)])
    on = await checkpoints_per_turn(book, other, tmp_path / "b", messages)
    # Turns 1 and 2 are step for step what they are with no summary; turn 3 adds one step.
    assert on[:2] == off[:2]
    assert on[2] == off[2] + 1
    assert len(book.models["summarizer"].prompts) == 1
    assert store.latest("default", SUMMARY_TYPE) is None


async def test_the_summary_is_written_and_reaches_the_next_specialist(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_SUMMARY_EVERY", "2")
    book = chat_book(3, [AIMessage(SUMMARY)])
    async with AssemblyLine(
        data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store)
    ) as line:
        await line.achat("A plant waterer that must run on two AA cells", thread="t", agent="chat")
        assert store.latest("default", SUMMARY_TYPE) is None
        second = await line.achat("Which pump?", thread="t", agent="chat")
        saved = store.latest("default", SUMMARY_TYPE)
        third = await line.achat("And the sensor?", thread="t", agent="chat")

    assert second.reply == "Reply 2." and third.reply == "Reply 3."
    assert saved is not None and saved.version == 1
    assert (saved.agent, saved.thread_id) == ("summarizer", "t")
    assert saved.content.strip() == SUMMARY
    # The summarizer was sent the early constraint and the replies.
    [request] = book.models["summarizer"].prompts
    sent = str(request[-1].content)
    assert "must run on two AA cells" in sent and "Reply 2." in sent
    # The turn after it: the specialist's system prompt holds the summary, introduced as such.
    prompts = book.models["conversational"].prompts
    assert "summary-mark-7" not in system_text(prompts[1])
    latest = system_text(prompts[2])
    assert SUMMARY_INTRO in latest and "summary-mark-7" in latest


async def test_a_failing_summary_call_keeps_the_reply(
    store: ArtifactStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OHM_SUMMARY_EVERY", "1")

    def broken(_messages: list[BaseMessage]) -> AIMessage:
        raise RuntimeError("the summary model is down")

    book = chat_book(2, [broken])  # type: ignore[list-item]
    async with AssemblyLine(
        data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store)
    ) as line:
        with caplog.at_level(logging.WARNING, logger="nodes.summary"):
            first = await line.achat("A plant waterer", thread="t", agent="chat")
        book.add("summarizer", AIMessage(SUMMARY))
        second = await line.achat("Which pump?", thread="t", agent="chat")
        state = await line.graph.aget_state({"configurable": {"thread_id": "t"}})

    assert first.reply == "Reply 1." and second.reply == "Reply 2."
    assert "conversation summary was not updated" in caplog.text
    assert "the summary model is down" in caplog.text
    [saved] = store.history("default", SUMMARY_TYPE)  # only the second turn's summary
    assert "summary-mark-7" in saved.content
    replies = [m.content for m in state.values["messages"] if isinstance(m, AIMessage)]
    assert replies == ["Reply 1.", "Reply 2."]


async def test_a_bad_setting_is_one_line_before_the_turn_runs(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_SUMMARY_EVERY", "sometimes")
    book = chat_book(1)
    async with AssemblyLine(
        data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store)
    ) as line:
        with pytest.raises(TurnError) as err:
            await line.achat("A plant waterer", thread="t", agent="chat")
    assert "OHM_SUMMARY_EVERY" in str(err.value) and "\n" not in str(err.value)
    assert book.models["conversational"].prompts == []
