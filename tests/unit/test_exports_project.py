"""Exports: SVG diagram, BOM CSV/Markdown, PlatformIO folder, and the path guard."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from exports import (
    ExportPathError,
    bom_csv,
    bom_markdown,
    export_project,
    platformio_files,
    render_wiring_svg,
)
from tools.checks import check_wiring, load_catalog
from tools.schemas import Bom, CodeFile, Wiring

SVG_NS = "{http://www.w3.org/2000/svg}"


def _conn(a: str, ap: str, b: str, bp: str, colour: str | None = None) -> dict[str, object]:
    return {
        "from_component": a,
        "from_pin": ap,
        "to_component": b,
        "to_pin": bp,
        "wire_color": colour,
    }


WIRING = Wiring.model_validate(
    {
        "components": [
            {"id": "mcu", "part": "esp32-devkit-v1", "label": "Main <script>alert(1)</script>"},
            {"id": "sonar", "part": "hc-sr04"},
            {"id": "r1", "part": "resistor", "props": {"value": 1000}},
            {"id": "r2", "part": "resistor", "props": {"value": 2000}},
            {"id": "LED1", "part": "led-5mm"},
        ],
        "connections": [
            _conn("mcu", "VIN", "sonar", "VCC", "red"),
            _conn("mcu", "GND", "sonar", "GND", "black"),
            _conn("mcu", "GPIO18", "sonar", "TRIG", "yellow"),
            _conn("sonar", "ECHO", "mcu", "GPIO19", "#12ab34"),
            _conn("mcu", "GPIO23", "LED1", "anode", 'red" onload="alert(1)'),
            _conn("LED1", "CATHODE", "mcu", "GND", "black"),
        ],
    }
)

BOM = Bom.model_validate(
    {
        "project_name": "Parking | sensor",
        "components": [
            {
                "name": "ESP32 board",
                "part_number": "ESP32-DEVKITC-32E",
                "manufacturer": "Espressif",
                "catalog_id": "esp32-devkit-v1",
                "unit_cost": 10,
            },
            {
                "name": "Resistor 2 kΩ",
                "part_number": "CFR-25JB-52-2K",
                "manufacturer": "Yageo",
                "catalog_id": "resistor",
            },
            {
                "name": "Resistor 1k",
                "part_number": "CFR-25JB-52-1K",
                "manufacturer": "Yageo",
                "catalog_id": "resistor",
            },
            {
                "name": "Red LED",
                "part_number": "C2286",
                "manufacturer": '=HYPERLINK("http://x")',
                "supplier": "LCSC",
            },
        ],
    }
)


def test_svg_is_valid_escaped_and_marks_findings() -> None:
    findings = check_wiring(WIRING)
    assert any(f.rule == "logic-level" for f in findings)
    assert any(f.rule == "led-resistor" for f in findings)
    svg = render_wiring_svg(WIRING, findings, title="<b>Parking</b> & co")
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG_NS}svg"
    assert "<script" not in svg and "onload=" not in svg.replace("&quot;", "")
    texts = "".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
    block = next(g for g in root.iter(f"{SVG_NS}g") if g.get("id") == "block-mcu")
    title = " ".join(t.text or "" for t in block if t.get("class") == "title")
    assert title == "mcu: Main <script>alert(1)</script>"  # shown whole, as text, not markup
    assert {"GPIO19", "ECHO", "VIN", "ANODE"} <= {t.text for t in root.iter(f"{SVG_NS}text")}
    wires = [w for w in root.iter(f"{SVG_NS}line") if w.get("class") == "wire"]
    ends = {(c.from_component, c.from_pin) for c in WIRING.connections}
    ends |= {(c.to_component, c.to_pin) for c in WIRING.connections}
    assert len(wires) == len(ends), "one branch per wired pin"
    strokes = {w.get("stroke") for w in wires}
    assert {"#d32f2f", "#12ab34", "#607d8b"} <= strokes
    rings = [c for c in root.iter(f"{SVG_NS}circle") if c.get("class") == "finding"]
    assert len(rings) >= 4  # ECHO, GPIO19, the LED's pins
    marked = [p for p in root.iter(f"{SVG_NS}line") if p.get("class") == "wire-finding"]
    assert marked, "the ECHO wire should carry the finding's overlay"
    assert "Findings" in texts and "logic-level" in texts


def test_svg_without_findings_has_no_marks() -> None:
    svg = render_wiring_svg(WIRING, [])
    assert 'class="finding"' not in svg and "wire-finding" not in svg


def test_bom_csv_has_jlcpcb_and_kicad_columns() -> None:
    rows = list(csv.DictReader(io.StringIO(bom_csv(BOM, WIRING))))
    assert list(rows[0]) == [
        "Comment",
        "Designator",
        "Footprint",
        "LCSC Part #",
        "Value",
        "MPN",
        "Manufacturer",
        "Qty",
        "Description",
        "Unit Price",
        "Supplier",
        "Ohm Part",
    ]
    by_mpn = {r["MPN"]: r for r in rows}
    assert by_mpn["CFR-25JB-52-2K"]["Value"] == "2 kΩ"
    assert by_mpn["CFR-25JB-52-2K"]["Designator"] == "R2"  # r2 in the wiring is the 2 kΩ one
    assert by_mpn["CFR-25JB-52-1K"]["Designator"] == "R1"
    assert by_mpn["CFR-25JB-52-1K"]["Footprint"].startswith("Resistor_THT:")
    assert by_mpn["C2286"]["LCSC Part #"] == "C2286"
    assert by_mpn["C2286"]["Manufacturer"].startswith("'=")  # no formula injection
    assert by_mpn["ESP32-DEVKITC-32E"]["Designator"] == "U1"
    assert by_mpn["ESP32-DEVKITC-32E"]["Unit Price"] == "10.00"
    assert by_mpn["ESP32-DEVKITC-32E"]["Ohm Part"] == "esp32-devkit-v1"
    assert by_mpn["C2286"]["Supplier"] == "LCSC" and by_mpn["C2286"]["Unit Price"] == ""


def test_bom_markdown_escapes_cells() -> None:
    md = bom_markdown(BOM, WIRING)
    assert md.startswith("# Parking \\| sensor")
    header = md.splitlines()[2]
    assert header.count("|") == 10
    assert all(line.count("|") - line.count("\\|") == 10 for line in md.splitlines()[4:8])


def test_platformio_layout() -> None:
    board = load_catalog().get("arduino-uno")
    out = platformio_files(
        [
            CodeFile(path="blink.ino", content="void setup(){}\nvoid loop(){}\n"),
            CodeFile(path="pins.h", content="#define LED 13\n"),
            CodeFile(path="lib/util/util.h", content=""),
        ],
        board,
        "Blink",
    )
    assert set(out) == {"src/blink.ino", "include/pins.h", "lib/util/util.h", "platformio.ini"}
    assert "board = uno" in out["platformio.ini"] and "platform = atmelavr" in out["platformio.ini"]
    kept = platformio_files([CodeFile(path="platformio.ini", content="[env:x]\n")])
    assert kept["platformio.ini"].strip() == "[env:x]"


def _code() -> list[CodeFile]:
    return [
        CodeFile(path="include/config.h", content="#define TRIG_PIN 18\n#define ECHO_PIN 19\n"),
        CodeFile(path="src/main.cpp", content="void setup(){}\nvoid loop(){}\n"),
    ]


def test_export_project_writes_everything(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = export_project(out, BOM, WIRING, _code())
    rel = sorted(p.relative_to(out.resolve()).as_posix() for p in written)
    assert rel == sorted(
        [
            "wiring.svg",
            "bom.csv",
            "bom.md",
            "firmware/platformio.ini",
            "firmware/include/config.h",
            "firmware/src/main.cpp",
            "findings.json",
        ]
    )
    assert "board = esp32dev" in (out / "firmware/platformio.ini").read_text()
    findings = json.loads((out / "findings.json").read_text())["findings"]
    assert any(f["rule"] == "logic-level" for f in findings)  # checks ran by default
    ET.fromstring((out / "wiring.svg").read_text())


@pytest.mark.parametrize(
    "bad", ["../escape.cpp", "src/../../escape.cpp", "/tmp/abs.cpp", "C:/x.cpp"]
)
def test_export_refuses_paths_outside_the_folder(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "out"
    sneaky = CodeFile.model_construct(path=bad, language="cpp", content="int x;")
    with pytest.raises(ExportPathError):
        export_project(out, None, None, [sneaky], findings=[])
    assert not (tmp_path / "escape.cpp").exists()
    assert not out.exists() or list(out.rglob("*.cpp")) == []


def test_export_refuses_symlinks_that_point_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside, out / "firmware")
    with pytest.raises(ExportPathError, match="outside"):
        export_project(out, BOM, WIRING, _code(), findings=[])
    assert list(outside.iterdir()) == []
    assert not (out / "bom.csv").exists()  # nothing written before the refusal
    os.symlink(outside / "x.svg", out / "wiring.svg")
    with pytest.raises(ExportPathError):
        export_project(out, None, WIRING, None, findings=[])
    assert not (outside / "x.svg").exists()


def test_svg_outlines_a_block_named_by_a_pinless_finding() -> None:
    w = Wiring.model_validate({"components": [{"id": "x1", "part": "flux-capacitor"}]})
    findings = check_wiring(w)
    assert [f.rule for f in findings] == ["unknown-part"]
    assert findings[0].severity == "error"
    svg = render_wiring_svg(w, findings)
    assert 'stroke="#d32f2f" stroke-width="3"' in svg
