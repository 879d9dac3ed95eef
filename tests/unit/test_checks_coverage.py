"""The count behind "no problems found by N rules": the rules that run for each write."""

from __future__ import annotations

from tools.checks.bom import check_bom
from tools.checks.code import check_code
from tools.checks.coverage import WIRING_RULE_IDS, rules_run, wiring_rules
from tools.checks.findings import RULES
from tools.checks.wiring import WIRING_RULES, check_wiring
from tools.schemas import Bom, BomComponent, CodeFile, Wiring


def test_every_wiring_rule_function_is_counted_by_the_ids_it_reports() -> None:
    assert [r.__name__ for r in WIRING_RULES] == list(WIRING_RULE_IDS)
    assert set(wiring_rules()) <= set(RULES)
    assert len(wiring_rules()) == 13


def test_what_runs_depends_on_what_the_project_holds() -> None:
    alone = rules_run("wiring")
    with_all = rules_run("wiring", has_bom=True, has_code=True)
    assert set(alone) < set(with_all)
    assert {"bom-missing-part", "bom-unwired-part", "pin-mismatch"} == set(with_all) - set(alone)
    assert "logic-level" in rules_run("bom") and "logic-level" not in rules_run(
        "bom", has_wiring=True
    )
    assert rules_run("code") == ("blocking-call",)
    assert "i2c-address-mismatch" in rules_run("code", has_wiring=True)
    assert "pin-mismatch" in rules_run("code", board_known=True)
    assert rules_run("prd") == () and rules_run("context") == ()
    for kind in ("bom", "wiring", "code"):
        assert set(rules_run(kind, has_bom=True, has_wiring=True, has_code=True)) <= set(RULES)


WIRING = Wiring.model_validate(
    {
        "components": [
            {"id": "mcu", "part": "esp32-devkit-v1"},
            {"id": "sonar", "part": "hc-sr04"},
            {"id": "x", "part": "no-such-part"},
        ],
        "connections": [
            {
                "from_component": "sonar",
                "from_pin": "ECHO",
                "to_component": "mcu",
                "to_pin": "GPIO19",
            },
            {
                "from_component": "mcu",
                "from_pin": "GPIO6",
                "to_component": "sonar",
                "to_pin": "TRIG",
            },
            {"from_component": "mcu", "from_pin": "NOPE", "to_component": "x", "to_pin": "A"},
        ],
    }
)


def test_every_finding_comes_from_a_rule_that_is_counted() -> None:
    bom = Bom(
        project_name="p",
        components=[
            BomComponent(
                name="Relay", part_number="R1", manufacturer="m", catalog_id="relay-module-5v"
            ),
            BomComponent(name="Thing", part_number="T1", manufacturer="m", catalog_id="not-a-part"),
        ],
    )
    code = [
        CodeFile(
            path="src/main.cpp",
            content="void setup(){pinMode(23, OUTPUT);} void loop(){delay(500);}",
        )
    ]
    pairs = [
        (check_wiring(WIRING), rules_run("wiring")),
        (check_bom(bom), rules_run("bom")),
        (check_bom(bom, WIRING), rules_run("bom", has_wiring=True)),
        (check_code(code, WIRING), rules_run("code", has_wiring=True)),
    ]
    seen = set()
    for findings, counted in pairs:
        assert findings
        for f in findings:
            assert f.rule in counted, (f.rule, counted)
            seen.add(f.rule)
    assert {"logic-level", "reserved-pin", "unknown-part", "blocking-call"} <= seen
