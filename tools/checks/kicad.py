"""KiCad netlists (the ``.net`` S-expression export of KiCad 6-8) as Ohm wirings.

Each symbol is mapped to a catalog part by :func:`tools.checks.matching.match_symbol`
(an ``Ohm_Part`` field, else value and footprint); symbols that map to nothing are
reported as ``unknown-part`` warnings and left out, never guessed. A node's pin is named
by its pin function (``GND``, ``ECHO``), else its number; a symbol field ``Ohm_Pins``
(``1=VCC,2=TRIG,3=ECHO,4=GND``) names the pins of generic connector symbols. A net named
like a supply (``+5V``, ``+3V3``, ``VBUS``) that no mapped part feeds gets a supply of
that voltage, because KiCad's power symbols carry the voltage in their name. The net-level
checks then run on the result as on any wiring.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import sexpdata

from tools.checks.catalog import Catalog, load_catalog
from tools.checks.findings import Finding, dedupe, sort_findings
from tools.checks.matching import match_symbol
from tools.checks.wiring import check_wiring
from tools.schemas import Wiring

_SUPPLY_NET = re.compile(r"^\+?(\d+)V(\d*)$|^\+?(\d+(?:\.\d+)?)V$", re.I)


class KicadError(ValueError):
    """A file that is not a KiCad netlist; the message is one line."""


def _name(x: Any) -> str:
    return x.value() if isinstance(x, sexpdata.Symbol) else str(x)


def _children(node: list[Any], key: str) -> list[list[Any]]:
    return [c for c in node[1:] if isinstance(c, list) and c and _name(c[0]) == key]


def _first(node: list[Any], key: str) -> str | None:
    found = _children(node, key)
    return _name(found[0][1]) if found and len(found[0]) > 1 else None


def net_voltage(name: str) -> float | None:
    """Volts from a supply net name: +5V, 3V3, +3.3V, +12V, VBUS; None for other nets."""
    text = name.strip().lstrip("/")
    if text.upper() in ("VBUS", "+VBUS", "USB_5V"):
        return 5.0
    m = _SUPPLY_NET.match(text)
    if not m:
        return None
    if m.group(3):
        return float(m.group(3))
    return float(f"{m.group(1)}.{m.group(2) or 0}")


def parse_netlist(text: str, catalog: Catalog | None = None) -> tuple[Wiring, list[Finding]]:
    """The wiring a KiCad netlist describes, and the findings about symbols left out."""
    cat = catalog or load_catalog()
    try:
        tree = sexpdata.loads(text)
    except Exception as exc:  # sexpdata raises several types for broken input
        raise KicadError(f"not an S-expression file ({type(exc).__name__})") from None
    if not isinstance(tree, list) or not tree or _name(tree[0]) != "export":
        raise KicadError("not a KiCad netlist: expected (export ...) from File > Export > Netlist")
    comps_node = _children(tree, "components")
    nets_node = _children(tree, "nets")
    if not comps_node or not nets_node:
        raise KicadError("the netlist has no components or nets section")
    findings: list[Finding] = []
    components: list[dict[str, Any]] = []
    pin_names: dict[str, dict[str, str]] = {}
    known: set[str] = set()
    for comp in _children(comps_node[0], "comp"):
        ref = _first(comp, "ref") or ""
        value = _first(comp, "value") or ""
        footprint = _first(comp, "footprint")
        fields: dict[str, str] = {}
        for prop in _children(comp, "property"):
            n, v = _first(prop, "name"), _first(prop, "value")
            if n is not None and v is not None:
                fields[n] = v
        for group in _children(comp, "fields"):
            for f in _children(group, "field"):
                n = _first(f, "name")
                if n is not None and len(f) > 2:
                    fields.setdefault(n, _name(f[-1]))
        lib = _children(comp, "libsource")
        symbol = _first(lib[0], "part") if lib else None
        match = match_symbol(
            cat, ref=ref, value=value, footprint=footprint, fields=fields, symbol=symbol
        )
        if match.part is None:
            findings.append(
                Finding(
                    rule="unknown-part",
                    severity="warning",
                    message=f"{ref} ({value}) is not checked: {match.how}.",
                    components=[ref],
                    fix="Add a symbol field Ohm_Part with the catalog id (ohm check rules and the "
                    "parts_catalog tool list them), or leave it if it is a connector or hardware.",
                )
            )
            continue
        cid = re.sub(r"[^A-Za-z0-9_-]", "_", ref)
        if not cid[:1].isalpha():
            cid = "U" + cid
        known.add(ref)
        components.append(
            {"id": cid, "part": match.part.id, "label": f"{ref} {value}", "props": match.props}
        )
        mapping: dict[str, str] = {}
        for item in (fields.get("Ohm_Pins") or "").split(","):
            if "=" in item:
                num, pname = item.split("=", 1)
                mapping[num.strip()] = pname.strip()
        pin_names[ref] = mapping
    ref_to_id = {c["label"].split(" ", 1)[0]: c["id"] for c in components}
    connections: list[dict[str, Any]] = []
    supply_nets: list[tuple[str, float, list[tuple[str, str]]]] = []
    for net in _children(nets_node[0], "net"):
        name = _first(net, "name") or ""
        nodes: list[tuple[str, str]] = []
        for node in _children(net, "node"):
            ref = _first(node, "ref") or ""
            if ref not in known:
                continue
            num = _first(node, "pin") or ""
            func = _first(node, "pinfunction")
            part = cat.get(next(c["part"] for c in components if c["id"] == ref_to_id[ref]))
            pin = pin_names[ref].get(num)
            if pin is None and func and part is not None and part.pin(func) is not None:
                pin = func
            nodes.append((ref_to_id[ref], pin or num))
        for a, b in itertools.pairwise(nodes):
            connections.append(
                {"from_component": a[0], "from_pin": a[1], "to_component": b[0], "to_pin": b[1]}
            )
        volts = net_voltage(name)
        if volts is not None and nodes:
            supply_nets.append((name, volts, nodes))
    if not components:
        raise KicadError("no symbol in the netlist maps to a catalog part")
    wiring = Wiring.model_validate({"components": components, "connections": connections})
    return _with_named_supplies(wiring, supply_nets, cat), findings


def _with_named_supplies(
    wiring: Wiring, supply_nets: list[tuple[str, float, list[tuple[str, str]]]], cat: Catalog
) -> Wiring:
    """Add a supply for each +5V/+3V3-style net that no mapped part's hard source feeds."""
    from tools.checks.netlist import build_netlist

    nl = build_netlist(wiring, cat)
    data = wiring.model_dump(by_alias=True)
    for i, (name, volts, nodes) in enumerate(supply_nets):
        net = nl.net_of.get((nodes[0][0], _canonical(cat, wiring, nodes[0])))
        rail = nl.rails.get(net) if net is not None else None
        if rail is not None and not rail.soft:
            continue
        sid = f"net_supply_{i + 1}"
        data["components"].append(
            {
                "id": sid,
                "part": "supply-adjustable",
                "label": f"net {name}",
                "props": {"vout": volts},
            }
        )
        data["connections"].append(
            {
                "from_component": sid,
                "from_pin": "V+",
                "to_component": nodes[0][0],
                "to_pin": nodes[0][1],
            }
        )
    return Wiring.model_validate(data)


def _canonical(cat: Catalog, wiring: Wiring, node: tuple[str, str]) -> str:
    comp = next(c for c in wiring.components if c.id == node[0])
    pin = cat.pin(comp.part, node[1])
    return pin.name if pin else node[1].upper()


def check_kicad(text: str, catalog: Catalog | None = None) -> list[Finding]:
    """The wiring checks over a KiCad netlist, plus the symbols that could not be mapped."""
    cat = catalog or load_catalog()
    wiring, findings = parse_netlist(text, cat)
    return sort_findings(dedupe(findings + check_wiring(wiring, cat)))
