"""Nets and rail voltages of a wiring artifact, resolved against the parts catalog.

A wiring artifact lists point-to-point wires; the electrical rules need nets (every pin
that ends up connected, so A-B plus B-C is one net) and, for each net, the voltage a
supply puts on it. This module builds both once, so every rule reasons over the same
picture. Unknown parts and pins are reported here, because a net can only be judged
from pins whose facts are known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.checks.catalog import Catalog, Part, Pin, load_catalog
from tools.checks.findings import Finding
from tools.checks.values import parse_ohms, parse_volts
from tools.schemas import Wiring

PinRef = tuple[str, str]

#: Two supply voltages closer than this are the same rail (5.0 V vs 4.7 V USB-after-diode
#: is one rail; 5 V vs 3.3 V is two). Chosen below the smallest real gap between common
#: rails (3.3 V / 3.7 V Li-ion is 0.4 V).
SAME_RAIL_V = 0.35


def ref_text(ref: PinRef) -> str:
    return f"{ref[0]}.{ref[1]}"


@dataclass
class Comp:
    """A wiring component with its catalog part (None when the part id is unknown)."""

    id: str
    part_id: str
    part: Part | None
    props: dict[str, Any]
    label: str | None = None

    @property
    def name(self) -> str:
        return self.part.name if self.part else self.part_id

    def describe(self) -> str:
        return f"{self.id} ({self.name})"


@dataclass
class Rail:
    """The supply voltage on a net: nominal ``v`` and the band it can move in.

    ``soft`` rails come from a board pin that is only a source on USB power; ``switched``
    rails reach the net through a relay contact or a driver output; ``origin`` is the net
    whose supply ultimately feeds this one (for current budgets).
    """

    v: float
    vmin: float
    vmax: float
    sources: list[PinRef]
    origin: int
    soft: bool = False
    switched: bool = False
    max_ma: float | None = None


@dataclass
class Branch:
    """A resistor with one end on a net: its value and the net at its other end."""

    resistor: str
    ohms: float | None
    other_net: int | None


@dataclass
class Netlist:
    comps: dict[str, Comp]
    nets: list[list[PinRef]]
    net_of: dict[PinRef, int]
    rails: dict[int, Rail] = field(default_factory=dict)
    ground: set[int] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    wires: list[tuple[PinRef, PinRef, str | None]] = field(default_factory=list)

    def part(self, cid: str) -> Part | None:
        c = self.comps.get(cid)
        return c.part if c else None

    def pin(self, ref: PinRef) -> Pin | None:
        part = self.part(ref[0])
        return part.pin(ref[1]) if part else None

    def net(self, ref: PinRef) -> int | None:
        return self.net_of.get(ref)

    def comp_net(self, cid: str, pin_name: str) -> int | None:
        part = self.part(cid)
        pin = part.pin(pin_name) if part else None
        return self.net_of.get((cid, pin.name if pin else pin_name.upper()))

    def net_voltage(self, net: int | None) -> float | None:
        """Volts on a net: 0 for ground, the rail's nominal voltage, else None (unknown)."""
        if net is None:
            return None
        if net in self.ground:
            return 0.0
        rail = self.rails.get(net)
        return rail.v if rail else None

    def mcus(self) -> list[Comp]:
        return [c for c in self.comps.values() if c.part is not None and c.part.is_mcu]

    def is_resistor(self, cid: str) -> bool:
        part = self.part(cid)
        return part is not None and part.category == "resistor"

    def branches(self, net: int) -> list[Branch]:
        """Resistors with one end on ``net``, each with the net at its other end."""
        out = []
        for cid, pname in self.nets[net]:
            if not self.is_resistor(cid):
                continue
            other = "2" if pname == "1" else "1"
            ohms = parse_ohms(self.comps[cid].props.get("value"))
            out.append(Branch(cid, ohms, self.net_of.get((cid, other))))
        return out

    def signal_group(self, net: int) -> set[int]:
        """Nets reachable from ``net`` through resistors: one signal seen through dividers,
        series and pull resistors. Ground and supply nets stop the walk."""
        seen = {net}
        todo = [net]
        while todo:
            n = todo.pop()
            for br in self.branches(n):
                m = br.other_net
                if m is None or m in seen or m in self.ground or m in self.rails:
                    continue
                seen.add(m)
                todo.append(m)
        return seen


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[PinRef, PinRef] = {}
        self.order: dict[PinRef, int] = {}

    def add(self, x: PinRef) -> None:
        if x not in self.parent:
            self.parent[x] = x
            self.order[x] = len(self.order)

    def find(self, x: PinRef) -> PinRef:
        self.add(x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: PinRef, b: PinRef) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if self.order[ra] <= self.order[rb]:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def _resolve_pin(comp: Comp, raw: str, reported: set[PinRef], findings: list[Finding]) -> PinRef:
    name = str(raw).strip()
    if comp.part is None:
        return (comp.id, name.upper())
    pin = comp.part.pin(name)
    if pin is not None:
        return (comp.id, pin.name)
    ref = (comp.id, name.upper())
    if ref not in reported:
        reported.add(ref)
        close = comp.part.suggest_pins(name)
        hint = f"Did you mean {' or '.join(close)}?" if close else ""
        findings.append(
            Finding(
                rule="unknown-pin",
                severity="error",
                message=(
                    f"{comp.describe()} has no pin called '{name}'. Its pins are: "
                    f"{', '.join(comp.part.pin_names)}."
                ),
                components=[comp.id],
                pins=[f"{comp.id}.{name}"],
                fix=(hint + " " if hint else "")
                + "Use the pin name printed on the part so the wiring can be checked.",
            )
        )
    return ref


def build_netlist(wiring: Wiring, catalog: Catalog | None = None) -> Netlist:
    """Resolve parts and pins, join wires into nets and work out each net's supply voltage."""
    cat = catalog or load_catalog()
    findings: list[Finding] = []
    comps: dict[str, Comp] = {}
    for wc in wiring.components:
        part = cat.get(wc.part)
        comps[wc.id] = Comp(wc.id, wc.part, part, dict(wc.props), wc.label)
        if part is None:
            close = cat.suggest_parts(wc.part)
            findings.append(
                Finding(
                    rule="unknown-part",
                    severity="error",
                    message=(
                        f"Component '{wc.id}' is a '{wc.part}', which is not in Ohm's parts "
                        "catalog, so its voltages and pins can't be checked."
                    ),
                    components=[wc.id],
                    fix=(
                        f"If it is the same part as a catalog one ({', '.join(close)}?), use "
                        "that id; otherwise keep it and tell the maker Ohm cannot check it."
                        if close
                        else "Keep the real part and tell the maker Ohm cannot check it; the "
                        "parts_catalog tool finds catalog ids when the part is in it."
                    ),
                )
            )
    uf = _UnionFind()
    reported: set[PinRef] = set()
    wires: list[tuple[PinRef, PinRef, str | None]] = []
    for conn in wiring.connections:
        a = _resolve_pin(comps[conn.from_component], conn.from_pin, reported, findings)
        b = _resolve_pin(comps[conn.to_component], conn.to_pin, reported, findings)
        uf.union(a, b)
        wires.append((a, b, conn.wire_color))
    groups: dict[PinRef, list[PinRef]] = {}
    for ref in sorted(uf.parent, key=lambda r: uf.order[r]):
        groups.setdefault(uf.find(ref), []).append(ref)
    nets = list(groups.values())
    net_of = {ref: i for i, refs in enumerate(nets) for ref in refs}
    nl = Netlist(comps=comps, nets=nets, net_of=net_of, findings=findings, wires=wires)
    _solve_rails(nl)
    return nl


# --------------------------------------------------------------------------- rails


def _fixed_source(comp: Comp, pin: Pin) -> tuple[float, float, float] | None:
    src = pin.source
    if src is None or src.passthrough:
        return None
    if src.adjustable:
        v = parse_volts(comp.props.get("vout"))
        return (v, v, v) if v else None
    if src.v is None:
        return None
    return (src.v, src.min if src.min is not None else src.v, src.max or src.v)


def _source_max_ma(comp: Comp, pin: Pin) -> float | None:
    override = comp.props.get("max_current_ma")
    if isinstance(override, (int, float)) and not isinstance(override, bool) and override > 0:
        return float(override)
    return pin.source.max_ma if pin.source else None


def _short(
    nl: Netlist, message: str, refs: list[PinRef], fix: str, severity: str = "error"
) -> None:
    nl.findings.append(
        Finding(
            rule="short-circuit",
            severity=severity,
            message=message,
            components=sorted({r[0] for r in refs}),
            pins=[ref_text(r) for r in refs],
            fix=fix,
        )
    )


_SourceHit = tuple[PinRef, tuple[float, float, float], float | None]


def _reversed_regulators(nl: Netlist) -> set[PinRef]:
    """Converter outputs fed from outside while their input is not: wired in reverse.

    A linear regulator or buck/boost module fed at its output conducts backwards through
    the pass transistor's body diode or the converter's switch and is destroyed (the
    AMS1117 and LM7805 datasheets rate the output at most a diode drop above the input).
    """
    reversed_out: set[PinRef] = set()
    for comp in nl.comps.values():
        reg = comp.part.regulator if comp.part else None
        if reg is None:
            continue
        out_net = nl.comp_net(comp.id, reg.output)
        in_net = nl.comp_net(comp.id, reg.input)
        if out_net is None or out_net in nl.ground:
            continue
        feeding = [
            r
            for r in nl.nets[out_net]
            if r[0] != comp.id
            and (p := nl.pin(r)) is not None
            and p.source is not None
            and not p.source.soft
            and _fixed_source(nl.comps[r[0]], p) is not None
        ]
        if not feeding:
            continue
        fed_in = in_net is not None and any(
            r[0] != comp.id
            and (p := nl.pin(r)) is not None
            and p.source is not None
            and _fixed_source(nl.comps[r[0]], p) is not None
            for r in nl.nets[in_net]
        )
        if fed_in:
            continue
        out_ref = (comp.id, reg.output)
        reversed_out.add(out_ref)
        _short(
            nl,
            f"{comp.describe()} is wired in reverse: {ref_text(feeding[0])} feeds its output "
            f"{reg.output}, and its input {reg.input} "
            + ("is not connected." if in_net is None else "has no supply on it.")
            + " Current flows backwards through the regulator and destroys it.",
            [feeding[0], out_ref] + ([(comp.id, reg.input)] if in_net is not None else []),
            f"Swap the wires: the supply goes to {reg.input}, the parts it powers to {reg.output}.",
        )
    return reversed_out


def _accepts(pin: Pin, volts: float) -> bool:
    """Whether a board's supply pin that can also take power accepts ``volts`` as an input."""
    return (
        pin.supply is not None
        and pin.supply.min - SAME_RAIL_V <= volts <= pin.supply.max + SAME_RAIL_V
    )


def _supply_clash(nl: Netlist, hard: list[_SourceHit], soft: list[_SourceHit]) -> None:
    """Report a net that joins supply outputs which fight each other.

    Outputs at different voltages (3V3 with 5V/VBUS/VIN, a Li-ion cell with a 3.3 V
    regulator) push current into each other: an error. Two supplies at the same voltage
    in parallel share no load and back-feed one another: an error too, unless one is a
    board pin documented as a supply input as well (a DevKit's 3V3 fed from a 3.3 V
    supply), which only fights while USB is plugged in: a warning. A soft source (a
    board's VIN carrying USB 5 V) is an input when the other supply is within its input
    range (9 V into VIN), and a clash when it is not.
    """
    clashes: list[tuple[_SourceHit, _SourceHit, str]] = []
    for i, a in enumerate(hard):
        for b in hard[i + 1 :]:
            if a[0][0] == b[0][0]:
                continue
            if abs(a[1][0] - b[1][0]) > SAME_RAIL_V:
                clashes.append((a, b, "error"))
                continue
            pa, pb = nl.pin(a[0]), nl.pin(b[0])
            board_input = any(
                p is not None and p.dir == "power-io" and p.supply is not None and part.is_mcu
                for p, part in ((pa, nl.part(a[0][0])), (pb, nl.part(b[0][0])))
                if part is not None
            )
            clashes.append((a, b, "warning" if board_input else "error"))
    others = hard or soft[:1]
    for s_hit in soft:
        pin = nl.pin(s_hit[0])
        for o in others:
            if o is s_hit or pin is None:
                continue
            if abs(o[1][0] - s_hit[1][0]) <= SAME_RAIL_V or _accepts(pin, o[1][0]):
                continue
            clashes.append((o, s_hit, "error"))
    if not clashes:
        return
    worst = min(clashes, key=lambda c: c[2] != "error")
    a, b, sev = worst
    va, vb = a[1][0], b[1][0]
    if abs(va - vb) > SAME_RAIL_V:
        lo, hi = (a, b) if va < vb else (b, a)
        message = (
            f"Two different supplies are joined: {ref_text(hi[0])} ({hi[1][0]:g} V) and "
            f"{ref_text(lo[0])} ({lo[1][0]:g} V). The {hi[1][0]:g} V side back-feeds the "
            f"{lo[1][0]:g} V regulator or cell and the parts on it."
        )
        fix = "Keep each rail on its own net; connect only the grounds between supplies."
    elif sev == "warning":
        message = (
            f"{ref_text(a[0])} and {ref_text(b[0])} are two {va:g} V supplies on one net. "
            "It works while only one of them is on (USB unplugged), but with both on the "
            "two regulators fight."
        )
        fix = "Power the board through one input only, or leave USB unplugged while the "
        fix += "external supply is on."
    else:
        message = (
            f"{ref_text(a[0])} and {ref_text(b[0])} are two supply outputs ({va:g} V and "
            f"{vb:g} V) wired in parallel: they fight, and one back-feeds the other."
        )
        fix = "Use one supply for this rail, or give each its own rail and join only grounds."
    _short(nl, message, [a[0], b[0]], fix, sev)


def _solve_rails(nl: Netlist) -> None:
    for i, refs in enumerate(nl.nets):
        if any((p := nl.pin(r)) is not None and p.is_ground for r in refs):
            nl.ground.add(i)
    reversed_out = _reversed_regulators(nl)
    for i, refs in enumerate(nl.nets):
        hard: list[_SourceHit] = []
        soft: list[_SourceHit] = []
        for ref in refs:
            pin = nl.pin(ref)
            if pin is None or pin.source is None or ref in reversed_out:
                continue
            comp = nl.comps[ref[0]]
            fixed = _fixed_source(comp, pin)
            if fixed is None:
                continue
            (soft if pin.source.soft else hard).append((ref, fixed, _source_max_ma(comp, pin)))
        if not hard and not soft:
            continue
        if i in nl.ground:
            srcs = [s[0] for s in hard + soft]
            gnds = [r for r in refs if (p := nl.pin(r)) is not None and p.is_ground]
            _short(
                nl,
                f"{', '.join(ref_text(s) for s in srcs)} is wired straight to ground "
                f"({', '.join(ref_text(g) for g in gnds[:3])}): a dead short across the supply.",
                srcs + gnds[:3],
                "Remove the wire between the supply pin and GND; supply pins go to the parts' "
                "VCC/VIN pins, GND to GND.",
            )
            continue
        _supply_clash(nl, hard, soft)
        chosen = hard or soft
        best = max(chosen, key=lambda f: f[1][0])
        nl.rails[i] = Rail(
            v=best[1][0],
            vmin=min(f[1][1] for f in chosen),
            vmax=max(f[1][2] for f in chosen),
            sources=[f[0] for f in chosen],
            origin=i,
            soft=not hard,
            max_ma=best[2],
        )
    _propagate(nl)


def _propagate(nl: Netlist) -> None:
    """Carry rails through driver outputs, chargers' OUT pins and relay contacts (closed)."""
    reported: set[tuple[int, int]] = set()

    def carry(src_net: int, dst_net: int, refs: list[PinRef], how: str) -> bool:
        rail = nl.rails[src_net]
        if dst_net in nl.ground:
            if (src_net, dst_net) not in reported:
                reported.add((src_net, dst_net))
                _short(
                    nl,
                    f"When {how} switches on, {', '.join(ref_text(r) for r in refs)} joins the "
                    f"{rail.v:g} V rail to ground.",
                    refs,
                    "Put the load between the switched output and ground, not a bare wire.",
                )
            return False
        existing = nl.rails.get(dst_net)
        if existing is not None:
            if abs(existing.v - rail.v) > SAME_RAIL_V and (src_net, dst_net) not in reported:
                reported.add((src_net, dst_net))
                reported.add((dst_net, src_net))
                _short(
                    nl,
                    f"When {how} switches on, it joins the {rail.v:g} V and {existing.v:g} V "
                    f"rails ({', '.join(ref_text(r) for r in refs)}).",
                    refs,
                    "Switch a load, not a second supply.",
                )
            return False
        nl.rails[dst_net] = Rail(
            v=rail.v,
            vmin=rail.vmin,
            vmax=rail.vmax,
            sources=list(rail.sources),
            origin=rail.origin,
            soft=rail.soft,
            switched=True,
            max_ma=rail.max_ma,
        )
        return True

    for _ in range(8):
        changed = False
        for comp in nl.comps.values():
            part = comp.part
            if part is None:
                continue
            for pin in part.pins:
                if pin.source is None or not pin.source.passthrough:
                    continue
                ref = (comp.id, pin.name)
                dst = nl.net_of.get(ref)
                if dst is None or dst in nl.rails:
                    continue
                rail_nets = [nl.comp_net(comp.id, r) for r in pin.rails]
                powered = [n for n in rail_nets if n is not None and n in nl.rails]
                if powered:
                    src = max(powered, key=lambda n: nl.rails[n].v)
                    changed |= carry(src, dst, [ref], f"{comp.id} ({pin.name})")
            for a_name, b_name in part.links:
                na, nb = nl.comp_net(comp.id, a_name), nl.comp_net(comp.id, b_name)
                if na is None or nb is None or na == nb:
                    continue
                refs = [(comp.id, a_name), (comp.id, b_name)]
                how = f"{comp.id}'s {a_name}-{b_name} contact"
                if na in nl.rails and nb not in nl.rails:
                    changed |= carry(na, nb, refs, how)
                elif nb in nl.rails and na not in nl.rails:
                    changed |= carry(nb, na, refs, how)
                elif na in nl.rails and nb in nl.rails:
                    carry(na, nb, refs, how)
        if not changed:
            break
