"""Every catalog part fits its schema, and every pin role the rules ask about exists."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from tools.checks import catalog as catalog_module
from tools.checks.catalog import CATALOG_PATH, Part, load_catalog

RAW: dict[str, Any] = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
CAT = load_catalog()
CHECKS_DIR = Path(catalog_module.__file__).parent

#: What makers buy, by kind: the catalog must carry each of these.
EXPECTED = {
    "boards": ["esp32-s3-devkitc-1", "esp32-c3-devkitm-1", "arduino-nano-33-iot", "xiao-esp32c3",
               "xiao-rp2040", "raspberry-pi-pico-w", "feather-esp32-s3", "feather-rp2040"],
    "sensors": ["sht31", "bmp388", "scd40", "vl53l0x", "mpu6050", "ina219", "ds18b20", "hx711"],
    "displays": ["ssd1306-i2c", "sh1106-i2c", "st7735-tft", "ili9341-tft", "lcd2004-i2c",
                 "tm1637-4digit"],
    "motor drivers": ["tb6612fng", "drv8833", "a4988", "l298n", "drv8825", "tmc2209"],
    "power": ["buck-lm2596", "boost-mt3608", "ams1117-3v3", "mcp1700-3v3", "tp4056",
              "battery-18650", "battery-lipo-1s"],
    "level shifters": ["level-shifter-4ch", "txs0108e", "74ahct125", "74lvc245"],
    "mosfets": ["mosfet-irlz44n", "mosfet-ao3400", "mosfet-irf520", "mosfet-2n7000"],
    "relays": ["relay-module-5v", "relay-module-3v3", "relay-module-12v", "ssr-g3mb-202p"],
    "passives": ["resistor", "capacitor-ceramic", "capacitor-electrolytic", "inductor", "fuse-ptc",
                 "diode-1n4007", "diode-1n4148"],
    "i2c multiplexer": ["tca9548a"],
}  # fmt: skip


def test_catalog_has_at_least_150_parts_each_with_a_source() -> None:
    assert len(RAW["parts"]) >= 150
    assert len(CAT) == len(RAW["parts"])
    for part in CAT.parts:
        assert part.source.startswith(("https://", "http://")), part.id
        assert part.description and part.manufacturer, part.id


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_catalog_covers_what_makers_buy(kind: str) -> None:
    missing = [pid for pid in EXPECTED[kind] if CAT.get(pid) is None]
    assert missing == []


@pytest.mark.parametrize("raw", RAW["parts"], ids=lambda p: p["id"])
def test_each_part_fits_the_schema(raw: dict[str, Any]) -> None:
    part = Part.model_validate(raw)
    unknown_roles = sorted({r for p in part.pins for r in p.roles} - set(RAW["roles"]))
    assert unknown_roles == []
    unknown_dirs = sorted({p.dir for p in part.pins} - set(RAW["directions"]))
    assert unknown_dirs == []
    for pin in part.pins:
        if pin.dir in ("power-in", "power-io") and not pin.source:
            assert pin.supply is not None, f"{pin.name} takes power but states no range"
        if pin.supply is not None:
            assert pin.supply.min <= pin.supply.max, pin.name
        if pin.source is not None and not pin.source.passthrough and not pin.source.adjustable:
            assert pin.source.v is not None and pin.source.max_ma, pin.name
    if part.is_mcu:
        assert part.gpio is not None and part.board is not None and part.logic_v
    if part.i2c is not None:
        assert part.pins_with_role("i2c-sda") and part.pins_with_role("i2c-scl")
        if part.i2c.strap is not None:
            for name in part.i2c.strap.pins:
                strap_pin = part.pin(name)
                assert strap_pin is not None and strap_pin.has_role("i2c-address"), name
    if part.regulator is not None:
        vin, vout = part.pin(part.regulator.input), part.pin(part.regulator.output)
        assert vin is not None and vin.takes_power
        assert vout is not None and vout.gives_power
    if part.led is not None:
        assert part.led.if_ma <= part.led.if_max_ma


def _roles_named_in_rules() -> set[str]:
    """Role strings the rule modules pass to has_role / pins_with_role."""
    roles: set[str] = set()
    for path in CHECKS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr not in ("has_role", "pins_with_role"):
                continue
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    roles.add(arg.value)
    return roles


def test_every_role_a_rule_asks_about_exists_and_is_used() -> None:
    named = _roles_named_in_rules()
    literal = named
    assert len(literal) >= 15  # the scan found the rules' roles, not nothing
    used = {r for p in CAT.parts for pin in p.pins for r in pin.roles}
    assert sorted(literal - set(RAW["roles"])) == []
    assert sorted(literal - used) == []


def test_strap_tables_agree_with_the_datasheets() -> None:
    ina = CAT.get("ina219")
    ads = CAT.get("ads1115")
    lcd = CAT.get("lcd1602-i2c")
    mux = CAT.get("tca9548a")
    pca = CAT.get("pca9685")
    assert ina and ina.i2c and ina.i2c.strap
    assert ina.i2c.strap.address(("SDA", "VCC")) == 0x46  # INA219 table 1: A1=VS, A0=SDA
    assert ads and ads.i2c and ads.i2c.strap and ads.i2c.strap.address(("SCL",)) == 0x4B
    assert lcd and lcd.i2c and lcd.i2c.strap and lcd.i2c.strap.address(("VCC",) * 3) == 0x27
    assert mux and mux.i2c and mux.i2c.mux and mux.i2c.default == 0x70
    assert pca and pca.i2c and 0x70 in pca.i2c.also  # PCA9685 All-Call at power-up


@pytest.mark.parametrize(
    "pid",
    ["esp32-devkit-v1", "arduino-uno", "arduino-nano", "raspberry-pi-pico", "raspberry-pi-pico-w"],
)
def test_common_boards_state_their_header_order(pid: str) -> None:
    part = CAT.get(pid)
    assert part is not None and part.header, "diagrams list these boards' pins in header order"
    on_header = {name for strip in part.header for name in strip.pins if name}
    assert on_header <= set(part.pin_names)
    gpios = {p.name for p in part.pins if p.is_signal and not p.has_role("internal")}
    assert gpios <= on_header, f"every usable pin sits on a header: {sorted(gpios - on_header)}"
    numbers = [strip.first + i for strip in part.header for i in range(len(strip.pins))]
    if part.header[-1].first > 1:  # numbered straight through (Nano, Pico)
        assert numbers == list(range(1, len(numbers) + 1))
