"""A thread's checkpoints without rebuilding the conversation at each one.

``aget_state_history`` hydrates every channel of every checkpoint; with the conversation
in a ``DeltaChannel`` that means replaying the thread's writes once per checkpoint, which
for a long thread costs seconds and hundreds of megabytes. History, replay and fork need
far less: each checkpoint's parent, what runs next, the small routing values and the
newest message. This module reads those straight from the saver's rows, in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, convert_to_messages
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.pregel import Pregel

MESSAGES = "messages"


@dataclass(frozen=True)
class Checkpoint:
    id: str
    parent_id: str | None
    config: RunnableConfig
    metadata: dict[str, Any]
    created_at: str | None
    next: tuple[str, ...]
    values: dict[str, Any]
    """The checkpoint's channel values except the conversation (routing, counters)."""
    newest: BaseMessage | None
    """The newest message of the conversation at this checkpoint."""

    @property
    def source(self) -> str | None:
        return self.metadata.get("source")

    @property
    def step(self) -> int:
        return int(self.metadata.get("step", -1))


def _newer(a: Any, b: Any) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a > b
    return str(a) > str(b)


def next_nodes(graph: Pregel[Any, Any, Any, Any], tup: CheckpointTuple) -> tuple[str, ...]:
    """The nodes a run from this checkpoint would start with, decided as Pregel does:
    a node runs when one of its trigger channels holds a value with a version it has not
    seen yet."""
    cp = tup.checkpoint
    values, versions, seen = cp["channel_values"], cp["channel_versions"], cp["versions_seen"]
    out: list[str] = []
    for name, node in graph.nodes.items():
        node_seen = seen.get(name) or {}
        for ch in node.triggers:
            if ch not in values or ch not in versions:
                continue
            if ch not in node_seen or _newer(versions[ch], node_seen[ch]):
                out.append(name)
                break
    return tuple(out)


def _messages_written(tup: CheckpointTuple) -> list[BaseMessage]:
    written: list[BaseMessage] = []
    for _task, channel, value in tup.pending_writes or []:
        if channel == MESSAGES:
            written.extend(convert_to_messages(value if isinstance(value, list) else [value]))
    return written


async def checkpoint_index(
    graph: Pregel[Any, Any, Any, Any], saver: BaseCheckpointSaver, thread_id: str
) -> list[Checkpoint]:
    """Every checkpoint of the thread, oldest first."""
    config: RunnableConfig = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    rows = [t async for t in saver.alist(config)]
    rows.reverse()
    by_id: dict[str, Checkpoint] = {}
    after: dict[str, BaseMessage | None] = {}
    out: list[Checkpoint] = []
    for tup in rows:
        cid = str(tup.config["configurable"]["checkpoint_id"])
        parent_id = (tup.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        values = dict(tup.checkpoint["channel_values"])
        stored = getattr(values.get(MESSAGES), "value", values.get(MESSAGES))
        values.pop(MESSAGES, None)
        if isinstance(stored, list) and stored:  # a full copy (old threads, snapshots)
            newest: BaseMessage | None = convert_to_messages(stored)[-1]
        elif parent_id and parent_id in after:
            newest = after[parent_id]
        else:
            newest = by_id[parent_id].newest if parent_id in by_id else None
        values = {k: v for k, v in values.items() if not k.startswith(("branch:", "__"))}
        node = Checkpoint(
            id=cid,
            parent_id=str(parent_id) if parent_id else None,
            config=tup.config,
            metadata=dict(tup.metadata or {}),
            created_at=tup.checkpoint.get("ts"),
            next=next_nodes(graph, tup),
            values=values,
            newest=newest,
        )
        written = _messages_written(tup)
        after[cid] = written[-1] if written else newest
        by_id[cid] = node
        out.append(node)
    return out
