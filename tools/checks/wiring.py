"""``check_wiring``: every electrical rule over one wiring artifact."""

from __future__ import annotations

from collections.abc import Callable

from tools.checks.catalog import Catalog
from tools.checks.findings import Finding, dedupe, sort_findings
from tools.checks.netlist import Netlist, build_netlist
from tools.checks.power_rules import (
    rule_common_ground,
    rule_i2c_addresses,
    rule_power_budget,
    rule_reserved_pins,
    rule_supply_voltage,
)
from tools.checks.signal_rules import (
    rule_flyback,
    rule_gpio_current,
    rule_input_only,
    rule_led_resistor,
    rule_logic_level,
)
from tools.schemas import Wiring

WIRING_RULES: tuple[Callable[[Netlist], list[Finding]], ...] = (
    rule_logic_level,
    rule_supply_voltage,
    rule_power_budget,
    rule_gpio_current,
    rule_led_resistor,
    rule_flyback,
    rule_reserved_pins,
    rule_input_only,
    rule_common_ground,
    rule_i2c_addresses,
)


def check_wiring(wiring: Wiring, catalog: Catalog | None = None) -> list[Finding]:
    """All wiring findings (unknown parts/pins, shorts, then each rule), errors first."""
    nl = build_netlist(wiring, catalog)
    findings = list(nl.findings)
    for rule in WIRING_RULES:
        findings.extend(rule(nl))
    return sort_findings(dedupe(findings))
