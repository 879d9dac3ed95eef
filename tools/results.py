"""What a tool call did, as a typed object kept on its ToolMessage.

Tools answer the model with JSON text (that is what the model reads) and keep a
``ToolOutcome`` as the message's ``artifact`` (LangChain's ``content_and_artifact``), stored
as plain data so every checkpointer can hold it. Everything that wants to know what a call
did (the event stream, the dashboard, the step-limit message) reads it through
:func:`outcome_of`, the one place that also understands messages from older checkpoints,
whose tool results carried no artifact.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import ToolMessage
from pydantic import BaseModel, Field, ValidationError


class WrittenVersion(BaseModel):
    """One artifact version a call saved (or a deletion it recorded)."""

    type: str
    path: str | None = None
    version: int
    created: bool = False
    deleted: bool = False

    @property
    def label(self) -> str:
        name = f"{self.type} {self.path}" if self.path else self.type
        return f"{name} v{self.version}" + (" (deleted)" if self.deleted else "")


class ToolOutcome(BaseModel):
    ok: bool = True
    summary: str = Field(default="", description="One short line for people.")
    error: str | None = None
    written: list[WrittenVersion] = Field(default_factory=list)
    findings: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def check_errors(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f.get("severity") == "error"]

    def as_artifact(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _clip(text: str, limit: int = 160) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def written_summary(written: list[WrittenVersion], findings: list[dict[str, Any]]) -> str:
    errors = sum(1 for f in findings if f.get("severity") == "error")
    text = "wrote " + ", ".join(w.label for w in written) if written else "nothing written"
    return text + (f"; {errors} check error(s)" if errors else "")


def outcome_of(msg: ToolMessage) -> ToolOutcome:
    """The typed outcome of a tool call, from its artifact (or, for a message saved before
    tools kept one, from the JSON text the tool answered with)."""
    art = msg.artifact
    if isinstance(art, ToolOutcome):
        return art
    if isinstance(art, dict):
        try:
            return ToolOutcome.model_validate(art)
        except ValidationError:
            pass
    return _legacy_outcome(msg)


def _legacy_outcome(msg: ToolMessage) -> ToolOutcome:
    text = msg.content if isinstance(msg.content, str) else str(msg.content)
    failed = msg.status == "error"
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        data = None
    if not isinstance(data, dict):
        return ToolOutcome(ok=not failed, summary=_clip(text), error=text if failed else None)
    if not data.get("ok", True):
        err = str(data.get("error", "failed"))
        return ToolOutcome(ok=False, summary=_clip(err), error=err)
    raw = [w for w in data.get("written") or [] if isinstance(w, dict)]
    if isinstance(data.get("deleted"), dict):
        raw.append({**data["deleted"], "deleted": True})
    written: list[WrittenVersion] = []
    for w in raw:
        try:
            written.append(WrittenVersion.model_validate(w))
        except ValidationError:
            continue
    findings = [f for f in data.get("findings") or [] if isinstance(f, dict)]
    if written:
        summary = written_summary(written, findings)
    elif "artifacts" in data:
        summary = f"{len(data['artifacts'])} artifact(s)"
    elif "exists" in data:
        summary = "found" if data["exists"] else "not found"
    else:
        summary = _clip(text)
    return ToolOutcome(ok=True, summary=summary, written=written, findings=findings)
