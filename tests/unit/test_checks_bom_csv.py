"""BOM CSVs read back: JLCPCB and KiCad styles, and clear errors for what is not a BOM."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.check_cli import check_app
from tools.checks.bom_csv import BomCsvError, parse_bom_csv

JLC = """Comment,Designator,Footprint,LCSC Part #
10k,"R1,R2",Resistor_SMD:R_0603_1608Metric,C25804
IRLZ44N,Q1,Package_TO_SOT_THT:TO-220-3_Vertical,
Mystery widget,U9,Module:Thing,
"""

KICAD = """Source:,/home/maker/board.kicad_sch
Tool:,Eeschema 8.0
Component Count:,2

"Reference";"Value";"Footprint";"Qty";"Unit Price";"Supplier"
"D1";"1N4007";"Diode_THT:D_DO-41_SOD81_P10.16mm_Horizontal";"1";"$0.05";"LCSC"
"U1";"ESP32-DEVKITC-32E";"Module:ESP32-DevKitC";"1";"9.50";"Mouser"
"""


def test_jlcpcb_bom_maps_by_reference_value_and_footprint() -> None:
    bom = parse_bom_csv(JLC, name="board")
    by_name = {c.name: c for c in bom.components}
    assert by_name["10k"].quantity == 2 and by_name["10k"].catalog_id == "resistor"
    assert by_name["10k"].supplier == "LCSC"
    assert by_name["IRLZ44N"].catalog_id == "mosfet-irlz44n"
    assert by_name["Mystery widget"].catalog_id is None


def test_kicad_bom_with_preamble_semicolons_and_prices() -> None:
    bom = parse_bom_csv(KICAD)
    by_ref = {c.notes: c for c in bom.components}
    assert by_ref["D1"].catalog_id == "diode-1n4007" and by_ref["D1"].unit_cost == 0.05
    assert by_ref["U1"].catalog_id == "esp32-devkit-v1" and by_ref["U1"].supplier == "Mouser"
    assert bom.total_cost == 9.55


@pytest.mark.parametrize(
    ("text", "needle"),
    [("a,b,c\n1,2,3\n", "no BOM header"), ("Comment,Qty\nx,many\n", "not a number"),
     ("Comment,Designator\n", "no parts")],
)  # fmt: skip
def test_what_is_not_a_bom_is_one_clear_error(text: str, needle: str) -> None:
    with pytest.raises(BomCsvError, match=needle):
        parse_bom_csv(text)


def test_cli_checks_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text(KICAD)
    res = CliRunner().invoke(check_app, ["bom", str(path), "--json"])
    assert res.exit_code == 0, res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,here\n")
    res = CliRunner().invoke(check_app, ["bom", str(bad)])
    assert res.exit_code == 2 and res.output.startswith("error:")
