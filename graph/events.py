"""The events a caller sees during a turn: one typed union for the CLI, the dashboard and
embedding apps alike. Produced only by ``AssemblyLine`` from the graph's streams."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class TurnStarted(_Event):
    type: Literal["turn_started"] = "turn_started"
    project: str
    thread_id: str
    message: str


class AgentSelected(_Event):
    type: Literal["agent"] = "agent"
    agent: str
    intent: str | None
    route: str
    reason: str | None = None
    confidence: float | None = None
    """The local router's confidence when it chose the agent (route "local")."""


class TextDelta(_Event):
    type: Literal["text"] = "text"
    agent: str
    text: str


class ToolCalled(_Event):
    type: Literal["tool_call"] = "tool_call"
    agent: str
    tool: str
    call_id: str
    args: dict[str, Any]


class ToolResult(_Event):
    type: Literal["tool_result"] = "tool_result"
    agent: str
    tool: str
    call_id: str
    ok: bool
    summary: str


class ArtifactWritten(_Event):
    type: Literal["artifact"] = "artifact"
    agent: str | None
    artifact_type: str
    path: str | None
    version: int
    created: bool = True
    deleted: bool = False
    errors: int = 0
    """Check findings of severity error on this version."""


class KeyRotation(_Event):
    type: Literal["key_rotation"] = "key_rotation"
    from_key: str | None
    to_key: str | None
    reason: str


class WarningEvent(_Event):
    """Something the user should know that did not stop the turn (a reply that was cut)."""

    type: Literal["warning"] = "warning"
    message: str


class ErrorEvent(_Event):
    type: Literal["error"] = "error"
    kind: str
    message: str
    retryable: bool = False


class ArtifactRef(BaseModel):
    type: str
    path: str | None = None
    version: int


class TurnResult(BaseModel):
    project: str
    thread_id: str
    checkpoint_id: str | None
    intent: str | None
    agent: str | None
    route: str | None
    route_reason: str | None = None
    route_confidence: float | None = None
    """The local router's confidence when it chose the agent (route "local")."""
    reply: str
    artifacts: list[ArtifactRef] = Field(default_factory=list)
    events: list[dict[str, Any]] = Field(default_factory=list)
    limited: bool = False
    """True when the specialist hit its step limit before finishing."""


class TurnFinished(_Event):
    type: Literal["done"] = "done"
    result: TurnResult


OhmEvent = Annotated[
    TurnStarted
    | AgentSelected
    | TextDelta
    | ToolCalled
    | ToolResult
    | ArtifactWritten
    | KeyRotation
    | WarningEvent
    | ErrorEvent
    | TurnFinished,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[OhmEvent] = TypeAdapter(OhmEvent)
