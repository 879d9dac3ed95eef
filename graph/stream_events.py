"""From LangGraph's stream chunks to Ohm's typed events (see :mod:`graph.events`).

One turn's graph run is read once, in :func:`turn_events`: the "updates" stream gives the
routing and the tool calls and results, "custom" what the tools saved (and key rotations),
"messages" the text deltas, "checkpoints" the turn's last checkpoint. Every failure
becomes one ``error`` event (worded by :mod:`graph.failures`), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import StreamMode

from nodes.agents import SPECIALISTS
from nodes.classifier import message_text
from nodes.limits import max_reply_chars
from tools.results import outcome_of

from .builder import CompiledOhmGraph
from .context import OhmContext
from .events import (
    AgentSelected,
    ArtifactRef,
    ArtifactWritten,
    KeyRotation,
    OhmEvent,
    TextDelta,
    ToolCalled,
    ToolResult,
    TurnFinished,
    TurnResult,
    WarningEvent,
)
from .failures import error_event

__all__ = ["clip", "custom_event", "short_args", "tool_summary", "turn_events"]


def clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def short_args(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in args.items():
        if isinstance(v, str):
            out[k] = clip(v, 200)
        elif isinstance(v, (dict, list)):
            out[k] = clip(json.dumps(v, ensure_ascii=False), 200)
        else:
            out[k] = v
    return out


def tool_summary(msg: ToolMessage) -> tuple[bool, str]:
    """Whether the call worked and one short line about it, from its typed outcome."""
    outcome = outcome_of(msg)
    return outcome.ok, clip(outcome.summary)


async def turn_events(
    graph: CompiledOhmGraph,
    graph_input: Any,
    config: RunnableConfig,
    ctx: OhmContext,
    deltas: bool = True,
) -> AsyncIterator[OhmEvent]:
    """Run the graph on ``graph_input`` and yield Ohm's events for it, ending with
    ``done`` (the turn's result) or ``error``: the graph's update, custom, checkpoint and
    (with ``deltas``) message streams, read in one pass."""
    thread_id = str(config["configurable"]["thread_id"])
    events: list[OhmEvent] = []
    artifacts: list[ArtifactRef] = []
    reply_parts: list[str] = []
    final: AIMessage | None = None
    current_agent: str | None = None
    reply_cap = max_reply_chars()
    streamed: dict[str, int] = {}
    # "checkpoints" hands over each checkpoint as it is saved; the last one is the
    # turn's end, so its id and routing values need no read back from the database.
    modes: list[StreamMode] = ["updates", "custom", "checkpoints"]
    last_saved: dict[str, Any] | None = None

    def keep(ev: OhmEvent) -> OhmEvent:
        events.append(ev)
        return ev

    try:
        async for item in graph.astream(
            graph_input,
            config,
            context=ctx,
            # The "messages" mode is what makes the models stream: without a
            # consumer for the text deltas, each answer comes back in one piece.
            stream_mode=[*modes, "messages"] if deltas else modes,
        ):
            mode, chunk = cast(tuple[str, Any], item)
            if mode == "checkpoints":
                last_saved = chunk
            elif mode == "messages":
                msg, meta = chunk
                node = meta.get("langgraph_node")
                if (
                    node in SPECIALISTS
                    and isinstance(msg, AIMessageChunk)
                    and isinstance(msg.content, str)
                    and msg.content
                ):
                    # Stream no further than a reply may be long; the saved reply is
                    # cut at the same place, with a note, and a warning follows.
                    room = reply_cap - streamed.get(node, 0)
                    if room > 0:
                        streamed[node] = streamed.get(node, 0) + len(msg.content)
                        yield TextDelta(agent=node, text=msg.content[:room])
            elif mode == "custom":
                ev = custom_event(chunk, current_agent)
                if ev is not None:
                    if isinstance(ev, ArtifactWritten) and not ev.deleted:
                        artifacts.append(
                            ArtifactRef(type=ev.artifact_type, path=ev.path, version=ev.version)
                        )
                    yield keep(ev)
            elif mode == "updates":
                for node, update in chunk.items():
                    if not isinstance(update, dict):
                        continue
                    if node in ("entry", "classify") and update.get("agent"):
                        current_agent = update["agent"]
                        yield keep(
                            AgentSelected(
                                agent=update["agent"],
                                intent=update.get("intent"),
                                route=update.get("route") or "classifier",
                                reason=update.get("route_reason"),
                                confidence=update.get("route_confidence"),
                            )
                        )
                    for m in update.get("messages") or []:
                        if isinstance(m, AIMessage) and node in SPECIALISTS:
                            current_agent = node
                            for tc in m.tool_calls:
                                yield keep(
                                    ToolCalled(
                                        agent=node,
                                        tool=tc["name"],
                                        call_id=tc.get("id") or "",
                                        args=short_args(tc.get("args") or {}),
                                    )
                                )
                            if not m.tool_calls:
                                final = m
                            elif message_text(m).strip():
                                reply_parts.append(message_text(m))
                        elif isinstance(m, ToolMessage):
                            ok, summary = tool_summary(m)
                            yield keep(
                                ToolResult(
                                    agent=current_agent or node.removesuffix("_tools"),
                                    tool=m.name or "",
                                    call_id=m.tool_call_id,
                                    ok=ok,
                                    summary=summary,
                                )
                            )
    except Exception as exc:  # every failure becomes one event, never a traceback
        yield error_event(exc, thread_id)
        return

    if last_saved is not None:
        values = dict(last_saved.get("values") or {})
        checkpoint_id = last_saved["config"]["configurable"].get("checkpoint_id")
    else:  # nothing ran (a resume with nothing left): read the newest checkpoint's row
        saver = graph.checkpointer
        assert isinstance(saver, BaseCheckpointSaver)
        latest = await saver.aget_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        )
        values = dict(latest.checkpoint["channel_values"]) if latest else {}
        checkpoint_id = latest.config["configurable"].get("checkpoint_id") if latest else None
    ohm_meta = (final.response_metadata.get("ohm") if final is not None else None) or {}
    result = TurnResult(
        project=ctx.project,
        thread_id=thread_id,
        checkpoint_id=checkpoint_id,
        intent=values.get("intent"),
        agent=values.get("agent"),
        route=values.get("route"),
        route_reason=values.get("route_reason"),
        route_confidence=values.get("route_confidence"),
        reply=message_text(final) if final is not None else "\n\n".join(reply_parts),
        artifacts=artifacts,
        events=[e.public() for e in events],
        limited=bool(ohm_meta.get("limited")),
    )
    yield TurnFinished(result=result)


def custom_event(chunk: Any, agent: str | None) -> OhmEvent | None:
    """The event for one item of the custom stream (what tools emit), or None."""
    if not isinstance(chunk, dict) or not isinstance(chunk.get("ohm"), dict):
        return None
    data = chunk["ohm"]
    kind = data.get("event")
    if kind == "artifact_written":
        return ArtifactWritten(
            agent=agent,
            artifact_type=data["artifact_type"],
            path=data.get("path"),
            version=int(data["version"]),
            created=bool(data.get("created", True)),
            deleted=bool(data.get("deleted", False)),
            errors=int(data.get("findings") or 0),
        )
    if kind == "warning":
        return WarningEvent(message=str(data.get("message", "")))
    if kind == "key_rotation":
        return KeyRotation(
            from_key=data.get("from_key"),
            to_key=data.get("to_key"),
            reason=str(data.get("reason", "")),
        )
    return None
