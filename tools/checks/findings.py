"""The one shape every check reports in, so tools, CLI and exports treat all rules alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

#: Every rule id the checks emit, with what it means.
RULES: dict[str, str] = {
    "logic-level": "a signal's high level is more than the receiving pin tolerates, or too "
    "low for it to read as high",
    "supply-voltage": "a part is powered outside its rated range, or not powered at all",
    "power-budget": "the loads draw more current than their supply can give",
    "gpio-current": "a GPIO powers a motor, coil, pump, servo or module, or drives a bare "
    "transistor base",
    "led-resistor": "an LED has no series resistor, or one too small for its current limit",
    "flyback-diode": "an inductive load is switched with no diode across it, or a reversed one",
    "reserved-pin": "a flash, strapping, USB-serial or internal pin is used in a way that "
    "can stop the board",
    "input-only-pin": "a pin that can only read is used as an output",
    "common-ground": "parts exchange signals without a shared ground",
    "i2c-address-conflict": "two devices on one I2C bus at the same address (or an address "
    "the part can't have)",
    "i2c-address-mismatch": "the firmware talks to an I2C address no wired device has",
    "short-circuit": "a supply is wired to ground, or two different rails are joined",
    "unknown-part": "a part id that is not in the catalog",
    "unknown-pin": "a pin name the part does not have",
    "bom-missing-part": "the wiring uses a part the BOM lacks (or lists too few of)",
    "bom-unwired-part": "the BOM lists a part the wiring never uses",
    "blocking-call": "loop() (or a function it calls) waits: delay, pulseIn, busy loops",
    "pin-mismatch": "a firmware pin is not wired, a wired pin is unused, or the pin does not exist",
}


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
