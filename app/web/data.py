"""Reads for the pages and the API, each scoped to one project.

Every lookup takes the project id from the address and checks that the thread, checkpoint
or version asked for belongs to it, so changing an id in a URL can never reach another
project's data: it finds nothing and answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from markupsafe import Markup

from graph.assembly_line import AssemblyLine, CheckpointInfo
from nodes.attachments import attachment_refs
from nodes.classifier import message_text
from persistence.store import (
    ArtifactStore,
    InvalidIdError,
    NotFoundError,
    ProjectView,
    ThreadView,
    VersionView,
    validate_project_id,
    validate_thread_id,
)
from tools.results import outcome_of
from tools.schemas import ARTIFACT_TYPES

from .render import markdown_html


def checked_project(store: ArtifactStore, project_id: str) -> ProjectView:
    try:
        validate_project_id(project_id)
    except InvalidIdError:
        raise NotFoundError(f"unknown project {project_id!r}") from None
    return store.get_project(project_id)


def checked_thread(store: ArtifactStore, project_id: str, thread_id: str) -> ThreadView:
    """The thread, only if it belongs to ``project_id``."""
    checked_project(store, project_id)
    try:
        validate_thread_id(thread_id)
    except InvalidIdError:
        raise NotFoundError(f"unknown thread {thread_id!r}") from None
    thread = store.find_thread(thread_id)
    if thread is None or thread.project_id != project_id:
        raise NotFoundError(f"unknown thread {thread_id!r} in project {project_id!r}")
    return thread


def checked_type(artifact_type: str) -> str:
    if artifact_type not in ARTIFACT_TYPES:
        raise NotFoundError(
            f"unknown artifact type {artifact_type!r}; one of: {', '.join(ARTIFACT_TYPES)}"
        )
    return artifact_type


def checked_version(
    store: ArtifactStore, project_id: str, artifact_type: str, path: str, version: int | None
) -> VersionView:
    """One version (the newest when ``version`` is None) of an artifact in this project."""
    checked_project(store, project_id)
    checked_type(artifact_type)
    what = f"{artifact_type}{' ' + path if path else ''}"
    if version is None:
        found = store.latest(project_id, artifact_type, path, include_deleted=True)
        if found is None:
            raise NotFoundError(f"project {project_id!r} has no {what}")
        return found
    found = store.get_version(project_id, artifact_type, version, path)
    if found is None:
        raise NotFoundError(f"{what} has no version {version} in project {project_id!r}")
    return found


def checked_history(
    store: ArtifactStore, project_id: str, artifact_type: str, path: str
) -> list[VersionView]:
    checked_project(store, project_id)
    checked_type(artifact_type)
    rows = store.history(project_id, artifact_type, path)
    if not rows:
        what = f"{artifact_type}{' ' + path if path else ''}"
        raise NotFoundError(f"project {project_id!r} has no {what}")
    return rows


async def checked_timeline(
    line: AssemblyLine, store: ArtifactStore, project_id: str, thread_id: str
) -> list[CheckpointInfo]:
    """The thread's checkpoints, oldest first; empty for a thread with no turn yet."""
    checked_thread(store, project_id, thread_id)
    try:
        return await line.ahistory(thread_id)
    except NotFoundError:
        return []


async def checked_checkpoint(
    line: AssemblyLine, store: ArtifactStore, project_id: str, thread_id: str, checkpoint_id: str
) -> tuple[CheckpointInfo, list[CheckpointInfo]]:
    """The checkpoint by its id, a unique prefix of it (at least 6 characters) or
    ``@STEP``; ambiguous prefixes are a 400 that lists the candidates."""
    from app.ids import parse_checkpoint_ref, pick_checkpoint

    timeline = await checked_timeline(line, store, project_id, thread_id)
    for cp in timeline:
        if cp.checkpoint_id == checkpoint_id:
            return cp, timeline
    ref = parse_checkpoint_ref(checkpoint_id)
    if ref.thread not in (None, thread_id):
        raise NotFoundError(f"unknown checkpoint {checkpoint_id!r} in thread {thread_id!r}")
    return pick_checkpoint(timeline, ref, thread_id), timeline


# ------------------------------------------------------------------ transcript


@dataclass
class ToolLine:
    tool: str
    label: str
    ok: bool | None = None


@dataclass
class TurnView:
    """One exchange as the chat shows it: the message, who answered, what they did."""

    user: str
    agent: str | None = None
    intent: str | None = None
    route: str | None = None
    reason: str | None = None
    tools: list[ToolLine] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    reply: str = ""
    limited: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)
    """References of the files the message carried (see nodes.attachments)."""

    @property
    def reply_html(self) -> Markup:
        return markdown_html(self.reply, breaks=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.user,
            "agent": self.agent,
            "intent": self.intent,
            "route": self.route,
            "route_reason": self.reason,
            "tools": [t.__dict__ for t in self.tools],
            "artifacts": self.artifacts,
            "reply": self.reply,
            "limited": self.limited,
            "attachments": self.attachments,
        }


def tool_label(name: str, args: dict[str, Any]) -> str:
    target = args.get("artifact_type") or args.get("kind") or ""
    path = args.get("path") or ""
    return f"{name} {target}{' ' + path if path else ''}".strip()


def transcript(messages: list[BaseMessage]) -> list[TurnView]:
    """Group a thread's messages into turns for the chat."""
    turns: list[TurnView] = []
    calls: dict[str, ToolLine] = {}
    for m in messages:
        if isinstance(m, HumanMessage):
            turns.append(TurnView(user=message_text(m), attachments=attachment_refs(m)))
            continue
        if not turns:
            turns.append(TurnView(user=""))
        turn = turns[-1]
        if isinstance(m, AIMessage):
            meta = (m.response_metadata or {}).get("ohm") or {}
            for tc in m.tool_calls:
                line = ToolLine(tool=tc["name"], label=tool_label(tc["name"], tc.get("args") or {}))
                calls[tc.get("id") or ""] = line
                turn.tools.append(line)
            if not m.tool_calls:
                turn.reply = message_text(m)
                turn.agent = meta.get("agent") or turn.agent
                turn.intent = meta.get("intent")
                turn.route = meta.get("route")
                turn.reason = meta.get("route_reason")
                turn.limited = bool(meta.get("limited"))
        elif isinstance(m, ToolMessage):
            ok, written = _tool_outcome(m)
            if m.tool_call_id in calls:
                calls[m.tool_call_id].ok = ok
            turn.artifacts.extend(written)
    return turns


def _tool_outcome(m: ToolMessage) -> tuple[bool, list[dict[str, Any]]]:
    outcome = outcome_of(m)
    return outcome.ok, [w.model_dump() for w in outcome.written]


async def thread_messages(
    line: AssemblyLine, thread_id: str, checkpoint_id: str | None = None
) -> list[BaseMessage]:
    await line.open()
    conf: dict[str, Any] = {"thread_id": thread_id}
    if checkpoint_id:
        conf["checkpoint_id"] = checkpoint_id
    state = await line.graph.aget_state({"configurable": conf})
    return list((state.values or {}).get("messages") or [])
