"""Wiring rules against a table of circuits: each hazard found, each correct fix clean."""

from __future__ import annotations

from typing import Any

import pytest

from tools.checks import RULES, Finding, check_wiring
from tools.schemas import Wiring

Comp = tuple[str, str] | tuple[str, str, dict[str, Any]]


def wiring(comps: list[Comp], *wires: str) -> Wiring:
    """Build a wiring from ('id', 'part'[, props]) and 'a.PIN-b.PIN' wire strings."""
    components = [{"id": c[0], "part": c[1], "props": c[2] if len(c) > 2 else {}} for c in comps]
    connections = []
    for w in wires:
        left, right = w.split("~")
        a, ap = left.split(".", 1)
        b, bp = right.split(".", 1)
        connections.append({"from_component": a, "from_pin": ap, "to_component": b, "to_pin": bp})
    return Wiring.model_validate({"components": components, "connections": connections})


ESP = ("mcu", "esp32-devkit-v1")
UNO = ("mcu", "arduino-uno")
PICO = ("mcu", "raspberry-pi-pico")
PSU = ("psu", "supply-5v")

SONAR_POWER = ("mcu.VIN~sonar.VCC", "mcu.GND~sonar.GND", "mcu.GPIO18~sonar.TRIG")

HAZARDS: dict[str, tuple[Wiring, str, str]] = {
    "echo straight into esp32": (
        wiring([ESP, ("sonar", "hc-sr04")], *SONAR_POWER, "sonar.ECHO~mcu.GPIO19"),
        "logic-level",
        "error",
    ),
    "echo through a series resistor only": (
        wiring(
            [ESP, ("sonar", "hc-sr04"), ("r1", "resistor", {"value": 1000})],
            *SONAR_POWER,
            "sonar.ECHO~r1.1",
            "r1.2~mcu.GPIO19",
        ),
        "logic-level",
        "error",
    ),
    "divider with the halves swapped reads too low": (
        wiring(
            [
                ESP,
                ("sonar", "hc-sr04"),
                ("r1", "resistor", {"value": "2k"}),
                ("r2", "resistor", {"value": "1k"}),
            ],
            *SONAR_POWER,
            "sonar.ECHO~r1.1",
            "r1.2~mcu.GPIO19",
            "mcu.GPIO19~r2.1",
            "r2.2~mcu.GND",
        ),
        "logic-level",
        "warning",
    ),
    "uno tx into a 3.3 V gps rx": (
        wiring(
            [UNO, ("gps", "neo-6m-gps")],
            "mcu.5V~gps.VCC",
            "mcu.GND~gps.GND",
            "mcu.D3~gps.RX",
            "gps.TX~mcu.D4",
        ),
        "logic-level",
        "error",
    ),
    "bme280 on 5 V": (
        wiring(
            [ESP, ("env", "bme280")],
            "mcu.VIN~env.VIN",
            "mcu.GND~env.GND",
            "mcu.GPIO21~env.SDA",
            "mcu.GPIO22~env.SCL",
        ),
        "supply-voltage",
        "error",
    ),
    "nrf24 on the uno's 5 V": (
        wiring([UNO, ("radio", "nrf24l01")], "mcu.5V~radio.VCC", "mcu.GND~radio.GND"),
        "supply-voltage",
        "error",
    ),
    "motor on a gpio": (
        wiring([ESP, ("m", "dc-motor")], "mcu.GPIO25~m.M+", "m.M-~mcu.GND"),
        "gpio-current",
        "error",
    ),
    "bare relay coil on a gpio": (
        wiring([UNO, ("k1", "relay-5v-coil")], "mcu.D7~k1.COIL1", "k1.COIL2~mcu.GND"),
        "gpio-current",
        "error",
    ),
    "servo powered from a gpio": (
        wiring(
            [PICO, ("servo", "sg90")],
            "mcu.GP14~servo.VCC",
            "mcu.GP15~servo.SIG",
            "mcu.GND~servo.GND",
        ),
        "gpio-current",
        "error",
    ),
    "transistor base without a resistor": (
        wiring([UNO, ("q1", "npn-2n2222")], "mcu.D8~q1.B", "q1.E~mcu.GND"),
        "gpio-current",
        "error",
    ),
    "led with no resistor": (
        wiring([ESP, ("led", "led-5mm")], "mcu.GPIO23~led.ANODE", "led.CATHODE~mcu.GND"),
        "led-resistor",
        "error",
    ),
    "led resistor too small on 5 V": (
        wiring(
            [UNO, ("r", "resistor", {"value": 47}), ("led", "led-5mm")],
            "mcu.D9~r.1",
            "r.2~led.ANODE",
            "led.CATHODE~mcu.GND",
        ),
        "led-resistor",
        "error",
    ),
    "transistor-switched coil without a diode": (
        wiring(
            [
                UNO,
                PSU,
                ("k1", "relay-5v-coil"),
                ("q1", "npn-2n2222"),
                ("rb", "resistor", {"value": 1000}),
            ],
            "psu.V+~k1.COIL1",
            "k1.COIL2~q1.C",
            "q1.E~psu.GND",
            "psu.GND~mcu.GND",
            "mcu.D7~rb.1",
            "rb.2~q1.B",
        ),
        "flyback-diode",
        "error",
    ),
    "flyback diode the wrong way round": (
        wiring(
            [
                UNO,
                PSU,
                ("m", "dc-motor"),
                ("q1", "mosfet-irlz44n"),
                ("d1", "diode-1n4007"),
            ],
            "psu.V+~m.M+",
            "m.M-~q1.D",
            "q1.S~psu.GND",
            "psu.GND~mcu.GND",
            "mcu.D5~q1.G",
            "d1.ANODE~m.M+",
            "d1.CATHODE~m.M-",
        ),
        "flyback-diode",
        "error",
    ),
    "esp32 flash pin": (
        wiring([ESP, ("btn", "push-button")], "mcu.GPIO7~btn.1", "btn.2~mcu.GND"),
        "reserved-pin",
        "error",
    ),
    "gpio12 pulled high at boot": (
        wiring(
            [ESP, ("r", "resistor", {"value": "10k"}), ("btn", "push-button")],
            "mcu.3V3~r.1",
            "r.2~mcu.GPIO12",
            "mcu.GPIO12~btn.1",
            "btn.2~mcu.GND",
        ),
        "reserved-pin",
        "error",
    ),
    "gpio0 pulled low at boot": (
        wiring([ESP, ("r", "resistor", {"value": "10k"})], "mcu.GPIO0~r.1", "r.2~mcu.GND"),
        "reserved-pin",
        "error",
    ),
    "gpio0 driven by a sensor output": (
        wiring(
            [ESP, PSU, ("pir", "pir-hc-sr501")],
            "psu.V+~pir.VCC",
            "psu.GND~pir.GND",
            "psu.GND~mcu.GND",
            "pir.OUT~mcu.GPIO0",
        ),
        "reserved-pin",
        "warning",
    ),
    "input-only pin driving a relay module": (
        wiring(
            [ESP, PSU, ("relay", "relay-module-5v")],
            "psu.V+~relay.VCC",
            "psu.GND~relay.GND",
            "psu.GND~mcu.GND",
            "mcu.GPIO34~relay.IN",
        ),
        "input-only-pin",
        "error",
    ),
    "servo supply ground not joined to the board": (
        wiring(
            [PICO, PSU, ("servo", "sg90")],
            "psu.V+~servo.VCC",
            "psu.GND~servo.GND",
            "mcu.GP15~servo.SIG",
        ),
        "common-ground",
        "error",
    ),
    "two bme280 at 0x76": (
        wiring(
            [ESP, ("a", "bme280"), ("b", "bmp280")],
            "mcu.3V3~a.VIN",
            "mcu.3V3~b.VIN",
            "mcu.GND~a.GND",
            "mcu.GND~b.GND",
            "mcu.GPIO21~a.SDA",
            "a.SDA~b.SDA",
            "mcu.GPIO22~a.SCL",
            "a.SCL~b.SCL",
        ),
        "i2c-address-conflict",
        "error",
    ),
    "rtc and imu both at 0x68": (
        wiring(
            [ESP, ("rtc", "ds3231"), ("imu", "mpu6050")],
            "mcu.3V3~rtc.VCC",
            "mcu.VIN~imu.VCC",
            "mcu.GND~rtc.GND",
            "mcu.GND~imu.GND",
            "mcu.GPIO21~rtc.SDA",
            "mcu.GPIO21~imu.SDA",
            "mcu.GPIO22~rtc.SCL",
            "mcu.GPIO22~imu.SCL",
        ),
        "i2c-address-conflict",
        "error",
    ),
    "supply pin on ground": (
        wiring([ESP, PSU], "psu.V+~psu.GND", "psu.GND~mcu.GND"),
        "short-circuit",
        "error",
    ),
    "5 V supply joined to the 3.3 V rail": (
        wiring([ESP, PSU], "psu.V+~mcu.3V3", "psu.GND~mcu.GND"),
        "short-circuit",
        "error",
    ),
    "made-up part": (
        wiring([ESP, ("fc", "flux-capacitor")], "mcu.GPIO4~fc.IN"),
        "unknown-part",
        "error",
    ),
    "made-up pin": (
        wiring([ESP, ("sonar", "hc-sr04")], *SONAR_POWER, "sonar.OUT~mcu.GPIO19"),
        "unknown-pin",
        "error",
    ),
    "servo on the uno's 3.3 V pin": (
        wiring(
            [UNO, ("servo", "sg90")],
            "mcu.3V3~servo.VCC",
            "mcu.GND~servo.GND",
            "mcu.D9~servo.SIG",
        ),
        "power-budget",
        "error",
    ),
    "5 V i2c backpack pulls an esp32 bus to 5 V": (
        wiring(
            [ESP, ("lcd", "lcd1602-i2c")],
            "mcu.VIN~lcd.VCC",
            "mcu.GND~lcd.GND",
            "mcu.GPIO21~lcd.SDA",
            "mcu.GPIO22~lcd.SCL",
        ),
        "logic-level",
        "error",
    ),
    "3.3 V data into a 5 V led strip": (
        wiring(
            [ESP, PSU, ("strip", "ws2812b-strip", {"leds": 30})],
            "psu.V+~strip.5V",
            "psu.GND~strip.GND",
            "psu.GND~mcu.GND",
            "mcu.GPIO16~strip.DIN",
        ),
        "logic-level",
        "warning",
    ),
    "5 V relay coil on a 12 V rail": (
        wiring(
            [
                UNO,
                ("psu12", "supply-12v"),
                ("k1", "relay-5v-coil"),
                ("q1", "npn-2n2222"),
                ("rb", "resistor", {"value": 1000}),
                ("d1", "diode-1n4007"),
            ],
            "psu12.V+~k1.COIL1",
            "k1.COIL2~q1.C",
            "q1.E~psu12.GND",
            "psu12.GND~mcu.GND",
            "mcu.D7~rb.1",
            "rb.2~q1.B",
            "d1.CATHODE~k1.COIL1",
            "d1.ANODE~k1.COIL2",
        ),
        "supply-voltage",
        "error",
    ),
    "6 V motor on a 12 V driver": (
        wiring(
            [ESP, ("psu12", "supply-12v"), ("drv", "l298n"), ("m", "dc-motor")],
            "psu12.V+~drv.12V",
            "psu12.GND~drv.GND",
            "drv.GND~mcu.GND",
            "mcu.GPIO25~drv.IN1",
            "drv.OUT1~m.M+",
            "drv.OUT2~m.M-",
        ),
        "supply-voltage",
        "warning",
    ),
    "hc-sr04 on 3.3 V": (
        wiring(
            [ESP, ("sonar", "hc-sr04")],
            "mcu.3V3~sonar.VCC",
            "mcu.GND~sonar.GND",
            "mcu.GPIO18~sonar.TRIG",
        ),
        "supply-voltage",
        "error",
    ),
    "two mpu6050 with AD0 both tied to GND": (
        wiring(
            [ESP, ("a", "mpu6050"), ("b", "mpu6050")],
            "mcu.3V3~a.VCC",
            "mcu.3V3~b.VCC",
            "mcu.GND~a.GND",
            "mcu.GND~b.GND",
            "mcu.GPIO21~a.SDA",
            "a.SDA~b.SDA",
            "mcu.GPIO22~a.SCL",
            "a.SCL~b.SCL",
            "a.AD0~mcu.GND",
            "b.AD0~mcu.GND",
        ),
        "i2c-address-conflict",
        "error",
    ),
    "tca9548a at 0x70 beside a pca9685 all-call": (
        wiring(
            [ESP, ("mux", "tca9548a"), ("pwm", "pca9685")],
            "mcu.3V3~mux.VIN",
            "mcu.3V3~pwm.VCC",
            "mcu.GND~mux.GND",
            "mcu.GND~pwm.GND",
            "mcu.GPIO21~mux.SDA",
            "mux.SDA~pwm.SDA",
            "mcu.GPIO22~mux.SCL",
            "mux.SCL~pwm.SCL",
        ),
        "i2c-address-conflict",
        "error",
    ),
    "3V3 joined to VIN on the same board": (
        wiring([ESP], "mcu.3V3~mcu.VIN"),
        "short-circuit",
        "error",
    ),
    "li-ion cell on a 3.3 V regulator's output": (
        wiring(
            [ESP, ("bat", "battery-18650"), ("ldo", "ams1117-3v3")],
            "bat.+~ldo.VOUT",
            "bat.-~ldo.GND",
            "ldo.GND~mcu.GND",
            "ldo.VOUT~mcu.3V3",
        ),
        "short-circuit",
        "error",
    ),
    "regulator wired in reverse": (
        wiring(
            [ESP, PSU, ("ldo", "ams1117-3v3"), ("env", "bme280")],
            "psu.V+~ldo.VOUT",
            "psu.GND~ldo.GND",
            "ldo.VIN~env.VIN",
            "psu.GND~env.GND",
        ),
        "short-circuit",
        "error",
    ),
    "servo powered from 3.3 V": (
        wiring(
            [ESP, ("servo", "sg90")],
            "mcu.3V3~servo.VCC",
            "mcu.GND~servo.GND",
            "mcu.GPIO13~servo.SIG",
        ),
        "supply-voltage",
        "error",
    ),
    "relay module a little under 4.5 V": (
        wiring(
            [ESP, ("sup", "supply-adjustable", {"vout": 4.3}), ("relay", "relay-module-5v")],
            "sup.V+~relay.VCC",
            "sup.GND~relay.GND",
            "sup.GND~mcu.GND",
            "mcu.GPIO26~relay.IN",
        ),
        "supply-voltage",
        "warning",
    ),
    "5 V pull-up resistor on an esp32 input": (
        wiring(
            [ESP, PSU, ("r", "resistor", {"value": "10k"}), ("sw", "push-button")],
            "psu.V+~r.1",
            "r.2~mcu.GPIO4",
            "mcu.GPIO4~sw.1",
            "sw.2~mcu.GND",
            "psu.GND~mcu.GND",
        ),
        "logic-level",
        "error",
    ),
    "pump switched by relay contacts without a diode": (
        wiring(
            [ESP, PSU, ("relay", "relay-module-5v"), ("pump", "water-pump-5v")],
            "psu.V+~mcu.VIN",
            "psu.GND~mcu.GND",
            "psu.V+~relay.VCC",
            "psu.GND~relay.GND",
            "mcu.GPIO26~relay.IN",
            "psu.V+~relay.COM",
            "relay.NO~pump.+",
            "pump.-~psu.GND",
        ),
        "flyback-diode",
        "warning",
    ),
}

# Correct designs, including the fixes for the hazards above: none may give an error.
CLEAN: dict[str, Wiring] = {
    "echo through a 1k/2k divider": wiring(
        [
            ESP,
            ("sonar", "hc-sr04"),
            ("r1", "resistor", {"value": 1000}),
            ("r2", "resistor", {"value": "2k"}),
            ("r3", "resistor", {"value": "220R"}),
            ("led", "led-5mm"),
        ],
        *SONAR_POWER,
        "sonar.ECHO~r1.1",
        "r1.2~mcu.GPIO19",
        "r1.2~r2.1",
        "r2.2~mcu.GND",
        "mcu.GPIO23~r3.1",
        "r3.2~led.ANODE",
        "led.CATHODE~mcu.GND",
    ),
    "echo through a level shifter": wiring(
        [ESP, ("sonar", "hc-sr04"), ("ls", "level-shifter-4ch")],
        *SONAR_POWER,
        "mcu.3V3~ls.LV",
        "mcu.VIN~ls.HV",
        "mcu.GND~ls.GND",
        "sonar.ECHO~ls.HV1",
        "ls.LV1~mcu.GPIO19",
    ),
    "hc-sr04 on a 5 V arduino": wiring(
        [UNO, ("sonar", "hc-sr04")],
        "mcu.5V~sonar.VCC",
        "mcu.GND~sonar.GND",
        "mcu.D9~sonar.TRIG",
        "sonar.ECHO~mcu.D10",
    ),
    "weather station on 3.3 V": wiring(
        [ESP, ("env", "bme280", {"i2c_address": "0x76"}), ("oled", "ssd1306-i2c")],
        "mcu.3V3~env.VIN",
        "mcu.GND~env.GND",
        "mcu.GPIO21~env.SDA",
        "mcu.GPIO22~env.SCL",
        "mcu.3V3~oled.VCC",
        "mcu.GND~oled.GND",
        "mcu.GPIO21~oled.SDA",
        "mcu.GPIO22~oled.SCL",
    ),
    "two bme280 on different addresses": wiring(
        [ESP, ("a", "bme280"), ("b", "bme280", {"i2c_address": "0x77"})],
        "mcu.3V3~a.VIN",
        "mcu.3V3~b.VIN",
        "mcu.GND~a.GND",
        "mcu.GND~b.GND",
        "mcu.GPIO21~a.SDA",
        "a.SDA~b.SDA",
        "mcu.GPIO22~a.SCL",
        "a.SCL~b.SCL",
    ),
    "relay module instead of a bare coil": wiring(
        [ESP, PSU, ("relay", "relay-module-5v"), ("pir", "pir-hc-sr501")],
        "psu.V+~mcu.VIN",
        "psu.GND~mcu.GND",
        "psu.V+~relay.VCC",
        "psu.GND~relay.GND",
        "mcu.GPIO26~relay.IN",
        "psu.V+~pir.VCC",
        "psu.GND~pir.GND",
        "pir.OUT~mcu.GPIO27",
    ),
    "coil switched by a transistor with a diode": wiring(
        [
            UNO,
            PSU,
            ("k1", "relay-5v-coil"),
            ("q1", "npn-2n2222"),
            ("rb", "resistor", {"value": 1000}),
            ("d1", "diode-1n4007"),
        ],
        "psu.V+~k1.COIL1",
        "k1.COIL2~q1.C",
        "q1.E~psu.GND",
        "psu.GND~mcu.GND",
        "mcu.D7~rb.1",
        "rb.2~q1.B",
        "d1.CATHODE~k1.COIL1",
        "d1.ANODE~k1.COIL2",
    ),
    "motor on an l298n with joined grounds": wiring(
        [
            ESP,
            ("psu12", "battery-pack-4aa"),
            ("drv", "l298n"),
            ("m", "dc-motor"),
        ],
        "psu12.+~drv.12V",
        "psu12.-~drv.GND",
        "drv.GND~mcu.GND",
        "mcu.GPIO25~drv.IN1",
        "mcu.GPIO26~drv.IN2",
        "mcu.GPIO27~drv.ENA",
        "drv.OUT1~m.M+",
        "drv.OUT2~m.M-",
    ),
    "pico servo with its own supply and shared ground": wiring(
        [PICO, PSU, ("servo", "sg90"), ("knob", "potentiometer")],
        "psu.V+~servo.VCC",
        "psu.GND~servo.GND",
        "psu.GND~mcu.GND",
        "mcu.GP15~servo.SIG",
        "mcu.3V3~knob.1",
        "knob.3~mcu.GND",
        "knob.2~mcu.GP26",
    ),
    "led strip through a 74AHCT125 buffer": wiring(
        [
            ESP,
            PSU,
            ("buf", "74ahct125"),
            ("r", "resistor", {"value": 330}),
            ("strip", "ws2812b-strip", {"leds": 30}),
        ],
        "psu.V+~mcu.VIN",
        "psu.GND~mcu.GND",
        "psu.V+~buf.VCC",
        "psu.GND~buf.GND",
        "buf.1OE~psu.GND",
        "mcu.GPIO16~buf.1A",
        "buf.1Y~r.1",
        "r.2~strip.DIN",
        "psu.V+~strip.5V",
        "psu.GND~strip.GND",
    ),
    "two mpu6050 told apart by AD0": wiring(
        [ESP, ("a", "mpu6050"), ("b", "mpu6050")],
        "mcu.3V3~a.VCC",
        "mcu.3V3~b.VCC",
        "mcu.GND~a.GND",
        "mcu.GND~b.GND",
        "mcu.GPIO21~a.SDA",
        "a.SDA~b.SDA",
        "mcu.GPIO22~a.SCL",
        "a.SCL~b.SCL",
        "a.AD0~mcu.GND",
        "b.AD0~mcu.3V3",
    ),
    "ads1115 strapped to SDA beside one at the default": wiring(
        [ESP, ("a", "ads1115"), ("b", "ads1115")],
        "mcu.3V3~a.VDD",
        "mcu.3V3~b.VDD",
        "mcu.GND~a.GND",
        "mcu.GND~b.GND",
        "mcu.GPIO21~a.SDA",
        "a.SDA~b.SDA",
        "mcu.GPIO22~a.SCL",
        "a.SCL~b.SCL",
        "b.ADDR~b.SDA",
    ),
    "two bme280 at 0x76 on two multiplexer channels": wiring(
        [ESP, ("mux", "tca9548a"), ("a", "bme280"), ("b", "bme280")],
        "mcu.3V3~mux.VIN",
        "mcu.GND~mux.GND",
        "mcu.GPIO21~mux.SDA",
        "mcu.GPIO22~mux.SCL",
        "mcu.3V3~a.VIN",
        "mcu.3V3~b.VIN",
        "mcu.GND~a.GND",
        "mcu.GND~b.GND",
        "mux.SD0~a.SDA",
        "mux.SC0~a.SCL",
        "mux.SD1~b.SDA",
        "mux.SC1~b.SCL",
    ),
    "5 V lcd backpack behind a level shifter": wiring(
        [ESP, ("ls", "level-shifter-4ch"), ("lcd", "lcd1602-i2c")],
        "mcu.3V3~ls.LV",
        "mcu.VIN~ls.HV",
        "mcu.GND~ls.GND",
        "mcu.GPIO21~ls.LV1",
        "mcu.GPIO22~ls.LV2",
        "ls.HV1~lcd.SDA",
        "ls.HV2~lcd.SCL",
        "mcu.VIN~lcd.VCC",
        "mcu.GND~lcd.GND",
    ),
    "button with a 3.3 V pull-up": wiring(
        [ESP, ("r", "resistor", {"value": "10k"}), ("sw", "push-button")],
        "mcu.3V3~r.1",
        "r.2~mcu.GPIO4",
        "mcu.GPIO4~sw.1",
        "sw.2~mcu.GND",
    ),
    "9 V battery into the devkit's VIN": wiring(
        [ESP, ("bat", "battery-9v")],
        "bat.+~mcu.VIN",
        "bat.-~mcu.GND",
    ),
    "regulator the right way round": wiring(
        [ESP, ("psu", "supply-5v"), ("ldo", "ams1117-3v3"), ("env", "bme280")],
        "psu.V+~ldo.VIN",
        "psu.GND~ldo.GND",
        "ldo.VOUT~env.VIN",
        "psu.GND~env.GND",
        "psu.GND~mcu.GND",
        "mcu.GPIO21~env.SDA",
        "mcu.GPIO22~env.SCL",
    ),
    "ds18b20 with a pull-up to 3.3 V": wiring(
        [ESP, ("t", "ds18b20"), ("r", "resistor", {"value": "4.7k"})],
        "mcu.3V3~t.VDD",
        "mcu.GND~t.GND",
        "t.DQ~mcu.GPIO4",
        "mcu.3V3~r.1",
        "r.2~t.DQ",
    ),
    "soil probe into an input-only adc pin": wiring(
        [ESP, ("soil", "soil-moisture-capacitive")],
        "mcu.3V3~soil.VCC",
        "mcu.GND~soil.GND",
        "soil.AOUT~mcu.GPIO34",
    ),
    "mosfet-switched pump with a diode": wiring(
        [
            UNO,
            PSU,
            ("pump", "water-pump-5v"),
            ("q1", "mosfet-irlz44n"),
            ("d1", "diode-1n4007"),
            ("rg", "resistor", {"value": 100}),
        ],
        "psu.V+~pump.+",
        "pump.-~q1.D",
        "q1.S~psu.GND",
        "psu.GND~mcu.GND",
        "mcu.D5~rg.1",
        "rg.2~q1.G",
        "d1.CATHODE~pump.+",
        "d1.ANODE~pump.-",
    ),
}


def _rules(findings: list[Finding], severity: str | None = None) -> set[str]:
    return {f.rule for f in findings if severity is None or f.severity == severity}


@pytest.mark.parametrize("name", sorted(HAZARDS))
def test_hazard_is_found(name: str) -> None:
    w, rule, severity = HAZARDS[name]
    findings = check_wiring(w)
    hits = [f for f in findings if f.rule == rule and f.severity == severity]
    assert hits, (
        f"{name}: expected {severity} {rule}, got {[(f.severity, f.rule) for f in findings]}"
    )
    assert all(f.message and f.fix for f in hits)


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_circuit_has_no_error(name: str) -> None:
    findings = check_wiring(CLEAN[name])
    errors = [f"{f.rule}: {f.message}" for f in findings if f.severity == "error"]
    assert errors == []


def test_every_rule_is_registered_and_every_wiring_rule_is_exercised() -> None:
    emitted = {f.rule for w, _, _ in HAZARDS.values() for f in check_wiring(w)}
    assert emitted <= set(RULES)
    wiring_rules = set(RULES) - {
        "i2c-address-mismatch",
        "bom-missing-part",
        "bom-unwired-part",
        "blocking-call",
        "pin-mismatch",
    }
    assert {rule for _, rule, _ in HAZARDS.values()} == wiring_rules
