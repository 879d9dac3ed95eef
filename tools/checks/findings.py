"""The one shape every check reports in, so tools, CLI and exports treat all rules alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


class Finding(BaseModel):
    """One problem (or note) about a design.

    ``rule`` is a stable id (``logic-level``, ``blocking-call``...) that programs can key on;
    ``message`` and ``fix`` are written for the maker. ``components`` holds wiring component
    ids (or BOM line names), ``pins`` holds ``component.PIN`` references, ``location`` a
    ``path:line`` for firmware findings.
    """

    model_config = ConfigDict(extra="forbid")

    rule: str
    severity: Severity
    message: str
    components: list[str] = Field(default_factory=list)
    pins: list[str] = Field(default_factory=list)
    fix: str = ""
    location: str | None = None


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then by rule and message, so output is stable run to run."""
    return sorted(
        findings,
        key=lambda f: (SEVERITY_ORDER[f.severity], f.rule, f.location or "", f.message),
    )


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """Drop repeats (same rule, severity and message), keeping the first."""
    seen: set[tuple[str, str, str, str]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.rule, f.severity, f.message, f.location or "")
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
