"""KiCad netlists checked like wirings: symbols mapped by rule, unknown ones listed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.check_cli import check_app
from tools.checks.kicad import KicadError, check_kicad, net_voltage, parse_netlist


def comp(ref: str, value: str, footprint: str = "", **fields: str) -> str:
    props = "".join(f'(property (name "{k}") (value "{v}"))' for k, v in fields.items())
    return f'(comp (ref "{ref}") (value "{value}") (footprint "{footprint}") {props})'


def net(code: int, name: str, *nodes: tuple[str, str, str]) -> str:
    body = "".join(f'(node (ref "{r}") (pin "{p}") (pinfunction "{f}"))' for r, p, f in nodes)
    return f'(net (code "{code}") (name "{name}") {body})'


def netlist(comps: list[str], nets: list[str]) -> str:
    return (
        '(export (version "E") (design (source "t.kicad_sch") (tool "Eeschema 8.0.4"))\n'
        f"(components {' '.join(comps)})\n(nets {' '.join(nets)}))\n"
    )


ESP = comp("U1", "ESP32-DevKitC", "Module:ESP32-DevKitC", Ohm_Part="esp32-devkit-v1")
SONAR = comp(
    "U2",
    "HC-SR04",
    "Connector_PinHeader_2.54mm:PinHeader_1x04",
    Ohm_Pins="1=VCC,2=TRIG,3=ECHO,4=GND",
)
SONAR_NETS = [
    net(1, "+5V", ("U1", "19", "VIN"), ("U2", "1", "")),
    net(2, "GND", ("U1", "14", "GND"), ("U2", "4", "")),
    net(3, "TRIG", ("U1", "30", "GPIO18"), ("U2", "2", "")),
]


def test_echo_straight_into_a_gpio_is_the_logic_level_error() -> None:
    text = netlist(
        [ESP, SONAR], [*SONAR_NETS, net(4, "ECHO", ("U2", "3", ""), ("U1", "31", "GPIO19"))]
    )
    found = check_kicad(text)
    assert any(f.rule == "logic-level" and f.severity == "error" for f in found)


def test_divider_and_unknown_connector() -> None:
    parts = [
        ESP,
        SONAR,
        comp("R1", "1k"),
        comp("R2", "2k"),
        comp("J1", "Conn_01x02", "Connector:Barrel"),
    ]
    nets = [
        *SONAR_NETS,
        net(4, "ECHO", ("U2", "3", ""), ("R1", "1", "")),
        net(5, "ECHO_3V3", ("R1", "2", ""), ("R2", "1", ""), ("U1", "31", "GPIO19")),
        net(6, "GND2", ("R2", "2", ""), ("U1", "14", "GND"), ("J1", "2", "")),
    ]
    found = check_kicad(netlist(parts, nets))
    assert [f.message for f in found if f.severity == "error"] == []
    unknown = [f for f in found if f.rule == "unknown-part"]
    assert [f.components for f in unknown] == [["J1"]] and unknown[0].severity == "warning"


def test_named_supply_net_gives_its_voltage() -> None:
    env = comp("U3", "BME280", "", Ohm_Part="bme280")
    nets = [
        net(1, "+5V", ("U3", "1", "VIN")),
        net(2, "GND", ("U3", "2", "GND"), ("U1", "14", "GND")),
        net(3, "SDA", ("U3", "4", "SDA"), ("U1", "33", "GPIO21")),
    ]
    found = check_kicad(netlist([ESP, env], nets))
    assert any(f.rule == "supply-voltage" and f.severity == "error" for f in found)
    assert net_voltage("+3V3") == 3.3 and net_voltage("+12V") == 12.0 and net_voltage("SDA") is None


def test_a_value_is_matched_only_when_the_footprint_fits() -> None:
    ok = comp("Q1", "IRLZ44N", "Package_TO_SOT_THT:TO-220-3_Vertical")
    wrong = comp("Q2", "IRLZ44N", "Package_TO_SOT_SMD:SOT-23")
    wiring, notes = parse_netlist(
        netlist([ESP, ok, wrong], [net(1, "G", ("Q1", "1", "G"), ("U1", "30", "GPIO18"))])
    )
    assert {c.part for c in wiring.components} >= {"mosfet-irlz44n"}
    assert "Q2" not in {c.id for c in wiring.components}
    assert any("Q2" in f.components and "footprint" in f.message for f in notes)


@pytest.mark.parametrize("text", ["(not a netlist", "(kicad_sch (version 1))", "hello"])
def test_bad_input_is_one_clear_error(text: str) -> None:
    with pytest.raises(KicadError):
        parse_netlist(text)


def test_cli_reads_a_netlist_and_exits_1_on_the_error(tmp_path: Path) -> None:
    path = tmp_path / "sonar.net"
    path.write_text(
        netlist(
            [ESP, SONAR], [*SONAR_NETS, net(4, "ECHO", ("U2", "3", ""), ("U1", "31", "GPIO19"))]
        )
    )
    res = CliRunner().invoke(check_app, ["kicad", str(path), "--json"])
    assert res.exit_code == 1 and "logic-level" in res.output
    bad = tmp_path / "x.net"
    bad.write_text("(oops")
    res = CliRunner().invoke(check_app, ["kicad", str(bad)])
    assert res.exit_code == 2 and res.output.startswith("error:")
