"""``ohm check`` sub-app through Typer's test runner: exit codes 0/1/2 and the JSON shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from app.check_cli import check_app, check_artifacts
from tools.schemas import CodeFile

runner = CliRunner()


def _conn(a: str, ap: str, b: str, bp: str) -> dict[str, str]:
    return {"from_component": a, "from_pin": ap, "to_component": b, "to_pin": bp}


GOOD_WIRING: dict[str, Any] = {
    "components": [
        {"id": "mcu", "part": "esp32-devkit-v1"},
        {"id": "env", "part": "bme280"},
    ],
    "connections": [
        _conn("mcu", "3V3", "env", "VIN"),
        _conn("mcu", "GND", "env", "GND"),
        _conn("mcu", "GPIO21", "env", "SDA"),
        _conn("mcu", "GPIO22", "env", "SCL"),
    ],
}
BAD_WIRING: dict[str, Any] = {
    **GOOD_WIRING,
    "connections": [_conn("mcu", "VIN", "env", "VIN"), *GOOD_WIRING["connections"][1:]],
}
BOM: dict[str, Any] = {
    "project_name": "Weather",
    "components": [
        {
            "name": "ESP32 board",
            "part_number": "ESP32-DEVKITC-32E",
            "manufacturer": "Espressif",
            "catalog_id": "esp32-devkit-v1",
        },
        {
            "name": "BME280",
            "part_number": "BME280",
            "manufacturer": "Bosch",
            "catalog_id": "bme280",
        },
    ],
}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.json").write_text(json.dumps(GOOD_WIRING))
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(BAD_WIRING))
    (tmp_path / "bom.json").write_text(json.dumps(BOM))
    (tmp_path / "broken.json").write_text('{"components": [')
    (tmp_path / "notes.txt").write_text("just some notes")
    fw = tmp_path / "fw"
    (fw / "src").mkdir(parents=True)
    (fw / "include").mkdir()
    (fw / "include" / "config.h").write_text("#define SDA_PIN 21\n#define SCL_PIN 22\n")
    (fw / "src" / "main.cpp").write_text(
        '#include <Wire.h>\n#include "config.h"\n'
        "void setup() { Wire.begin(SDA_PIN, SCL_PIN); }\n"
        "void loop() {\n  if (Serial.available()) Serial.read();\n  delay(2000);\n}\n"
    )
    (fw / "platformio.ini").write_text("[env:esp32dev]\nplatform = espressif32\nboard = esp32dev\n")
    return tmp_path


def _json(output: str) -> list[dict[str, Any]]:
    data = json.loads(output)
    assert set(data) == {"findings"}
    for f in data["findings"]:
        assert {"rule", "severity", "message", "components", "pins", "fix", "location"} <= set(f)
    return data["findings"]


def test_clean_wiring_exits_0(files: Path) -> None:
    res = runner.invoke(check_app, ["wiring", str(files / "good.json"), "--json"])
    assert res.exit_code == 0
    assert _json(res.output) == []


def test_wiring_with_an_error_exits_1_in_json_and_table(files: Path) -> None:
    res = runner.invoke(check_app, ["wiring", str(files / "bad.yaml"), "--json"])
    assert res.exit_code == 1
    found = _json(res.output)
    assert any(f["rule"] == "supply-voltage" and f["severity"] == "error" for f in found)
    table = runner.invoke(check_app, ["wiring", str(files / "bad.yaml")])
    assert table.exit_code == 1
    assert "supply-voltage" in table.output and "error" in table.output


def test_bom_with_wiring(files: Path) -> None:
    res = runner.invoke(
        check_app, ["bom", str(files / "bom.json"), "--wiring", str(files / "good.json"), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert _json(res.output) == []


def test_code_folder_with_delay_in_loop_exits_1(files: Path) -> None:
    res = runner.invoke(
        check_app, ["code", str(files / "fw"), "--wiring", str(files / "good.json"), "--json"]
    )
    assert res.exit_code == 1, res.output
    found = _json(res.output)
    assert [(f["rule"], f["severity"]) for f in found] == [("blocking-call", "error")]
    assert found[0]["location"] == "src/main.cpp:6"
    assert "reads serial input" in found[0]["message"]


def test_blink_sketch_warns_and_exits_0(tmp_path: Path) -> None:
    sketch = tmp_path / "Blink.ino"
    sketch.write_text(
        "void setup() { pinMode(LED_BUILTIN, OUTPUT); }\n"
        "void loop() {\n"
        "  digitalWrite(LED_BUILTIN, HIGH);\n  delay(1000);\n"
        "  digitalWrite(LED_BUILTIN, LOW);\n  delay(1000);\n}\n"
    )
    res = runner.invoke(check_app, ["code", str(sketch), "--json"])
    assert res.exit_code == 0, res.output
    found = _json(res.output)
    assert [(f["rule"], f["severity"]) for f in found] == [("blocking-call", "warning")] * 2
    assert "Nothing else in loop() is time-critical" in found[0]["message"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["wiring", "{d}/missing.json"], "no such file"),
        (["wiring", "{d}/broken.json"], "not valid JSON"),
        (["wiring", "{d}/bom.json"], "not valid"),
        (["bom", "{d}/good.json"], "bom is not valid"),
        (["code", "{d}/notes.txt"], "not a firmware file"),
        (["bom", "{d}/bom.json", "--wiring", "{d}/broken.json"], "not valid JSON"),
    ],
)
def test_unreadable_or_invalid_input_exits_2_with_one_line(
    files: Path, args: list[str], needle: str
) -> None:
    res = runner.invoke(check_app, [a.format(d=files) for a in args])
    assert res.exit_code == 2
    assert res.exception is None or isinstance(res.exception, SystemExit)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0]
    assert "Traceback" not in res.output


def test_check_artifacts_accepts_stored_content() -> None:
    code = json.dumps(
        [{"path": "src/main.cpp", "content": "void setup(){}\nvoid loop(){ delay(100); }\n"}]
    )
    found = check_artifacts(json.dumps(BOM), json.dumps(BAD_WIRING), code)
    rules = {f.rule for f in found}
    assert {"supply-voltage", "blocking-call"} <= rules
    same = check_artifacts(None, None, [CodeFile(path="a.ino", content="void loop(){delay(50);}")])
    assert [f.rule for f in same] == ["blocking-call"]


def test_rules_lists_every_rule() -> None:
    res = runner.invoke(check_app, ["rules", "--json"])
    assert res.exit_code == 0
    rules = json.loads(res.output)["rules"]
    assert {"logic-level", "blocking-call", "pin-mismatch", "short-circuit"} <= set(rules)


def test_rules_document_every_severity_with_a_reason() -> None:
    res = runner.invoke(check_app, ["rules", "--json"])
    data = json.loads(res.output)
    assert set(data["severity"]) == set(data["rules"])
    for rule, levels in data["severity"].items():
        assert levels, rule
        assert all(lv["severity"] in ("error", "warning", "info") and lv["when"] for lv in levels)
    assert {lv["severity"] for lv in data["severity"]["blocking-call"]} == {"error", "warning"}
    table = runner.invoke(check_app, ["rules"])
    assert table.exit_code == 0 and "Blink" in table.output
