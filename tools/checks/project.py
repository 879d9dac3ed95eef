"""``check_project``: every check over a project's artifacts, plus the checks between them."""

from __future__ import annotations

from tools.checks.bom import check_bom
from tools.checks.catalog import Catalog, load_catalog
from tools.checks.code import check_code
from tools.checks.findings import Finding, dedupe, sort_findings
from tools.checks.firmware import parse_firmware
from tools.checks.netlist import build_netlist
from tools.checks.power_rules import device_addresses
from tools.checks.wiring import check_wiring
from tools.schemas import Bom, CodeFile, Wiring

#: Addresses a 7-bit I2C device can have; 0x00-0x07 and 0x78-0x7F are reserved by the
#: I2C specification (NXP UM10204, table 4), so constants outside this are not addresses.
I2C_RANGE = range(0x08, 0x78)


def wiring_i2c_addresses(wiring: Wiring, catalog: Catalog) -> dict[int, str]:
    """Address -> component id of every I2C device in the wiring, as its pins set it."""
    devices, _ = device_addresses(build_netlist(wiring, catalog))
    out: dict[int, str] = {}
    for dev in devices:
        out.setdefault(dev.address, dev.comp.id)
    return out


def rule_firmware_addresses(
    code: list[CodeFile], wiring: Wiring, catalog: Catalog
) -> list[Finding]:
    """``i2c-address-mismatch``: the firmware talks to an address no wired device has.

    Constants named like addresses (``BME280_ADDR 0x77``) are compared with the wiring's
    devices; a sensor set to 0x76 by its SDO pin never answers a driver asking at 0x77,
    and ``begin()`` just fails.
    """
    devices = wiring_i2c_addresses(wiring, catalog)
    if not devices:
        return []
    fw = parse_firmware(code)
    out = []
    for const in fw.constants.values():
        if "ADDR" not in const.name.upper():
            continue
        value = fw.value(const.text)
        if not isinstance(value, int) or value not in I2C_RANGE or value in devices:
            continue
        bus = ", ".join(f"0x{a:02X} ({cid})" for a, cid in sorted(devices.items()))
        out.append(
            Finding(
                rule="i2c-address-mismatch",
                severity="warning",
                message=(
                    f"The firmware addresses 0x{value:02X} ({const.name}), but no device in the "
                    f"wiring answers there; the bus has {bus}."
                ),
                fix=f"Set {const.name} to the device's address, or change the device's "
                "address pin and props.i2c_address to match.",
                location=f"{const.file}:{const.line}",
            )
        )
    return out


def check_project(
    bom: Bom | None,
    wiring: Wiring | None,
    code: list[CodeFile],
    catalog: Catalog | None = None,
) -> list[Finding]:
    """All findings for a project: wiring, BOM against wiring, firmware against wiring."""
    cat = catalog or load_catalog()
    out: list[Finding] = []
    if wiring is not None:
        out += check_wiring(wiring, cat)
    if bom is not None:
        out += check_bom(bom, wiring, cat)
    if code:
        out += check_code(code, wiring, cat)
        if wiring is not None:
            out += rule_firmware_addresses(code, wiring, cat)
    return sort_findings(dedupe(out))
