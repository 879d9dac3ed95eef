"""The bundled parts catalog: complete, consistent, and strict about pin names."""

from __future__ import annotations

import json
import re

import pytest

from tools.checks.catalog import CATALOG_PATH, load_catalog

CAT = load_catalog()

REQUIRED: dict[str, set[str]] = {
    "arduino-uno": {*(f"D{i}" for i in range(14)), *(f"A{i}" for i in range(6))}
    | {"5V", "3V3", "VIN", "GND", "AREF", "RESET"},
    "raspberry-pi-pico": {f"GP{i}" for i in range(29)} | {"3V3", "VSYS", "VBUS", "GND", "RUN"},
    "hc-sr04": {"VCC", "TRIG", "ECHO", "GND"},
    "bme280": {"VIN", "GND", "SCL", "SDA", "CSB", "SDO"},
    "dht22": {"VCC", "DATA", "NC", "GND"},
    "ssd1306-i2c": {"VCC", "GND", "SCL", "SDA"},
    "ds18b20": {"VDD", "DQ", "GND"},
    "pir-hc-sr501": {"VCC", "OUT", "GND"},
    "led-5mm": {"ANODE", "CATHODE"},
    "resistor": {"1", "2"},
    "diode-1n4007": {"ANODE", "CATHODE"},
    "relay-5v-coil": {"COIL1", "COIL2", "COM", "NO", "NC"},
    "relay-module-5v": {"VCC", "GND", "IN", "COM", "NO", "NC"},
    "sg90": {"VCC", "GND", "SIG"},
    "dc-motor": {"M+", "M-"},
    "l298n": {"IN1", "IN2", "IN3", "IN4", "ENA", "ENB", "OUT1", "OUT2", "OUT3", "OUT4"}
    | {"12V", "5V", "GND"},
    "ws2812b-strip": {"5V", "DIN", "GND"},
    "level-shifter-4ch": {"LV", "HV", "GND", "LV1", "LV2", "LV3", "LV4"}
    | {"HV1", "HV2", "HV3", "HV4"},
    "supply-5v": {"V+", "GND"},
    "supply-12v": {"V+", "GND"},
    "soil-moisture-capacitive": {"VCC", "GND", "AOUT"},
    "water-pump-5v": {"+", "-"},
    "potentiometer": {"1", "2", "3"},
}

MORE = [
    "buzzer-active", "push-button", "ldr", "mosfet-irlz44n", "npn-2n2222", "bmp280", "sht31",
    "mpu6050", "ina219", "ds3231", "lcd1602-i2c", "max7219", "nrf24l01", "sd-card-module",
    "neo-6m-gps", "esp8266-nodemcu", "arduino-nano", "buck-mp1584", "battery-18650", "tp4056",
    "supply-3v3",
]  # fmt: skip


def test_catalog_is_versioned_and_large_enough() -> None:
    raw = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", raw["version"])
    assert len(CAT) >= 60
    assert len({p.id for p in CAT.parts}) == len(CAT)


@pytest.mark.parametrize("part_id", sorted(REQUIRED))
def test_required_parts_have_exactly_these_pins(part_id: str) -> None:
    part = CAT.get(part_id)
    assert part is not None
    assert set(part.pin_names) == REQUIRED[part_id]


def test_esp32_has_the_module_gpios_and_power_pins() -> None:
    part = CAT.get("esp32-devkit-v1")
    assert part is not None
    names = set(part.pin_names)
    gpios = {n for n in names if n.startswith("GPIO")}
    assert names - gpios == {"3V3", "VIN", "GND", "EN"}
    numbers = {int(n[4:]) for n in gpios}
    assert numbers <= set(range(40))
    # GPIO20, 24 and 28-31 are not on the chip; 37/38 are not brought out on WROOM modules.
    assert not numbers & {20, 24, 28, 29, 30, 31, 37, 38}
    assert {0, 6, 11, 12, 21, 22, 34, 36, 39} <= numbers


@pytest.mark.parametrize("part_id", MORE)
def test_other_common_parts_are_there(part_id: str) -> None:
    assert CAT.get(part_id) is not None


def test_every_part_has_source_maker_and_known_roles() -> None:
    for part in CAT.parts:
        assert part.source.startswith(("https://", "http://")), part.id
        assert part.manufacturer.strip() and part.description.strip(), part.id
        assert part.mpn, part.id
        assert part.pins, part.id
        names = [p.name.upper() for p in part.pins]
        assert len(names) == len(set(names)), part.id
        aliases = [a.upper() for p in part.pins for a in p.aliases]
        assert not set(aliases) & set(names), part.id
        for pin in part.pins:
            assert pin.roles, (part.id, pin.name)
            assert set(pin.roles) <= set(CAT.roles), (part.id, pin.name)
            if pin.takes_power:
                assert pin.supply is not None and pin.supply.min <= pin.supply.max


def test_every_mcu_signal_pin_states_its_levels_in_the_data_file() -> None:
    raw = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    for part in raw["parts"]:
        if part["category"] != "mcu":
            continue
        for pin in part["pins"]:
            if pin["dir"] in ("in", "out", "io", "od"):
                assert isinstance(pin.get("five_v_tolerant"), bool), (part["id"], pin["name"])
                assert pin.get("vmax"), (part["id"], pin["name"])


def test_every_mcu_signal_pin_knows_its_voltage_limits() -> None:
    for part in CAT.parts:
        if not part.is_mcu:
            continue
        assert part.gpio is not None and part.board is not None
        for pin in part.pins:
            if pin.is_signal and not pin.has_role("reset", "enable"):
                assert pin.vmax is not None, (part.id, pin.name)
                assert pin.dir == "in" or pin.vout is not None, (part.id, pin.name)


def test_datasheet_facts() -> None:
    esp = CAT.get("esp32-devkit-v1")
    uno = CAT.get("arduino-uno")
    pico = CAT.get("raspberry-pi-pico")
    assert esp and uno and pico
    assert esp.pin("GPIO21").five_v_tolerant is False  # type: ignore[union-attr]
    assert pico.pin("GP0").five_v_tolerant is False  # type: ignore[union-attr]
    assert uno.pin("D2").five_v_tolerant is True  # type: ignore[union-attr]
    assert esp.pin("GPIO34").has_role("input-only")  # type: ignore[union-attr]
    assert esp.pin("GPIO34").dir == "in"  # type: ignore[union-attr]
    assert all(esp.pin(f"GPIO{n}").has_role("flash-reserved") for n in range(6, 12))  # type: ignore[union-attr]
    assert esp.pin("GPIO12").has_role("strapping")  # type: ignore[union-attr]
    bme = CAT.get("bme280")
    assert bme and bme.i2c and bme.i2c.default == 0x76 and bme.i2c.selectable == (0x77,)
    assert bme.supply and bme.supply.max == 3.6
    ssd = CAT.get("ssd1306-i2c")
    assert ssd and ssd.i2c and ssd.i2c.default == 0x3C
    echo = CAT.pin("hc-sr04", "ECHO")
    assert echo is not None and echo.rails == ("VCC",) and echo.dir == "out"
    relay = CAT.get("relay-module-5v")
    coil = CAT.get("relay-5v-coil")
    assert relay and relay.flyback_builtin and not relay.inductive
    assert coil and coil.inductive and coil.load == "coil"
    vin = esp.pin("VIN")
    assert vin and vin.source and vin.source.soft and vin.supply
    assert esp.pin("3V3").source.v == 3.3  # type: ignore[union-attr]


def test_lookups_forgive_case_but_not_made_up_pins() -> None:
    assert CAT.get("ESP32_DevKit_V1") is CAT.get("esp32-devkit-v1")
    assert CAT.get("HC-SR04") is not None
    assert CAT.pin("hc-sr04", "echo") is CAT.pin("hc-sr04", "ECHO")
    # Silkscreen labels of real boards resolve to the canonical pin ...
    assert CAT.pin("esp32-devkit-v1", "D21").name == "GPIO21"  # type: ignore[union-attr]
    assert CAT.pin("esp32-devkit-v1", "VP").name == "GPIO36"  # type: ignore[union-attr]
    assert CAT.pin("arduino-uno", "SDA").name == "A4"  # type: ignore[union-attr]
    # ... but invented names do not.
    assert CAT.pin("hc-sr04", "OUT") is None
    assert CAT.pin("esp32-devkit-v1", "GPIO37") is None
    assert CAT.pin("bme280", "MOSI") is None
    esp = CAT.get("esp32-devkit-v1")
    assert esp is not None and "GPIO36" in esp.suggest_pins("GPIO37")
    assert CAT.get("no-such-part") is None
    assert "bme280" in CAT.suggest_parts("bme-280")
    assert CAT.by_mpn("a000066") is CAT.get("arduino-uno")
