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

#: For each rule, when a finding is an error and when a warning (or info), and why: the
#: severity follows what the hazard does to the hardware, so it is documented with the
#: rule (``ohm check rules``) rather than left to each message.
SEVERITY: dict[str, tuple[tuple[Severity, str], ...]] = {
    "logic-level": (
        ("error", "a push-pull output drives above the receiving pin's absolute maximum "
         "(HC-SR04 ECHO 5 V into an ESP32's 3.6 V): the pin's clamp diode conducts and "
         "the chip is damaged over time; a series resistor alone does not help"),
        ("error", "pull-up resistors (a module's own or external) hold the line above what "
         "the pin tolerates (a 5 V I2C backpack on a 3.3 V-only bus): the idle bus sits "
         "there all the time; a level shifter or pull-ups to the lower rail clear it"),
        ("warning", "a weak source is above the limit (a level shifter's pulled-up side, a "
         "potentiometer wiper) or the AVR Wire library's 20-50 kΩ internal pull-ups, "
         "which the firmware can switch off"),
        ("warning", "a high below the receiver's VIH (3.3 V into a WS2812B that wants "
         "3.5 V): it may not read as high, but nothing is damaged"),
    ),
    "supply-voltage": (
        ("error", "above the part's maximum supply: it is damaged (motors and pumps only "
         "warn, as PWM can keep them in range)"),
        ("error", "below the datasheet cut-off, or more than 10 % under the minimum (a "
         "4.8-6 V servo or a 5 V relay module on 3.3 V): it cannot work"),
        ("warning", "a little under the minimum, outside the recommended band, a rail that "
         "can swing past the maximum, or a part that is wired but unpowered: marginal"),
    ),
    "power-budget": (
        ("error", "the typical draw is more than the supply pin gives: the rail collapses"),
        ("error", "the peak draw is more than it gives and a board runs from the same rail "
         "or regulator (a servo on the Uno's 5 V pin): the board browns out and resets"),
        ("warning", "only the peaks exceed a supply that feeds no board: the rail sags at "
         "start-up or stall"),
    ),
    "gpio-current": (
        ("error", "a GPIO powers a motor, coil, pump, servo or module, drives a bare base, "
         "or supplies more than its absolute maximum"),
        ("warning", "a GPIO supplies more than its comfortable limit but less than its "
         "maximum"),
    ),
    "led-resistor": (
        ("error", "no series resistor, or a current above the LED's or pin's maximum"),
        ("warning", "a current above the LED's rating or the pin's comfortable limit, or a "
         "resistor whose value can't be read"),
    ),
    "flyback-diode": (
        ("error", "a coil or motor switched by a transistor or GPIO with no diode, or with "
         "a reversed one: the turn-off spike destroys the switch"),
        ("warning", "switched by relay contacts: they survive, but arcing can reset boards"),
    ),
    "reserved-pin": (
        ("error", "a flash pin is used, or a strapping pin is held at the level that stops "
         "a normal boot (ESP32 GPIO0 low, GPIO12 high)"),
        ("warning", "a part's output on a boot-critical strapping pin, a strap that only "
         "affects uploads, a part on the USB serial pins, or a pin not on the header"),
        ("info", "a strapping pin whose wrong level only silences the boot log"),
    ),
    "input-only-pin": (("error", "the pin has no output driver: the output never changes"),),
    "common-ground": (("error", "without a shared 0 V reference the signal is undefined"),),
    "i2c-address-conflict": (
        ("error", "two devices on one bus answer at the same resolved address (address "
         "pins as wired; a multiplexer channel is a bus of its own): neither reads reliably"),
        ("warning", "an address the part cannot have, address pins wired to a setting the "
         "part lacks, or props.i2c_address that disagree with the wired pins"),
    ),
    "i2c-address-mismatch": (
        ("warning", "the firmware's address constant matches no wired device: begin() "
         "fails, but nothing is damaged"),
    ),
    "short-circuit": (
        ("error", "a supply on ground, two supply outputs at different voltages on one net "
         "(3V3 with 5V/VBUS/VIN, a cell with a regulator output), two regulators in "
         "parallel, or a regulator wired in reverse: current flows where nothing limits it"),
        ("warning", "a board's 3V3/5V pin fed by a supply at the same voltage: the two "
         "regulators fight only while USB is plugged in too"),
    ),
    "unknown-part": (
        ("error", "a wiring part id outside the catalog: its pins and voltages can't be "
         "checked"),
        ("warning", "a BOM line's catalog_id, or a KiCad symbol that maps to no catalog "
         "part: listed so the maker can map it, never guessed"),
    ),
    "unknown-pin": (("error", "a pin name the part does not have: the wire can't be checked"),),
    "bom-missing-part": (("warning", "the list and the wiring disagree; nothing is damaged"),),
    "bom-unwired-part": (("warning", "the list and the wiring disagree; nothing is damaged"),),
    "blocking-call": (
        ("error", "loop() waits while it also polls inputs, reads serial input, serves a "
         "network or runs a millis() schedule: presses, requests and deadlines are missed"),
        ("warning", "loop() waits but does nothing else time-critical (the classic Blink): "
         "it only slows the loop down"),
    ),
    "pin-mismatch": (
        ("error", "the firmware uses a pin the board lacks, or one that is not wired while "
         "a wired pin goes unused (the off-by-one-pin bug)"),
        ("warning", "a firmware pin with nothing wired to it, or a wired pin the firmware "
         "never uses"),
    ),
}  # fmt: skip


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
