"""Which rules run when an artifact is written, so "no problems" can say how many looked.

``findings_for`` (in ``integration``) decides what runs after a write: a wiring gets every
electrical rule, plus the BOM comparison when the project has a parts list and the
firmware pin check when it has code; a BOM gets the budget and catalog checks, and either
the list-only logic-level guess or the comparison with the wiring; code gets the blocking
call check, the board's pin checks when the board is known (from the wiring or
``platformio.ini``) and the I2C address check when there is wiring. ``rules_run`` answers
the same question from what the project held, naming each rule by the id its findings
carry (``findings.RULES``).
"""

from __future__ import annotations

from collections.abc import Iterable

from .wiring import WIRING_RULES

#: Rules the netlist itself reports while it is built (before any rule function runs).
NETLIST_RULES: tuple[str, ...] = ("unknown-part", "unknown-pin", "short-circuit")

#: The rule ids each function of ``WIRING_RULES`` reports, by the function's name.
WIRING_RULE_IDS: dict[str, tuple[str, ...]] = {
    "rule_logic_level": ("logic-level",),
    "rule_supply_voltage": ("supply-voltage",),
    "rule_power_budget": ("power-budget",),
    "rule_gpio_current": ("gpio-current",),
    "rule_led_resistor": ("led-resistor",),
    "rule_flyback": ("flyback-diode",),
    "rule_reserved_pins": ("reserved-pin",),
    "rule_input_only": ("input-only-pin",),
    "rule_common_ground": ("common-ground",),
    "rule_i2c_addresses": ("i2c-address-conflict",),
}

BOM_VS_WIRING: tuple[str, ...] = ("bom-missing-part", "bom-unwired-part")
BOARD_PIN_RULES: tuple[str, ...] = ("pin-mismatch", "input-only-pin", "reserved-pin")


def _unique(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


def wiring_rules() -> tuple[str, ...]:
    """Every rule ``check_wiring`` runs, in its order."""
    ids: list[str] = list(NETLIST_RULES)
    for rule in WIRING_RULES:
        ids += WIRING_RULE_IDS[rule.__name__]
    return _unique(ids)


def rules_run(
    kind: str,
    *,
    has_bom: bool = False,
    has_wiring: bool = False,
    has_code: bool = False,
    board_known: bool = False,
) -> tuple[str, ...]:
    """The rule ids run after writing an artifact of ``kind`` into a project that held a
    BOM, wiring or code as given; empty for types no check looks at."""
    if kind == "wiring":
        ids = list(wiring_rules())
        if has_bom:
            ids += BOM_VS_WIRING
        if has_code:
            ids.append("pin-mismatch")
        return _unique(ids)
    if kind == "bom":
        ids = ["unknown-part", "power-budget"]
        ids += BOM_VS_WIRING if has_wiring else ["logic-level"]
        return _unique(ids)
    if kind == "code":
        ids = ["blocking-call"]
        if has_wiring or board_known:
            ids += BOARD_PIN_RULES
        if has_wiring:
            ids.append("i2c-address-mismatch")
        return _unique(ids)
    return ()
