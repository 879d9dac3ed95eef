"""Firmware rules: blocking calls found through the call graph, pins checked against wiring."""

from __future__ import annotations

import pytest

from tools.checks import Finding, check_code
from tools.schemas import CodeFile, Wiring

INI = "[env:esp32dev]\nplatform = espressif32\nboard = esp32dev\nframework = arduino\n"


def main(body: str, config: str = "", ini: str = INI) -> list[CodeFile]:
    files = [CodeFile(path="src/main.cpp", content='#include "config.h"\n' + body)]
    files.append(CodeFile(path="include/config.h", content="#pragma once\n" + config))
    files.append(CodeFile(path="platformio.ini", content=ini))
    return files


def rules(findings: list[Finding], severity: str | None = None) -> list[str]:
    return [f.rule for f in findings if severity is None or f.severity == severity]


BLINK_DELAY = """
void setup() { pinMode(LED_PIN, OUTPUT); }
void loop() {
  digitalWrite(LED_PIN, HIGH);
  delay(1000);
  digitalWrite(LED_PIN, LOW);
  delay(1000);
}
"""

BLINK_MILLIS = """
static uint32_t last = 0;
static bool on = false;
void setup() { pinMode(LED_PIN, OUTPUT); }
void loop() {
  const uint32_t now = millis();
  if (now - last >= BLINK_MS) {
    last = now;
    on = !on;
    digitalWrite(LED_PIN, on ? HIGH : LOW);
  }
}
"""


def test_delay_in_loop_is_blocking() -> None:
    findings = check_code(main(BLINK_DELAY, "#define LED_PIN 2\n"))
    hits = [f for f in findings if f.rule == "blocking-call"]
    assert len(hits) == 2
    assert {f.severity for f in hits} == {"warning"}  # Blink: nothing else to starve
    assert hits[0].location == "src/main.cpp:6"
    assert "1000 ms" in hits[0].message and "millis()" in hits[0].fix


BUSY_LOOPS = {
    "polls a button": (
        "void loop() {\n  if (digitalRead(BUTTON_PIN) == LOW) toggle();\n  delay(500);\n}\n"
        "void toggle() { digitalWrite(LED_PIN, !digitalRead(LED_PIN)); }\n",
        "polls inputs",
    ),
    "serves a web page": (
        "#include <WebServer.h>\nWebServer server(80);\n"
        "void loop() {\n  server.handleClient();\n  delay(1000);\n}\n",
        "serves a network",
    ),
    "keeps mqtt alive": (
        "#include <PubSubClient.h>\nWiFiClient net;\nPubSubClient mqtt(net);\n"
        "void loop() {\n  mqtt.loop();\n  delay(5000);\n}\n",
        "serves a network",
    ),
    "runs a millis schedule": (
        "static uint32_t last = 0;\nvoid loop() {\n  if (millis() - last >= 100) {\n"
        "    last = millis();\n    digitalWrite(LED_PIN, HIGH);\n  }\n  delay(250);\n}\n",
        "runs a schedule",
    ),
}


@pytest.mark.parametrize("name", sorted(BUSY_LOOPS))
def test_a_wait_in_a_busy_loop_is_an_error(name: str) -> None:
    body, why = BUSY_LOOPS[name]
    config = "#define BUTTON_PIN 4\n#define LED_PIN 2\n"
    hits = check_code(main("void setup() {}\n" + body, config))
    waits = [f for f in hits if f.rule == "blocking-call"]
    assert waits and all(f.severity == "error" for f in waits), name
    assert why in waits[0].message


def test_millis_schedule_is_not_blocking() -> None:
    findings = check_code(main(BLINK_MILLIS, "#define LED_PIN 2\n#define BLINK_MS 500UL\n"))
    assert "blocking-call" not in rules(findings)


def test_delay_reached_through_helpers_is_found_with_its_path() -> None:
    body = """
static void settle() { delay(SETTLE_MS); }
static float readSensor() { settle(); return analogRead(32); }
void setup() { Serial.begin(115200); }
void loop() { Serial.println(readSensor()); }
"""
    findings = check_code(main(body, "#define SETTLE_MS (2 * 250) // half a second\n"))
    hits = [f for f in findings if f.rule == "blocking-call"]
    assert len(hits) == 1
    assert "500 ms" in hits[0].message
    assert "loop → readSensor → settle" in hits[0].message


def test_setup_may_block() -> None:
    body = """
void setup() { Serial.begin(115200); while (!Serial) {} delay(2000); }
void loop() { }
"""
    assert rules(check_code(main(body))) == []


def test_short_trigger_pulse_is_fine_but_long_waits_are_not() -> None:
    ok = (
        "void setup(){}\n"
        "void loop(){ digitalWrite(5, HIGH); delayMicroseconds(10);\n"
        "  digitalWrite(5, LOW); delay(1); }\n"
    )
    assert "blocking-call" not in rules(check_code(main(ok)))
    bad = "void setup(){}\nvoid loop(){ delayMicroseconds(5000); }\n"
    assert rules(check_code(main(bad))) == ["blocking-call"]


def test_pulsein_serial_wait_and_busy_loops_in_loop() -> None:
    body = """
void setup() {}
void loop() {
  long us = pulseIn(ECHO_PIN, HIGH, 30000UL);
  while (!Serial) ;
  uint32_t t0 = millis();
  while (millis() - t0 < 500) { }
  do { } while (digitalRead(BUTTON_PIN) == LOW);
}
"""
    findings = check_code(main(body, "#define ECHO_PIN 19\n#define BUTTON_PIN 4\n"))
    blocking = [f for f in findings if f.rule == "blocking-call"]
    texts = " ".join(f.message for f in blocking)
    assert len(blocking) == 4
    assert "30000 µs" in texts and "serial port" in texts and "time" in texts and "pin" in texts


def test_comments_and_strings_are_not_code() -> None:
    body = """
void setup() {}
void loop() {
  // delay(5000);  old version
  Serial.println("delay(1000) was removed");
}
"""
    assert "blocking-call" not in rules(check_code(main(body)))


def _relay_wiring(pin: str) -> Wiring:
    return Wiring.model_validate(
        {
            "components": [
                {"id": "mcu", "part": "esp32-devkit-v1"},
                {"id": "psu", "part": "supply-5v"},
                {"id": "relay", "part": "relay-module-5v"},
                {"id": "pir", "part": "pir-hc-sr501"},
            ],
            "connections": [
                {"from_component": a, "from_pin": ap, "to_component": b, "to_pin": bp}
                for a, ap, b, bp in [
                    ("psu", "V+", "relay", "VCC"),
                    ("psu", "GND", "relay", "GND"),
                    ("psu", "GND", "mcu", "GND"),
                    ("psu", "V+", "pir", "VCC"),
                    ("psu", "GND", "pir", "GND"),
                    ("pir", "OUT", "mcu", "GPIO27"),
                    ("mcu", pin, "relay", "IN"),
                ]
            ],
        }
    )


MOTION = """
void setup() { pinMode(RELAY_PIN, OUTPUT); pinMode(PIR_PIN, INPUT); }
void loop() { digitalWrite(RELAY_PIN, digitalRead(PIR_PIN)); }
"""


def test_firmware_pins_matching_the_wiring_are_clean() -> None:
    findings = check_code(
        main(MOTION, "#define RELAY_PIN 26\n#define PIR_PIN GPIO_NUM_27\n"), _relay_wiring("GPIO26")
    )
    assert findings == []


def test_firmware_pin_off_by_one_is_an_error_naming_the_wired_pin() -> None:
    findings = check_code(
        main(MOTION, "#define RELAY_PIN 25\n#define PIR_PIN 27\n"), _relay_wiring("GPIO26")
    )
    errors = [f for f in findings if f.rule == "pin-mismatch" and f.severity == "error"]
    assert len(errors) == 1
    assert "GPIO25" in errors[0].message and "GPIO26" in errors[0].message
    assert errors[0].location == "include/config.h:2"
    unused = [f for f in findings if f.rule == "pin-mismatch" and f.severity == "warning"]
    assert [f.pins for f in unused] == [["mcu.GPIO26"]]


def test_wired_pin_the_firmware_never_touches() -> None:
    body = "void setup() { pinMode(PIR_PIN, INPUT); }\nvoid loop() {}\n"
    findings = check_code(main(body, "#define PIR_PIN 27\n"), _relay_wiring("GPIO26"))
    assert [(f.rule, f.severity, f.pins) for f in findings] == [
        ("pin-mismatch", "warning", ["mcu.GPIO26"])
    ]


def _i2c_wiring(sda: str, scl: str) -> Wiring:
    return Wiring.model_validate(
        {
            "components": [
                {"id": "mcu", "part": "esp32-devkit-v1"},
                {"id": "env", "part": "bme280"},
            ],
            "connections": [
                {
                    "from_component": "mcu",
                    "from_pin": "3V3",
                    "to_component": "env",
                    "to_pin": "VIN",
                },
                {
                    "from_component": "mcu",
                    "from_pin": "GND",
                    "to_component": "env",
                    "to_pin": "GND",
                },
                {"from_component": "mcu", "from_pin": sda, "to_component": "env", "to_pin": "SDA"},
                {"from_component": "mcu", "from_pin": scl, "to_component": "env", "to_pin": "SCL"},
            ],
        }
    )


def test_wire_begin_with_config_pins_matches_wiring() -> None:
    body = (
        "#include <Wire.h>\n"
        "void setup() { Wire.begin(I2C_SDA_PIN, I2C_SCL_PIN); }\n"
        "void loop() {}\n"
    )
    config = "#define I2C_SDA_PIN 21\n#define I2C_SCL_PIN 22\n"
    assert check_code(main(body, config), _i2c_wiring("GPIO21", "GPIO22")) == []
    moved = check_code(main(body, config), _i2c_wiring("GPIO16", "GPIO17"))
    assert sorted(f.severity for f in moved if f.rule == "pin-mismatch") == [
        "error",
        "error",
        "warning",
        "warning",
    ]


def test_default_wire_pins_count_as_used() -> None:
    body = (
        "#include <Adafruit_BME280.h>\n"
        "Adafruit_BME280 bme;\n"
        "void setup() { bme.begin(0x76); }\n"
        "void loop() {}\n"
    )
    assert check_code(main(body), _i2c_wiring("GPIO21", "GPIO22")) == []
    elsewhere = check_code(main(body), _i2c_wiring("GPIO16", "GPIO17"))
    assert {f.pins[0] for f in elsewhere if f.rule == "pin-mismatch"} == {
        "mcu.GPIO16",
        "mcu.GPIO17",
    }


def test_board_rules_apply_from_platformio_alone() -> None:
    body = (
        "void setup() { pinMode(34, OUTPUT); pinMode(FLASH_PIN, INPUT); pinMode(40, INPUT); }\n"
        "void loop() {}\n"
    )
    findings = check_code(main(body, "#define FLASH_PIN 7\n"))
    assert sorted(rules(findings, "error")) == ["input-only-pin", "pin-mismatch", "reserved-pin"]


def test_uno_and_pico_numbering() -> None:
    uno_ini = "[env:uno]\nplatform = atmelavr\nboard = uno\nframework = arduino\n"
    body = (
        "void setup() { pinMode(LED_PIN, OUTPUT); }\n"
        "void loop() { analogWrite(LED_PIN, analogRead(A0) / 4); }\n"
    )
    wiring = Wiring.model_validate(
        {
            "components": [
                {"id": "mcu", "part": "arduino-uno"},
                {"id": "knob", "part": "potentiometer"},
                {"id": "r", "part": "resistor", "props": {"value": 330}},
                {"id": "led", "part": "led-5mm"},
            ],
            "connections": [
                {"from_component": a, "from_pin": ap, "to_component": b, "to_pin": bp}
                for a, ap, b, bp in [
                    ("mcu", "5V", "knob", "1"),
                    ("knob", "3", "mcu", "GND"),
                    ("knob", "2", "mcu", "A0"),
                    ("mcu", "D9", "r", "1"),
                    ("r", "2", "led", "ANODE"),
                    ("led", "CATHODE", "mcu", "GND"),
                ]
            ],
        }
    )
    assert check_code(main(body, "const int LED_PIN = 9;\n", uno_ini), wiring) == []
    wrong = check_code(main(body, "const int LED_PIN = 10;\n", uno_ini), wiring)
    assert any(f.rule == "pin-mismatch" and "D10" in f.message and "D9" in f.message for f in wrong)

    pico_ini = "[env:pico]\nplatform = raspberrypi\nboard = pico\nframework = arduino\n"
    servo = (
        "#include <Servo.h>\n"
        "Servo s;\n"
        "void setup() { s.attach(SERVO_PIN); }\n"
        "void loop() { s.write(analogRead(KNOB_PIN) / 8); }\n"
    )
    pico_findings = check_code(main(servo, "#define SERVO_PIN 15\n#define KNOB_PIN A0\n", pico_ini))
    assert pico_findings == []
