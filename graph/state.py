"""Graph state: the conversation plus how the current turn was routed.

Only plain values and LangChain messages live here, so checkpoints load without any
serializer allow-list.

The conversation is a :class:`~langgraph.channels.DeltaChannel`: a checkpoint stores only
the messages its step added (in the saver's append-only writes table), and LangGraph
rebuilds the list from those writes when a checkpoint is loaded. A plain ``add_messages``
channel re-serialises the whole conversation at every step, so a thread's storage would
grow with the square of its length. Now and then (every ``SNAPSHOT_EVERY`` updates) the
whole list is stored once, which bounds how many writes a load replays. Threads saved
before this change hold the whole list in each checkpoint; LangGraph reads such a value
as the starting point, so they keep working.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, cast

from langchain_core.messages import (
    AnyMessage,
    BaseMessageChunk,
    RemoveMessage,
    convert_to_messages,
)
from langgraph.channels import DeltaChannel
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict

SNAPSHOT_EVERY = 1000
"""Message updates between two full copies of the conversation in the checkpoints: a
40-turn thread makes a few hundred, so most threads never store a full copy."""


def append_messages(current: list[AnyMessage], writes: Sequence[Any]) -> list[AnyMessage]:
    """Fold a batch of ``messages`` writes into the conversation, as ``add_messages``
    would one by one.

    A message without an id gets one from its position in the conversation, not a random
    one: the list is rebuilt from the stored writes on every load, and the ids must come
    out the same each time (and in every batching of the same writes).

    Every load of a checkpoint folds all of the thread's writes, so the common case (new
    messages and replacements by id) keeps one id index for the whole fold instead of
    rebuilding it per write as ``add_messages`` does, which made a load grow with the
    square of the thread's length. A write with a removal or a message chunk goes through
    ``add_messages`` itself."""
    out = list(current)
    index: dict[str, int] | None = None
    for write in writes:
        batch = convert_to_messages(write if isinstance(write, list) else [write])
        for i, m in enumerate(batch):
            if m.id is None:
                m.id = f"ohm-msg-{len(out) + i}"
        if index is None and all(m.id is not None for m in out):
            index = {cast(str, m.id): i for i, m in enumerate(out)}
        if index is None or any(isinstance(m, RemoveMessage | BaseMessageChunk) for m in batch):
            out = add_messages(out, batch)  # type: ignore[assignment,arg-type]
            index = None
            continue
        for m in cast(list[AnyMessage], batch):
            key = cast(str, m.id)
            pos = index.get(key)
            if pos is None:
                index[key] = len(out)
                out.append(m)
            else:
                out[pos] = m
    return out


Conversation = Annotated[
    list[AnyMessage], DeltaChannel(append_messages, snapshot_frequency=SNAPSHOT_EVERY)
]


class InputState(TypedDict):
    messages: Conversation


class OhmState(InputState, total=False):
    intent: str | None
    """One of nodes.agents.INTENTS (BOM, CODE, WIRING, DEBUG, CHAT, VERIFY, DATASHEET,
    BUDGET...); None for the kickoff turn."""
    agent: str | None
    """The specialist answering this turn (after the turn: the one that answered)."""
    previous_agent: str | None
    """The specialist that answered the turn before, for follow-ups."""
    route: str | None
    """How the agent was chosen: initializer, classifier, local, forced or fallback."""
    route_reason: str | None
    route_confidence: float | None
    """The local router's confidence when it chose the agent (route "local")."""
    steps: int
    """Model calls made by the specialist in this turn (bounded by its step limit)."""
    turn: int
