"""The circuit inspector's artifact: what a photo of the build shows against the wiring.

``write_inspection(inspection: Inspection)`` is a typed tool: the model sees the JSON
Schema below and the artifact is saved only when it fits. Each issue names the wiring
connection (``"mcu.GPIO21-sensor.SDA"``, as ``from-to``) or component id it concerns
when the photo lets the inspector tell.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel, ConfigDict, Field

from .artifacts import Runtime, _emit, run_scope

log = logging.getLogger(__name__)

InspectionStatus = Literal["pass", "fail", "warning"]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InspectionIssue(_Schema):
    summary: str = Field(description="What is wrong, in one sentence.")
    severity: Literal["critical", "major", "minor"] = "critical"
    connection: str | None = Field(
        default=None,
        description="The wiring connection it concerns, as 'comp.PIN-comp.PIN', if known.",
    )
    component: str | None = Field(
        default=None, description="The wiring component id it concerns, if known."
    )
    evidence: str = Field(default="", description="What in the photo or checks shows it.")
    fix: str = Field(default="", description="What to change.")


class Inspection(_Schema):
    """A comparison of a photo of the build with the project's wiring."""

    status: InspectionStatus = Field(
        description="pass: matches; warning: doubts or minor issues; fail: a critical issue."
    )
    confidence: float = Field(
        ge=0.0, le=1.0, description="How sure you are, 0 to 1 (low for a blurry photo)."
    )
    compared_with_wiring: bool = Field(
        description="False when there was no wiring artifact to compare the photo with."
    )
    wiring_version: int | None = Field(default=None, description="The wiring version compared.")
    observations: list[str] = Field(
        default_factory=list, description="What the photo shows (boards, wires, colours)."
    )
    critical_issues: list[InspectionIssue] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    photo: str | None = Field(default=None, description="The photo's file name.")


def build_inspection_tool(agent: str, store: Any) -> BaseTool:
    """``write_inspection`` bound to the store; the project comes from the run."""

    @tool("write_inspection")
    def write_inspection(inspection: Inspection, runtime: Runtime) -> str:
        """Save the inspection of the maker's photo as a new version of the project's
        `inspection` artifact. Earlier versions are kept."""
        project, meta = run_scope(runtime, agent)
        content = json.dumps(inspection.model_dump(mode="json"), ensure_ascii=False, indent=2)
        out = store().write(
            project, "inspection", lambda _prev: content, language="json", meta=meta
        )
        v = out.version
        _emit(
            runtime,
            {
                "event": "artifact_written",
                "artifact_type": "inspection",
                "path": None,
                "version": v.version,
                "created": out.created,
                "deleted": False,
                "findings": 0,
            },
        )
        return json.dumps(
            {
                "ok": True,
                "written": [
                    {
                        "type": "inspection",
                        "path": None,
                        "version": v.version,
                        "created": out.created,
                    }
                ],
            }
        )

    return write_inspection


def inspection_markdown(content: str) -> str:
    """An inspection artifact as Markdown for people (critical issues first)."""
    try:
        ins = Inspection.model_validate_json(content)
    except ValueError:
        return content
    lines = [
        f"**Status: {ins.status}** · confidence {ins.confidence:.0%}"
        + ("" if ins.compared_with_wiring else " · not compared with a wiring"),
        "",
    ]
    if ins.critical_issues:
        lines.append("### Critical issues")
        for i in ins.critical_issues:
            where = i.connection or i.component
            lines.append(
                f"- **{i.summary}**"
                + (f" (`{where}`)" if where else "")
                + (f" — {i.fix}" if i.fix else "")
            )
    for title, items in (
        ("What the photo shows", ins.observations),
        ("Suggestions", ins.suggestions),
    ):
        if items:
            lines += ["", f"### {title}", *(f"- {x}" for x in items)]
    return "\n".join(lines)
