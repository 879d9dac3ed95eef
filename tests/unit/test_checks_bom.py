"""BOM rules: power budget, logic levels at planning time, BOM against wiring; and check_project."""

from __future__ import annotations

from typing import Any

from tools.checks import check_bom, check_project
from tools.schemas import Bom, CodeFile, Wiring


def line(name: str, pn: str, qty: int = 1, **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "part_number": pn,
        "manufacturer": kw.pop("mfr", "Acme"),
        "quantity": qty,
        **kw,
    }


def bom(*lines: dict[str, Any], power: dict[str, Any] | None = None) -> Bom:
    data: dict[str, Any] = {"project_name": "test", "components": list(lines)}
    if power is not None:
        data["power_analysis"] = power
    return Bom.model_validate(data)


ESP = line("ESP32 board", "ESP32-DEVKITC-32E", catalog_id="esp32-devkit-v1")
SONAR = line("Ultrasonic sensor", "SEN-15569", catalog_id="hc-sr04")


def test_servos_beyond_the_supply_are_a_power_budget_error() -> None:
    b = bom(
        ESP,
        line("Servo", "MG996R", 3, catalog_id="mg996r"),
        power={"supply": "USB", "supply_current_ma": 1000},
    )
    hits = [f for f in check_bom(b) if f.rule == "power-budget"]
    assert [f.severity for f in hits] == ["error"]
    assert "1000 mA" in hits[0].message


def test_peak_over_supply_is_a_warning_and_understated_peak_is_flagged() -> None:
    b = bom(
        ESP,
        line("Servo", "SG90", 2, catalog_id="sg90"),
        power={"supply_current_ma": 1000, "peak_current_ma": 600},
    )
    hits = sorted((f.severity, f.message) for f in check_bom(b) if f.rule == "power-budget")
    assert [h[0] for h in hits] == ["warning", "warning"]
    assert any("600 mA peak" in m and "1670 mA" in m for _, m in hits)


def test_supply_part_in_the_list_sets_the_budget_and_text_currents_count() -> None:
    # 80 + 3800 = 3880 mA typical fits the 4 A adapter; 370 + 3800 = 4170 mA peak does not.
    b = bom(
        ESP,
        line("Mystery heater", "HTR-1", 1, current="3.8A"),
        line("5 V adapter", "GST25A05-P1J"),
    )
    hits = [f for f in check_bom(b) if f.rule == "power-budget"]
    assert [f.severity for f in hits] == ["warning"]
    assert "4170 mA peak" in hits[0].message and "5 V adapter gives 4000 mA" in hits[0].message
    two = bom(ESP, line("Mystery heater", "HTR-1", 2, current="3.8A"), line("PSU", "GST25A05-P1J"))
    assert [f.severity for f in check_bom(two) if f.rule == "power-budget"] == ["error"]


def test_5v_sensor_on_esp32_without_shifter_is_flagged_at_planning() -> None:
    found = [f for f in check_bom(bom(ESP, SONAR)) if f.rule == "logic-level"]
    assert [f.severity for f in found] == ["warning"] and "ECHO" in found[0].message
    with_r = bom(ESP, SONAR, line("Resistor 1k", "CFR-25JB-52-1K", 2, catalog_id="resistor"))
    assert [f.severity for f in check_bom(with_r) if f.rule == "logic-level"] == ["info"]
    shifted = bom(ESP, SONAR, line("Level shifter", "BOB-12009"))
    assert [f for f in check_bom(shifted) if f.rule == "logic-level"] == []


def test_a_5v_only_i2c_backpack_on_esp32_is_flagged_at_planning() -> None:
    lcd = line("LCD 16x2 with I2C backpack", "PCF8574T", catalog_id="lcd1602-i2c")
    found = [f for f in check_bom(bom(ESP, lcd)) if f.rule == "logic-level"]
    assert [f.severity for f in found] == ["warning"]
    assert "pulls SDA/SCL up" in found[0].message and "4.5 V" in found[0].message
    # Resistors cannot make a divider of a bidirectional bus; a shifter clears it.
    with_r = bom(ESP, lcd, line("Resistor 1k", "CFR-25JB-52-1K", 2, catalog_id="resistor"))
    assert [f.severity for f in check_bom(with_r) if f.rule == "logic-level"] == ["warning"]
    shifted = bom(ESP, lcd, line("Level shifter", "BOB-12009"))
    assert [f for f in check_bom(shifted) if f.rule == "logic-level"] == []
    oled = line("OLED", "SSD1306", catalog_id="ssd1306-i2c")  # no pull-ups of its own to 5 V
    assert [f for f in check_bom(bom(ESP, oled)) if f.rule == "logic-level"] == []


def test_3v3_sensor_on_a_5v_uno_is_flagged() -> None:
    uno = line("Arduino Uno", "A000066")  # matched by part number
    b = bom(uno, line("BME280 breakout", "BME280"))
    found = [f for f in check_bom(b) if f.rule == "logic-level"]
    assert len(found) == 1 and "5 V" in found[0].message


def test_unknown_catalog_id_suggests_close_ids() -> None:
    found = check_bom(bom(line("Sensor", "X1", catalog_id="bme-280")))
    assert [f.rule for f in found] == ["unknown-part"]
    assert "bme280" in found[0].fix


def _wiring() -> Wiring:
    return Wiring.model_validate(
        {
            "components": [
                {"id": "mcu", "part": "esp32-devkit-v1"},
                {"id": "r1", "part": "resistor", "props": {"value": 220}},
                {"id": "r2", "part": "resistor", "props": {"value": 220}},
                {"id": "r3", "part": "resistor", "props": {"value": 220}},
                {"id": "led", "part": "led-5mm"},
            ],
            "connections": [],
        }
    )


def test_bom_against_wiring() -> None:
    b = bom(
        ESP,
        line("Resistor 220R", "CFR-25JB-52-220R", 2, catalog_id="resistor"),
        line("BME280", "BME280", catalog_id="bme280"),
        line("Jumper wires", "JW-40"),
    )
    found = {(f.rule, f.message) for f in check_bom(b, _wiring())}
    rules = sorted(r for r, _ in found)
    assert rules == ["bom-missing-part", "bom-missing-part", "bom-unwired-part"]
    messages = " ".join(m for _, m in found)
    assert "3 x Resistor" in messages and "only 2" in messages
    assert "5 mm LED" in messages and "none" in messages
    assert "BME280" in messages


def test_matching_bom_and_wiring_has_no_findings() -> None:
    b = bom(
        ESP,
        line("Resistor 220R", "CFR-25JB-52-220R", 3, catalog_id="resistor"),
        line("Red LED", "WP7113ID"),
    )
    assert check_bom(b, _wiring()) == []


WEATHER_WIRING: dict[str, Any] = {
    "components": [
        {"id": "mcu", "part": "esp32-devkit-v1"},
        {"id": "env", "part": "bme280", "props": {"i2c_address": "0x76"}},
    ],
    "connections": [
        {"from_component": "mcu", "from_pin": p, "to_component": "env", "to_pin": q}
        for p, q in [("3V3", "VIN"), ("GND", "GND"), ("GPIO21", "SDA"), ("GPIO22", "SCL")]
    ],
}


def _weather_code(addr: str) -> list[CodeFile]:
    return [
        CodeFile(
            path="include/config.h",
            content=(
                f"#pragma once\n"
                f"#define I2C_SDA_PIN 21\n"
                f"#define I2C_SCL_PIN 22\n"
                f"#define BME280_ADDR {addr}\n"
            ),
        ),
        CodeFile(
            path="src/main.cpp",
            content=(
                "#include <Wire.h>\n"
                '#include "config.h"\n'
                "void setup() { Wire.begin(I2C_SDA_PIN, I2C_SCL_PIN); }\n"
                "void loop() {}\n"
            ),
        ),
    ]


def test_project_cross_checks_firmware_address_against_wiring() -> None:
    wiring = Wiring.model_validate(WEATHER_WIRING)
    b = bom(ESP, line("BME280", "BME280", catalog_id="bme280"))
    assert check_project(b, wiring, _weather_code("0x76")) == []
    found = check_project(b, wiring, _weather_code("0x77"))
    assert [f.rule for f in found] == ["i2c-address-mismatch"]
    assert found[0].location == "include/config.h:4"


def test_project_collects_every_artifacts_findings() -> None:
    wiring = Wiring.model_validate(
        {
            **WEATHER_WIRING,
            "connections": [
                {**c, "from_pin": "VIN"} if c["to_pin"] == "VIN" else c
                for c in WEATHER_WIRING["connections"]
            ],
        }
    )
    code = [CodeFile(path="src/main.cpp", content="void setup(){}\nvoid loop(){ delay(500); }\n")]
    found = check_project(bom(ESP), wiring, code)
    rules = {f.rule for f in found}
    assert {"supply-voltage", "bom-missing-part", "blocking-call", "pin-mismatch"} <= rules
    assert found[0].severity == "error"
