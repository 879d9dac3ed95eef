"""A replayed or forked turn reads the running summary visible at its checkpoint: the
specialist is shown that one, and the summarizer rewrites that one, never the newest
summary of another branch or of a later turn."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage

from graph.assembly_line import AssemblyLine
from nodes.deps import Deps
from nodes.summary import SUMMARY_TYPE
from persistence.store import ArtifactStore
from tests.fakes import ModelBook

MARKS = ("mark-one-41", "mark-two-42", "mark-fork-43", "mark-replay-44")


def summary(mark: str) -> AIMessage:
    return AIMessage(f"## Goal\nA plant waterer.\n\n## Constraints\n- noted as {mark}")


def system_text(prompt: list[BaseMessage]) -> str:
    assert isinstance(prompt[0], SystemMessage)
    return str(prompt[0].content)


def marks_in(text: str) -> list[str]:
    return [m for m in MARKS if m in text]


async def test_a_fork_then_a_replay_each_read_the_summary_of_their_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_SUMMARY_EVERY", "2")
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    book = ModelBook(conversational=[AIMessage(f"Reply {i}.") for i in range(1, 7)])
    book.add("summarizer", *(summary(m) for m in MARKS))
    chat = book.models["conversational"].prompts
    summarizer = book.models["summarizer"].prompts
    async with AssemblyLine(
        data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store)
    ) as line:
        for text in ("A plant waterer on two AA cells", "Which pump?", "Which sensor?", "Mains?"):
            await line.achat(text, thread="t", agent="chat")
        # Turn 2 wrote the first summary and turn 4 the second, on the one branch so far.
        assert [marks_in(v.content) for v in store.history("default", SUMMARY_TYPE)] == [
            ["mark-one-41"],
            ["mark-two-42"],
        ]
        routed = [h for h in await line.ahistory("t") if h.node == "classify"]
        fourth = routed[3]
        assert fourth.next == ("conversational",)

        # Fork turn 4: at its checkpoint only the first summary existed.
        forked = await line.areplay("t", fourth.checkpoint_id, intent="CHAT")
        assert forked.reply == "Reply 5."
        assert marks_in(system_text(chat[4])) == ["mark-one-41"]
        assert marks_in(str(summarizer[2][-1].content)) == ["mark-one-41"]
        newest = store.latest("default", SUMMARY_TYPE)
        assert newest is not None and marks_in(newest.content) == ["mark-fork-43"]

        # Then replay turn 4 of the first branch: the fork's summary is the newest one
        # now, but it is on another branch; turn 4's own summary came after the checkpoint.
        replayed = await line.areplay("t", fourth.checkpoint_id)
        assert replayed.reply == "Reply 6."
        assert marks_in(system_text(chat[5])) == ["mark-one-41"]
        assert marks_in(str(summarizer[3][-1].content)) == ["mark-one-41"]

        # Each branch's summary step wrote at its own checkpoint; seen from the end of
        # each turn-4 branch, that branch's own summary is the one there.
        seen = []
        for h in await line.ahistory("t"):
            if h.node == "summarize" and h.step > fourth.step:
                at = await line.aartifacts_at("t", h.checkpoint_id)
                seen += [marks_in(v.content) for v in at if v.type == SUMMARY_TYPE]
    assert len(summarizer) == 4
    assert sorted(seen) == [["mark-fork-43"], ["mark-replay-44"], ["mark-two-42"]]
