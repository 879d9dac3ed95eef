"""The wiring diagram's layout: which pins a board lists and in what order, nets with
junction dots, and blocks wide enough for every label."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from exports.svg import (
    Net,
    NetEnd,
    build_blocks,
    layout,
    pin_rows,
    render_wiring_svg,
    text_width,
    wrap_to_width,
)
from tools.checks.catalog import load_catalog
from tools.schemas import Wiring, parse_wiring

SVG = "{http://www.w3.org/2000/svg}"
CAT = load_catalog()
LONG = "Soil moisture probe (driver and analog front end, capacitive type v1.2)"


def wiring(*conns: tuple[str, str, str, str], extra: tuple[dict[str, str], ...] = ()) -> Wiring:
    return parse_wiring(
        json.dumps(
            {
                "components": [
                    {"id": "mcu", "part": "esp32-devkit-v1", "label": "ESP32"},
                    {"id": "env", "part": "bme280", "label": "BME280"},
                    {"id": "oled", "part": "ssd1306-i2c", "label": LONG},
                    *extra,
                ],
                "connections": [
                    {"from_component": a, "from_pin": p, "to_component": b, "to_pin": q}
                    for a, p, b, q in conns
                ],
            }
        )
    )


I2C = wiring(
    ("mcu", "GPIO21", "env", "SDA"),
    ("mcu", "GPIO22", "env", "SCL"),
    ("mcu", "GPIO21", "oled", "SDA"),
    ("mcu", "GPIO22", "oled", "SCL"),
    ("mcu", "3V3", "env", "VIN"),
    ("mcu", "GND", "env", "GND"),
    ("mcu", "GND", "oled", "GND"),
    ("mcu", "3V3", "oled", "VCC"),
)


def test_a_board_lists_the_pins_in_use_in_header_order() -> None:
    blocks = build_blocks(I2C, CAT)
    assert blocks["mcu"].pin_names == ["3V3", "GND", "GPIO22", "GPIO21"]
    assert [p.tag for p in blocks["mcu"].pins] == [
        "DevKitC J2·1",
        "DevKitC J2·14",
        "DevKitC J3·3",
        "DevKitC J3·6",
    ]
    assert blocks["env"].pin_names == ["VIN", "GND", "SCL", "SDA"], "module pins in their order"


def test_all_pins_leave_out_the_flash_pins_unless_they_are_wired() -> None:
    every = build_blocks(I2C, CAT, "all")["mcu"].pin_names
    assert len(every) > 20 and "GPIO34" in every
    assert not {"GPIO6", "GPIO7", "GPIO8", "GPIO9", "GPIO10", "GPIO11"} & set(every)
    assert every.index("GPIO36") < every.index("GPIO23"), "header J2 before J3"
    wired = wiring(("mcu", "GPIO9", "env", "SDA"))
    assert "GPIO9" in build_blocks(wired, CAT, "all")["mcu"].pin_names
    assert build_blocks(wired, CAT)["mcu"].pin_names == ["GPIO9"]


def test_header_order_on_pico_uno_and_nano() -> None:
    pico = pin_rows(CAT.get("raspberry-pi-pico"), ["VBUS", "GP15", "GND", "GP0", "GP16"])
    assert [r.name for r in pico] == ["GP0", "GND", "GP15", "GP16", "VBUS"]
    assert [r.tag for r in pico][-1] == "Right·40"
    uno = pin_rows(CAT.get("arduino-uno"), ["D13", "A0", "5V", "D2"])
    assert [r.name for r in uno] == ["5V", "A0", "D2", "D13"]
    nano = pin_rows(CAT.get("arduino-nano"), ["VIN", "D13", "D0"])
    assert [(r.name, r.tag) for r in nano] == [("D0", "J1·2"), ("D13", "J2·16"), ("VIN", "J2·30")]


def test_pins_outside_any_header_follow_the_catalog_order() -> None:
    rows = pin_rows(CAT.get("raspberry-pi-pico"), ["GP25", "GP2"], "used")
    assert [r.name for r in rows] == ["GP2", "GP25"] and rows[1].tag == ""


def test_junction_dots_only_where_three_or_more_wires_meet() -> None:
    lay = layout(I2C, CAT)
    assert len(lay.nets) == 4
    assert all(len(n.ends) == 3 for n in lay.nets)
    assert all(len(n.junctions()) == 1 for n in lay.nets)
    root = ET.fromstring(render_wiring_svg(I2C))
    dots = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "junction"]
    assert len(dots) == 4
    single = wiring(("mcu", "GPIO21", "env", "SDA"))
    assert 'class="junction"' not in render_wiring_svg(single)


def test_a_trunk_junction_sits_on_the_middle_pin_only() -> None:
    ends = [NetEnd("a", str(y), 0.0, float(y), True, "#000", "") for y in (10, 30, 50, 70)]
    net = Net(ends, "#000", x=100.0)
    assert net.junctions() == [(100.0, 30.0), (100.0, 50.0)]


def test_branches_from_the_two_columns_never_share_a_height() -> None:
    relay = {"id": "relay", "part": "relay-module-5v", "label": "Pump relay"}
    busy = wiring(
        *[
            (a, p, b, q)
            for a, p, b, q in (
                (c.from_component, c.from_pin, c.to_component, c.to_pin) for c in I2C.connections
            )
        ],
        ("mcu", "GPIO26", "relay", "IN"),
        ("mcu", "GND", "relay", "GND"),
        extra=(relay,),
    )
    for w in (I2C, busy):
        for mode in ("used", "all"):
            lay = layout(w, CAT, mode)
            assert len([b for b in lay.blocks.values() if not b.left]) >= 2
            left = {b.anchor(p)[1] for b in lay.blocks.values() if b.left for p in b.pin_names}
            right = {b.anchor(p)[1] for b in lay.blocks.values() if not b.left for p in b.pin_names}
            assert left and right and not left & right, mode


def test_nets_that_overlap_get_their_own_lanes() -> None:
    lay = layout(I2C, CAT)
    xs = [n.x for n in lay.nets]
    assert len(set(xs)) == len(xs)
    mcu_right = lay.blocks["mcu"].x + lay.blocks["mcu"].width
    module_left = min(b.x for b in lay.blocks.values() if not b.left)
    assert all(mcu_right < x < module_left for x in xs)


def test_long_labels_widen_or_wrap_the_block_and_are_never_cut() -> None:
    lay = layout(I2C, CAT)
    oled = lay.blocks["oled"]
    assert " ".join(oled.title_lines) == f"oled: {LONG}"
    assert len(oled.title_lines) > 1, "too long for one line at the widest block"
    for line in oled.title_lines:
        assert text_width(line, 14, bold=True) <= oled.width - 20
    for b in lay.blocks.values():
        for row in b.pins:
            assert text_width(row.name, 12) + text_width(row.tag, 11) + 18 < b.width
    svg = render_wiring_svg(I2C)
    assert "…" not in svg


def test_text_width_and_wrapping() -> None:
    assert text_width("W", 12) > text_width("i", 12) > 0
    assert text_width("GPIO21", 12, bold=True) > text_width("GPIO21", 12)
    assert text_width("GPIO21", 24) == 2 * text_width("GPIO21", 12)
    lines = wrap_to_width("a " * 40 + "Supercalifragilistic" * 3, 12, 120)
    assert all(text_width(line, 12) <= 120 for line in lines)
    assert "".join(lines).replace(" ", "") == ("a" * 40 + "Supercalifragilistic" * 3)


def test_findings_on_two_pins_of_a_net_mark_the_wires_between() -> None:
    from tools.checks.findings import Finding

    f = Finding(rule="logic-level", severity="error", message="m", pins=["mcu.GPIO21", "env.SDA"])
    root = ET.fromstring(render_wiring_svg(I2C, [f]))
    marked = [w for w in root.iter(f"{SVG}line") if w.get("class") == "wire-finding"]
    assert len(marked) == 3, "the trunk between them and one branch each"
    rings = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "finding"]
    assert len(rings) == 2
