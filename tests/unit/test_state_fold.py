"""The conversation channel's fold gives exactly what ``add_messages`` one write at a time
gives, ids included, for any mix of new messages, replacements, removals and chunks."""

from __future__ import annotations

import random
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
    convert_to_messages,
)
from langgraph.graph.message import add_messages

from graph.state import append_messages


def reference(current: list[AnyMessage], writes: list[Any]) -> list[AnyMessage]:
    """The fold as it was first written: ``add_messages`` once per write."""
    out = list(current)
    for write in writes:
        batch = convert_to_messages(write if isinstance(write, list) else [write])
        for i, m in enumerate(batch):
            if m.id is None:
                m.id = f"ohm-msg-{len(out) + i}"
        out = add_messages(out, batch)  # type: ignore[assignment,arg-type]
    return out


def _random_writes(rng: random.Random, n: int) -> list[Any]:
    writes: list[Any] = []
    known: list[str] = []
    for step in range(n):
        batch: list[Any] = []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.35:
                batch.append(HumanMessage(f"user {step}"))  # no id: positional id
            elif roll < 0.6 or not known:
                mid = f"run-{step}-{len(batch)}"
                known.append(mid)
                batch.append(AIMessage(f"reply {step}", id=mid))
            elif roll < 0.75:
                batch.append(AIMessage(f"edited {step}", id=rng.choice(known)))
            elif roll < 0.85:
                batch.append(ToolMessage(f"tool {step}", tool_call_id=f"c{step}", id=f"t{step}"))
            elif roll < 0.93:
                batch.append(AIMessageChunk(content=f"chunk {step}", id=f"chunk-{step}"))
            else:
                victim = known.pop(rng.randrange(len(known)))
                batch.append(RemoveMessage(id=victim))
        writes.append(batch if rng.random() < 0.8 or len(batch) > 1 else batch[0])
    return writes


def _copy(writes: list[Any]) -> list[Any]:
    def one(m: Any) -> Any:
        return m.model_copy() if isinstance(m, BaseMessage) else m

    return [[one(m) for m in w] if isinstance(w, list) else one(w) for w in writes]


def _shape(msgs: list[AnyMessage]) -> list[tuple[str, str | None, Any]]:
    return [(type(m).__name__, m.id, m.content) for m in msgs]


@pytest.mark.parametrize("seed", range(40))
def test_fold_matches_add_messages_write_by_write(seed: int) -> None:
    rng = random.Random(seed)
    start: list[AnyMessage] = [HumanMessage("kickoff", id="ohm-msg-0")] if seed % 2 else []
    writes = _random_writes(rng, 30)
    try:
        want = reference(list(start), _copy(writes))
    except ValueError:  # a removal of an id that was replaced away: both must refuse
        with pytest.raises(ValueError):
            append_messages(list(start), _copy(writes))
        return
    got = append_messages(list(start), _copy(writes))
    assert _shape(got) == _shape(want)


def test_ids_do_not_depend_on_how_the_writes_are_batched() -> None:
    msgs = [HumanMessage("a"), AIMessage("b", id="r1"), HumanMessage("c"), AIMessage("d", id="r2")]
    one_write = append_messages([], [[m.model_copy() for m in msgs]])
    one_each = append_messages([], [m.model_copy() for m in msgs])
    assert _shape(one_write) == _shape(one_each)
    assert [m.id for m in one_each] == ["ohm-msg-0", "r1", "ohm-msg-2", "r2"]


def test_a_replacement_keeps_its_place() -> None:
    got = append_messages(
        [HumanMessage("q", id="h"), AIMessage("first", id="r")],
        [[AIMessage("second", id="r")], HumanMessage("next")],
    )
    assert [(m.id, m.content) for m in got] == [("h", "q"), ("r", "second"), ("ohm-msg-2", "next")]
