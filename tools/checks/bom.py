"""``check_bom``: a parts list against the catalog, its own power figures and the wiring."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tools.checks.catalog import Catalog, Part, Pin, load_catalog
from tools.checks.findings import Finding, dedupe, sort_findings
from tools.checks.values import parse_current_text
from tools.schemas import Bom, BomComponent, Wiring

#: A stated peak may be rounded: only a computed peak more than 10 % above it is reported.
STATED_PEAK_SLACK = 1.10


@dataclass
class BomLine:
    """A BOM line with the catalog part it was matched to (by catalog_id, MPN, then name)."""

    index: int
    item: BomComponent
    part: Part | None
    how: str

    @property
    def label(self) -> str:
        return self.item.name


def match_line(item: BomComponent, catalog: Catalog) -> tuple[Part | None, str]:
    """Catalog part for a BOM line: its ``catalog_id``, else its MPN, else its name."""
    if item.catalog_id:
        part = catalog.get(item.catalog_id)
        if part:
            return part, "catalog_id"
    part = catalog.by_mpn(item.part_number)
    if part is not None:
        return part, "part_number"
    if item.catalog_id:
        return None, "unknown catalog_id"
    name = "-".join(item.name.lower().replace("_", " ").split())
    hits = [p for p in catalog.parts if p.id in name]
    if hits:
        return max(hits, key=lambda p: len(p.id)), "name"
    return None, ""


def resolve_lines(bom: Bom, catalog: Catalog | None = None) -> list[BomLine]:
    cat = catalog or load_catalog()
    out = []
    for i, item in enumerate(bom.components):
        part, how = match_line(item, cat)
        out.append(BomLine(i, item, part, how))
    return out


def _line_current(line: BomLine) -> tuple[float, float] | None:
    """(typical, peak) mA for all ``quantity`` pieces of a line, or None if unknown."""
    part = line.part
    qty = line.item.quantity
    if part is not None:
        if part.category == "power":
            return 0.0, 0.0
        cur = part.current_ma
        per = float(cur.per_default or 1) if cur.per else 1.0
        return cur.typical * per * qty, cur.peak * per * qty
    typ, peak = parse_current_text(line.item.current)
    if typ is None or peak is None:
        return None
    return typ * qty, peak * qty


def _supply_capacity(bom: Bom, lines: list[BomLine]) -> tuple[float | None, str]:
    pa = bom.power_analysis
    if pa and pa.supply_current_ma:
        return pa.supply_current_ma, pa.supply or "the stated supply"
    total = 0.0
    names = []
    for line in lines:
        part = line.part
        if part is None or part.category != "power":
            continue
        for pin in part.pins:
            if pin.source and pin.source.max_ma and not pin.source.passthrough:
                if part.id in ("lm7805", "ams1117-3v3", "buck-mp1584", "boost-mt3608"):
                    continue  # converters pass current on, they do not add to it
                total += pin.source.max_ma * line.item.quantity
                names.append(line.label)
    return (total, ", ".join(names)) if total else (None, "")


def rule_power_budget(bom: Bom, lines: list[BomLine]) -> list[Finding]:
    """``power-budget``: the parts' current against the supply and against the BOM's own figures.

    Each line counts catalog typical/peak mA x quantity (an LED strip at its default
    length), or the numbers in its ``current`` text when the part is not in the catalog.
    Peak above the supply's rating is a warning (brown-outs at Wi-Fi bursts or servo
    stalls), typical above it an error. A stated ``peak_current_ma`` more than 10 % under
    the parts' sum is a warning: the power analysis was done on wrong numbers.
    """
    out: list[Finding] = []
    typ = peak = 0.0
    unknown = []
    for line in lines:
        cur = _line_current(line)
        if cur is None:
            unknown.append(line.label)
            continue
        typ += cur[0]
        peak += cur[1]
    if peak <= 0:
        return out
    note = f" ({', '.join(unknown)} not counted: no current figure)" if unknown else ""
    cap, cap_name = _supply_capacity(bom, lines)
    if cap is not None and peak > cap:
        out.append(
            Finding(
                rule="power-budget",
                severity="error" if typ > cap else "warning",
                message=(
                    f"The parts draw about {typ:.0f} mA typical and {peak:.0f} mA peak, but "
                    f"{cap_name} gives {cap:.0f} mA{note}."
                ),
                components=[line.label for line in lines],
                fix="Choose a supply rated above the peak current (with some margin), or "
                "give motors, servos and LED strips their own supply.",
            )
        )
    pa = bom.power_analysis
    if pa and pa.peak_current_ma and peak > pa.peak_current_ma * STATED_PEAK_SLACK:
        out.append(
            Finding(
                rule="power-budget",
                severity="warning",
                message=(
                    f"The power analysis says {pa.peak_current_ma:.0f} mA peak, but the "
                    f"parts' datasheet figures add up to {peak:.0f} mA{note}."
                ),
                components=[line.label for line in lines],
                fix="Update power_analysis with the summed peak current and check the supply "
                "against it.",
            )
        )
    if (
        pa
        and pa.peak_current_ma
        and pa.supply_current_ma
        and pa.peak_current_ma > pa.supply_current_ma
    ):
        out.append(
            Finding(
                rule="power-budget",
                severity="error",
                message=(
                    f"The power analysis's own peak ({pa.peak_current_ma:.0f} mA) is more than "
                    f"its supply gives ({pa.supply_current_ma:.0f} mA)."
                ),
                fix="Pick a bigger supply or split the loads.",
            )
        )
    return out


def rule_bom_logic_level(lines: list[BomLine]) -> list[Finding]:
    """``logic-level`` at the planning stage: parts whose logic cannot meet the board's.

    Without wiring the question is whether the list *can* be wired safely: a part whose
    outputs are above the board's input limit even at its lowest supply (HC-SR04 ECHO at
    4.5-5.5 V vs an ESP32's 3.6 V), or whose inputs can't take the board's high (a 3.3 V
    BME280 or nRF24 pin against an Uno's 5 V), or whose own pull-ups tie a line to a
    supply above the board's limit (a 5 V-only I2C backpack on an ESP32's bus), needs a
    level shifter or divider in the list. A shifter in the list clears it; resistors alone
    clear output problems (a divider), noted as info.
    """
    mcus = [ln for ln in lines if ln.part and ln.part.is_mcu]
    if not mcus:
        return []
    has_shifter = any(ln.part and ln.part.level_shifter for ln in lines)
    has_resistors = any(ln.part and ln.part.category == "resistor" for ln in lines)
    out = []
    for m in mcus:
        assert m.part is not None
        io = [p for p in m.part.pins if p.is_signal and p.vmax is not None]
        if not io:
            continue
        mcu_vmax = min(p.vmax for p in io if p.vmax is not None)
        mcu_vout = max((p.vout for p in io if p.vout is not None), default=m.part.logic_v or 3.3)
        for ln in lines:
            part = ln.part
            if part is None or part.is_mcu or part.level_shifter:
                continue
            too_high, too_weak, pulled = [], [], []
            for pin in part.pins:
                if pin.dir == "out" and not pin.weak:
                    lo = pin.vout if not pin.rails else (part.supply.min if part.supply else None)
                    if lo is not None and lo > mcu_vmax + 0.05:
                        too_high.append(pin.name)
                pull = _pullup_floor(part, pin)
                if pull is not None and pull > mcu_vmax + 0.05:
                    pulled.append(pin.name)
                if pin.dir in ("in", "od"):
                    lim = pin.vmax
                    if lim is None and pin.rails and part.supply:
                        lim = part.supply.max + 0.3
                    if lim is not None and lim + 0.05 < mcu_vout:
                        too_weak.append(pin.name)
            if (not too_high and not too_weak and not pulled) or has_shifter:
                continue
            if pulled:
                msg = (
                    f"{ln.label} pulls {'/'.join(pulled)} up to its own supply, at least "
                    f"{_pullup_floor_text(part, pulled)} V, above the {mcu_vmax:g} V that "
                    f"{m.label}'s pins tolerate"
                )
                sev = "warning"
            elif too_weak:
                msg = (
                    f"{ln.label} has {'/'.join(too_weak)} rated below the {mcu_vout:g} V "
                    f"that {m.label} drives"
                )
                sev = "warning"
            else:
                msg = (
                    f"{ln.label} drives {'/'.join(too_high)} above the {mcu_vmax:g} V "
                    f"that {m.label}'s pins tolerate"
                )
                sev = "info" if has_resistors else "warning"
            out.append(
                Finding(
                    rule="logic-level",
                    severity=sev,
                    message=msg + ", and the list has no level shifter.",
                    components=[m.label, ln.label],
                    fix=(
                        "Add a level shifter (e.g. SparkFun BOB-12009) to the list"
                        + (", or resistors for a divider on each output" if too_high else "")
                        + "."
                    ),
                )
            )
    return out


def _pullup_floor(part: Part, pin: Pin) -> float | None:
    """The lowest voltage a module's own pull-up can hold ``pin`` at: a fixed level, or the
    lowest supply of the rail it is tied to (a 5 V-only I2C backpack pulls SDA to >= 4.5 V)."""
    if pin.pullup is None or pin.dir not in ("od", "io", "out"):
        return None
    if isinstance(pin.pullup, (int, float)):
        return float(pin.pullup)
    rail = part.pin(pin.pullup)
    supply = rail.supply if rail is not None and rail.supply else part.supply
    return supply.min if supply else None


def _pullup_floor_text(part: Part, names: list[str]) -> str:
    levels = [_pullup_floor(part, p) for p in part.pins if p.name in names]
    return f"{min(x for x in levels if x is not None):g}"


def _wiring_key(part_id: str, catalog: Catalog) -> str:
    part = catalog.get(part_id)
    return part.id if part else "-".join(part_id.lower().split())


def rule_bom_vs_wiring(lines: list[BomLine], wiring: Wiring, catalog: Catalog) -> list[Finding]:
    """``bom-missing-part`` / ``bom-unwired-part``: the list and the wiring disagree.

    BOM lines are matched to wiring components through ``catalog_id``, else the part
    number, else the name. A part wired more times than the list's quantity, or not listed
    at all, would be missing at the bench; a catalog part listed but never wired is
    probably a leftover or a forgotten connection. Lines that match no catalog part
    (wires, breadboards, enclosures) are not judged.
    """
    out = []
    wired = Counter(_wiring_key(c.part, catalog) for c in wiring.components)
    wired_ids: dict[str, list[str]] = {}
    for c in wiring.components:
        wired_ids.setdefault(_wiring_key(c.part, catalog), []).append(c.id)
    listed: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for ln in lines:
        if ln.part is not None:
            listed[ln.part.id] += ln.item.quantity
            labels.setdefault(ln.part.id, ln.label)
            continue
        keys = {
            "-".join(ln.item.part_number.lower().split()),
            "-".join(ln.item.name.lower().split()),
        }
        for key in wired:
            if key in keys:
                listed[key] += ln.item.quantity
                labels.setdefault(key, ln.label)
    for key, n in sorted(wired.items()):
        have = listed.get(key, 0)
        if have >= n:
            continue
        ids = ", ".join(wired_ids[key])
        part = catalog.get(key)
        name = part.name if part else key
        out.append(
            Finding(
                rule="bom-missing-part",
                severity="warning",
                message=(
                    f"The wiring uses {n} x {name} ({ids}) but the parts list has "
                    + ("none." if have == 0 else f"only {have}.")
                ),
                components=wired_ids[key],
                fix=f"Add {n - have} x {name} to the parts list (with catalog_id '{key}')."
                if part
                else f"Add {name} to the parts list.",
            )
        )
    for key, n in sorted(listed.items()):
        if key in wired or catalog.get(key) is None:
            continue
        out.append(
            Finding(
                rule="bom-unwired-part",
                severity="warning",
                message=f"{labels[key]} is on the parts list ({n} x) but nothing in the wiring "
                "uses it.",
                components=[labels[key]],
                fix="Wire it up, or drop it from the parts list if it is not needed.",
            )
        )
    return out


def check_bom(
    bom: Bom, wiring: Wiring | None = None, catalog: Catalog | None = None
) -> list[Finding]:
    """BOM findings: unknown catalog ids, power budget, logic levels, and BOM-vs-wiring.

    With wiring at hand the logic-level question is answered exactly by ``check_wiring``,
    so the list-only guess is skipped.
    """
    cat = catalog or load_catalog()
    lines = resolve_lines(bom, cat)
    out: list[Finding] = []
    for ln in lines:
        if ln.how == "unknown catalog_id":
            close = cat.suggest_parts(ln.item.catalog_id or "")
            out.append(
                Finding(
                    rule="unknown-part",
                    severity="warning",
                    message=(
                        f"{ln.label}: catalog_id '{ln.item.catalog_id}' is not in Ohm's parts "
                        "catalog, so it can't be checked."
                    ),
                    components=[ln.label],
                    fix=(f"Did you mean {' or '.join(close)}? " if close else "")
                    + "Use a catalog id, or leave catalog_id empty for parts outside it.",
                )
            )
    out += rule_power_budget(bom, lines)
    if wiring is None:
        out += rule_bom_logic_level(lines)
    else:
        out += rule_bom_vs_wiring(lines, wiring, cat)
    return sort_findings(dedupe(out))
