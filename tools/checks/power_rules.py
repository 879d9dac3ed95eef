"""Wiring rules about supplies, grounds, I2C addresses and pins a board keeps for itself."""

from __future__ import annotations

from dataclasses import dataclass

from tools.checks.catalog import VoltageRange, parse_i2c_address
from tools.checks.findings import Finding
from tools.checks.netlist import Comp, Netlist, PinRef, ref_text
from tools.checks.signal_rules import TOLERANCE_V, drive_level, is_mcu_signal, part_current
from tools.checks.values import parse_volts

# ----------------------------------------------------------------------- supply voltage

#: Without a datasheet cut-off, a part more than 10 % below its rated minimum supply is
#: taken as not working at all. Datasheet minimums already carry the maker's margin, so
#: just under them most parts still run on the bench (marginal); 10 % further down is
#: where module regulators drop out, relay coils stay below their must-operate voltage
#: (75 % of nominal for the SRD-05VDC) and servo drivers reset.
UNDER_VOLTAGE_FLOOR = 0.9


def under_voltage(volts: float, supply: VoltageRange) -> tuple[str, float]:
    """(severity, floor) for a supply below ``supply.min``: error under the floor, else warning."""
    floor = supply.cutoff if supply.cutoff is not None else supply.min * UNDER_VOLTAGE_FLOOR
    return ("error" if volts < floor - TOLERANCE_V else "warning"), round(floor, 2)


def rule_supply_voltage(nl: Netlist) -> list[Finding]:
    """``supply-voltage``: a part powered outside the range its datasheet allows.

    Above the maximum is an error (a bare BME280 on 5 V: the datasheet's absolute maximum
    for VDD is 4.25 V and the operating range 1.71-3.6 V); for brushed motors and pumps it
    is a warning, since PWM or a short life may be acceptable. Below the minimum it is an
    error when the part cannot work (under its datasheet cut-off, or more than 10 % under
    the minimum: a 4.8-6 V servo or a 5 V relay module on 3.3 V) and a warning when it is
    marginal (a little under the minimum). Outside the recommended band (an Uno's VIN
    outside 7-12 V), or a rail that can swing past the maximum (a full Li-ion cell at
    4.2 V) are warnings. A part with wires but no supply is a warning too. The board's
    own USB-powered VIN/5V/3V3 pins count as supplies.
    """
    out: list[Finding] = []
    for comp in nl.comps.values():
        part = comp.part
        if part is None:
            continue
        power_pins = [p for p in part.pins if p.takes_power]
        if not power_pins:
            if part.load is not None and part.supply is not None:
                out += _load_voltage(nl, comp)
            continue
        wired = any((comp.id, p.name) in nl.net_of for p in part.pins)
        powered = False
        for pin in power_pins:
            ref = (comp.id, pin.name)
            here = ref_text(ref)
            net = nl.net_of.get(ref)
            if net is None:
                if part.level_shifter and wired:
                    out.append(
                        Finding(
                            rule="supply-voltage",
                            severity="warning",
                            message=f"{here} is not connected: that side of {comp.describe()} "
                            "has no reference voltage.",
                            components=[comp.id],
                            pins=[here],
                            fix=f"Wire {pin.name} to the rail of the parts on that side.",
                        )
                    )
                continue
            if net in nl.ground:
                if pin.source is None:
                    out.append(
                        Finding(
                            rule="supply-voltage",
                            severity="warning",
                            message=f"{here} is wired to ground, so {comp.id} gets no power.",
                            components=[comp.id],
                            pins=[here],
                            fix=f"Move that wire from GND to the supply for {pin.name}.",
                        )
                    )
                continue
            rail = nl.rails.get(net)
            own = rail is not None and all(s[0] == comp.id for s in rail.sources)
            if rail is not None and not own and ref in rail.sources:
                continue  # a source fighting another source: reported as a short
            volts: float | None
            vmax: float | None
            if rail is None or own:
                if pin.source is not None and pin.source.soft:
                    powered = True
                    continue
                gpios = [r for r in nl.nets[net] if is_mcu_signal(nl, r) and r[0] != comp.id]
                if not gpios:
                    continue
                g = gpios[0]
                gp = nl.pin(g)
                volts = drive_level(nl, g, gp) if gp else None
                vmax = volts
                what = f"the {ref_text(g)} GPIO"
            else:
                volts, vmax = rail.v, rail.vmax
                what = " / ".join(ref_text(s) for s in rail.sources[:2])
                if rail.switched:
                    what += " (switched)"
            if volts is None or pin.supply is None:
                continue
            powered = True
            lo, hi = pin.supply.min, pin.supply.max
            rating = parse_volts(comp.props.get("voltage_rating"))
            if rating and part.category == "capacitor":
                hi = rating
            base = dict(components=[comp.id], pins=[here])
            if volts > hi + TOLERANCE_V:
                out.append(
                    Finding(
                        rule="supply-voltage",
                        severity=part.overvoltage,
                        message=(
                            f"{here} ({comp.name}) is on {volts:g} V from {what}, but it takes "
                            f"{lo:g}-{hi:g} V."
                        ),
                        fix=_supply_fix(lo, hi, volts),
                        **base,
                    )
                )
            elif vmax is not None and vmax > hi + TOLERANCE_V:
                out.append(
                    Finding(
                        rule="supply-voltage",
                        severity="warning",
                        message=(
                            f"{here} ({comp.name}) takes at most {hi:g} V, and {what} can reach "
                            f"{vmax:g} V (nominal {volts:g} V)."
                        ),
                        fix=_supply_fix(lo, hi, vmax),
                        **base,
                    )
                )
            elif volts < lo - TOLERANCE_V:
                sev, floor = under_voltage(volts, pin.supply)
                out.append(
                    Finding(
                        rule="supply-voltage",
                        severity=sev,
                        message=(
                            f"{here} ({comp.name}) gets only {volts:g} V from {what}; it needs "
                            f"{lo:g}-{hi:g} V. "
                            + (
                                f"Below {floor:g} V it cannot work."
                                if sev == "error"
                                else f"That is marginal: it may work, but outside its rating "
                                f"(it stops working below about {floor:g} V)."
                            )
                        ),
                        fix=_supply_fix(lo, hi, volts),
                        **base,
                    )
                )
            elif (
                pin.supply.rec_min is not None
                and pin.supply.rec_max is not None
                and not (
                    pin.supply.rec_min - TOLERANCE_V <= volts <= pin.supply.rec_max + TOLERANCE_V
                )
            ):
                out.append(
                    Finding(
                        rule="supply-voltage",
                        severity="warning",
                        message=(
                            f"{here} ({comp.name}) is on {volts:g} V, outside the recommended "
                            f"{pin.supply.rec_min:g}-{pin.supply.rec_max:g} V."
                        ),
                        fix=(
                            f"Feed it {pin.supply.rec_min:g}-{pin.supply.rec_max:g} V "
                            "(too high overheats the regulator, too low drops out)."
                        ),
                        **base,
                    )
                )
        if wired and not powered and not part.is_mcu and not part.level_shifter:
            names = "/".join(p.name for p in power_pins)
            out.append(
                Finding(
                    rule="supply-voltage",
                    severity="warning",
                    message=f"{comp.describe()} is wired but its {names} is not on any supply.",
                    components=[comp.id],
                    pins=[f"{comp.id}.{p.name}" for p in power_pins],
                    fix=f"Connect {names} to a supply within {_range(comp)} and GND to GND.",
                )
            )
    return out


def _load_voltage(nl: Netlist, comp: Comp) -> list[Finding]:
    """A coil or motor with no supply pin: judge the highest rail on its terminals.

    A driver's own drop (about 2 V in an L298N) is ignored, which errs towards warning.
    """
    part = comp.part
    assert part is not None and part.supply is not None
    rails = [
        (nl.rails[n], p.name)
        for p in part.pins
        if p.has_role("coil", "motor-terminal")
        and (n := nl.net_of.get((comp.id, p.name))) is not None
        and n in nl.rails
    ]
    if not rails:
        return []
    rail, pin_name = max(rails, key=lambda r: r[0].v)
    lo, hi = part.supply.min, part.supply.max
    here = f"{comp.id}.{pin_name}"
    src = " / ".join(ref_text(s) for s in rail.sources[:2])
    if rail.v > hi + TOLERANCE_V:
        return [
            Finding(
                rule="supply-voltage",
                severity=part.overvoltage,
                message=f"{comp.describe()} is rated {lo:g}-{hi:g} V but gets {rail.v:g} V "
                f"from {src}.",
                components=[comp.id],
                pins=[here],
                fix=f"Drive it from a {hi:g} V-or-lower supply, or pick a {rail.v:g} V version.",
            )
        ]
    if rail.v < lo - TOLERANCE_V:
        sev, floor = under_voltage(rail.v, part.supply)
        return [
            Finding(
                rule="supply-voltage",
                severity=sev,
                message=f"{comp.describe()} needs {lo:g}-{hi:g} V but gets only {rail.v:g} V "
                f"from {src}; "
                + (
                    f"below {floor:g} V it cannot move or pull in."
                    if sev == "error"
                    else f"that is marginal (it stops below about {floor:g} V)."
                ),
                components=[comp.id],
                pins=[here],
                fix=f"Give it a supply within {lo:g}-{hi:g} V.",
            )
        ]
    return []


def _range(comp: Comp) -> str:
    pins = [p for p in (comp.part.pins if comp.part else ()) if p.supply]
    if not pins or pins[0].supply is None:
        return "its range"
    return f"{pins[0].supply.min:g}-{pins[0].supply.max:g} V"


def _supply_fix(lo: float, hi: float, volts: float) -> str:
    if volts > hi:
        if hi <= 3.6:
            return "Power it from the board's 3V3 pin (or a 3.3 V regulator) instead."
        return f"Use a regulator or buck converter to bring the supply within {lo:g}-{hi:g} V."
    if lo >= 4.5:
        return "Power it from a 5 V rail (the board's VIN/5V on USB, or a 5 V supply)."
    return f"Give it a supply within {lo:g}-{hi:g} V."


# ----------------------------------------------------------------------- power budget


def rule_power_budget(nl: Netlist) -> list[Finding]:
    """``power-budget``: more current drawn from a supply pin than it can give.

    The loads on each rail are summed from the catalog (typical and peak mA, scaled for LED
    strips), following relay contacts and driver outputs back to the supply that feeds
    them. Typical draw above the source's rating is an error (it cannot work); peak draw
    above it is an error when a board runs from the same rail or its regulator is the
    source (the board browns out and resets at every servo start or Wi-Fi burst), and a
    warning otherwise (marginal: the rail sags at the peaks). Ratings: the Uno's 3V3
    pin 50 mA (Arduino), the Pico's 3V3 300 mA (Pico datasheet), a USB port ~500 mA, the
    supply's own rating or ``props.max_current_ma``.
    """
    loads: dict[int, list[tuple[Comp, float, float]]] = {}
    for comp in nl.comps.values():
        part = comp.part
        if part is None or part.category == "power":
            continue
        nets = [
            nl.net_of.get((comp.id, p.name))
            for p in part.pins
            if p.takes_power or (part.load is not None and p.has_role("coil", "motor-terminal"))
        ]
        for net in nets:
            if net is None or net not in nl.rails:
                continue
            rail = nl.rails[net]
            if all(s[0] == comp.id for s in rail.sources):
                continue
            typ, peak = part_current(comp)
            loads.setdefault(rail.origin, []).append((comp, typ, peak))
            break
    out = []
    for origin, items in loads.items():
        rail = nl.rails[origin]
        if rail.max_ma is None:
            continue
        items = list(items)
        for src in rail.sources:
            owner = nl.comps[src[0]]
            if rail.soft and owner.part is not None and owner.part.is_mcu:
                typ, peak = part_current(owner)
                items.append((owner, typ, peak))
        typ = sum(i[1] for i in items)
        peak = sum(i[2] for i in items)
        cap = rail.max_ma
        if peak <= cap:
            continue
        boards = sorted(
            {c.id for c, _, _ in items if c.part is not None and c.part.is_mcu}
            | {s[0] for s in rail.sources if (o := nl.part(s[0])) is not None and o.is_mcu}
        )
        src_txt = " / ".join(ref_text(s) for s in rail.sources[:2])
        parts_txt = ", ".join(f"{c.id} {p:g} mA" for c, _, p in sorted(items, key=lambda i: -i[2]))
        head = (
            f"{src_txt} gives about {cap:g} mA, but its loads draw {typ:g} mA typical and "
            f"{peak:g} mA peak ({parts_txt})."
        )
        if typ > cap:
            sev = "error"
            why = " Even the typical draw is more than it can deliver: the rail collapses."
        elif boards:
            sev = "error"
            why = (
                f" The {peak:g} mA peaks pull the rail down under {', '.join(boards)}, which "
                "runs from it too: the board browns out and resets."
            )
        else:
            sev = "warning"
            why = (
                " Only the peaks exceed it, and no board runs from this rail: marginal, the "
                "rail sags while a load starts or stalls."
            )
        out.append(
            Finding(
                rule="power-budget",
                severity=sev,
                message=head + why,
                components=sorted({s[0] for s in rail.sources} | {c.id for c, _, _ in items}),
                pins=[ref_text(s) for s in rail.sources],
                fix="Power the heavy loads from a separate supply rated for the peak current, "
                "and join the grounds.",
            )
        )
    return out


# ----------------------------------------------------------------------- common ground


def rule_common_ground(nl: Netlist) -> list[Finding]:
    """``common-ground``: parts that exchange signals without a shared ground.

    A logic level is a voltage between a pin and its part's ground; when two parts' grounds
    are never joined (a servo on its own adapter, an L298N on a 12 V supply) the receiving
    pin sees an undefined voltage. Every part with a GND pin that shares a signal (directly
    or through resistors) must have its GND on the same net as the others'.
    """
    out = []
    done: set[int] = set()
    for net in range(len(nl.nets)):
        if net in done or net in nl.ground or net in nl.rails:
            continue
        group = nl.signal_group(net)
        done |= group
        members: dict[str, set[int]] = {}
        for n in sorted(group):
            for ref in nl.nets[n]:
                pin = nl.pin(ref)
                comp = nl.comps[ref[0]]
                if pin is None or comp.part is None or not pin.is_signal:
                    continue
                gnd_pins = [p for p in comp.part.pins if p.is_ground]
                if not gnd_pins or comp.id in members:
                    continue
                members[comp.id] = {
                    gnet for p in gnd_pins if (gnet := nl.net_of.get((comp.id, p.name))) is not None
                }
        if len(members) < 2:
            continue
        clusters: list[tuple[set[str], set[int]]] = []
        for cid, gnets in members.items():
            joined = [c for c in clusters if gnets and c[1] & gnets]
            ids = {cid}
            nets = set(gnets)
            for c in joined:
                ids |= c[0]
                nets |= c[1]
                clusters.remove(c)
            clusters.append((ids, nets))
        if len(clusters) < 2:
            continue
        floating = sorted(cid for cid, g in members.items() if not g)
        signal_pins = sorted(ref_text(r) for n in group for r in nl.nets[n] if r[0] in members)
        names = sorted(members)
        msg = (
            f"{', '.join(names[:-1])} and {names[-1]} exchange a signal "
            f"({', '.join(signal_pins)}), but their grounds are never joined."
        )
        if len(clusters) > 2 or len(names) > 2:
            msg += (
                " Separate grounds: " + " | ".join(", ".join(sorted(c[0])) for c in clusters) + "."
            )
        if floating:
            msg += f" GND of {', '.join(floating)} is not connected at all."
        out.append(
            Finding(
                rule="common-ground",
                severity="error",
                message=msg,
                components=sorted(members),
                pins=signal_pins,
                fix="Run a wire between the GND pins of the supplies and boards involved, so "
                "every signal has the same 0 V reference.",
            )
        )
    return out


# ----------------------------------------------------------------------- I2C addresses


@dataclass
class I2CDevice:
    """One address a device answers at on one bus, and how that address was worked out."""

    comp: Comp
    address: int
    how: str
    bus: int


def _strap_level(nl: Netlist, comp: Comp, pin_name: str) -> tuple[str | None, str]:
    """What an address pin is tied to: GND, VCC, SDA, SCL, ``driven``, or None when open."""
    net = nl.comp_net(comp.id, pin_name)
    if net is None:
        return None, "left open"
    if net in nl.ground:
        return "GND", "tied to GND"
    if net in nl.rails:
        return "VCC", f"tied to the {nl.rails[net].v:g} V rail"
    part = comp.part
    assert part is not None
    for role, level in (("i2c-sda", "SDA"), ("i2c-scl", "SCL")):
        for p in part.pins_with_role(role):
            if not p.has_role("i2c-mux-channel") and nl.comp_net(comp.id, p.name) == net:
                return level, f"tied to {level}"
    for br in nl.branches(net):
        if br.other_net is None:
            continue
        if br.other_net in nl.ground:
            return "GND", f"pulled to GND by {br.resistor}"
        if br.other_net in nl.rails:
            return "VCC", f"pulled up by {br.resistor}"
    others = [r for r in nl.nets[net] if r != (comp.id, pin_name)]
    for ref in others:
        other = nl.pin(ref)
        if other is not None and other.dir in ("out", "io"):
            return "driven", f"driven by {ref_text(ref)}"
    return None, "left open"


def device_addresses(nl: Netlist) -> tuple[list[I2CDevice], list[Finding]]:
    """Every I2C device on every bus with the address its wiring gives it.

    A bus is the net of the devices' SDA pins, so a multiplexer's channel (its SDn pins)
    is a bus of its own while the multiplexer itself answers on the upstream bus. The
    address comes from the address-select pins when the catalog knows them (tied to GND,
    VCC, SDA or SCL, directly or through a resistor; an open pin reads what the module's
    own resistor sets), else from ``props.i2c_address`` (a solder jumper), else the
    part's default.
    """
    devices: list[I2CDevice] = []
    notes: list[Finding] = []
    for comp in nl.comps.values():
        part = comp.part
        if part is None or part.i2c is None:
            continue
        sda = [
            p
            for p in part.pins_with_role("i2c-sda")
            if not p.has_role("i2c-mux-channel") and (comp.id, p.name) in nl.net_of
        ]
        if not sda:
            continue
        bus = nl.net_of[(comp.id, sda[0].name)]
        raw = comp.props.get("i2c_address")
        stated = parse_i2c_address(raw) if raw is not None else None
        if raw is not None and stated is None:
            notes.append(_i2c_note(comp, f"props.i2c_address {raw!r} is not an I2C address"))
        elif stated is not None and stated not in part.i2c.possible:
            notes.append(
                _i2c_note(
                    comp,
                    f"0x{stated:02X} is not an address {comp.name} can use "
                    f"(it has {', '.join(f'0x{a:02X}' for a in part.i2c.possible)})",
                )
            )
            stated = None
        address: int | None = None
        how = "the part's default"
        strap = part.i2c.strap
        if strap is not None:
            levels: list[str] = []
            hows: list[str] = []
            driven = False
            wired = False
            for i, name in enumerate(strap.pins):
                level, why = _strap_level(nl, comp, name)
                if level == "driven":
                    driven = True
                    level = strap.floating_level(i)
                elif level is not None:
                    wired = True
                levels.append(level or strap.floating_level(i))
                hows.append(f"{name} {why}")
            from_pins = strap.address(tuple(levels))
            if from_pins is None:
                notes.append(
                    _i2c_note(
                        comp,
                        f"{', '.join(hows)} is not a setting the part has "
                        f"({', '.join(strap.pins)} each go to GND or VCC"
                        + (", SDA or SCL" if strap.table and "SDA" in ",".join(strap.table) else "")
                        + ")",
                    )
                )
            elif driven and stated is not None:
                address, how = stated, "props.i2c_address (its address pin is driven at run time)"
            elif wired or stated is None:
                address, how = from_pins, ", ".join(hows)
                if stated is not None and stated != from_pins:
                    notes.append(
                        _i2c_note(
                            comp,
                            f"props.i2c_address says 0x{stated:02X}, but {', '.join(hows)} "
                            f"selects 0x{from_pins:02X}; the wiring wins",
                        )
                    )
            else:
                address, how = stated, "props.i2c_address"
        elif stated is not None:
            address, how = stated, "props.i2c_address"
        if address is None:
            address = part.i2c.default
        devices.append(I2CDevice(comp, address, how, bus))
        for extra in part.i2c.also:
            devices.append(I2CDevice(comp, extra, "a fixed second address on the module", bus))
    return devices, notes


def rule_i2c_addresses(nl: Netlist) -> list[Finding]:
    """``i2c-address-conflict``: two devices on one bus answering at the same address.

    Addresses come from :func:`device_addresses`: address pins as wired (BME280 SDO, MPU-6050
    AD0, ADS1115 ADDR to GND/VCC/SDA/SCL, PCF8574 A0-A2), else ``props.i2c_address``, else
    the catalog default (BME280 0x76, SSD1306 0x3C, MPU-6050 and DS3231 0x68...). Extra
    fixed addresses on a module (the DS3231 board's EEPROM at 0x57) count too. A
    multiplexer (TCA9548A) gives each channel its own bus, so the same sensor twice on two
    channels is fine. A clash is an error (neither device answers reliably); an address
    the part cannot have, or props that disagree with the wired pins, is a warning.
    """
    devices, out = device_addresses(nl)
    by_bus: dict[int, dict[int, list[I2CDevice]]] = {}
    for dev in devices:
        by_bus.setdefault(dev.bus, {}).setdefault(dev.address, []).append(dev)
    for bus, by_addr in by_bus.items():
        for addr, users in sorted(by_addr.items()):
            ids = sorted({d.comp.id for d in users})
            if len(ids) < 2:
                continue
            movable = [
                d.comp
                for d in users
                if d.comp.part and d.comp.part.i2c and len(d.comp.part.i2c.possible) > 1
            ]
            if movable:
                c = movable[0]
                i2c = c.part.i2c if c.part else None
                alts = [a for a in i2c.possible if a != addr] if i2c else []
                pins = ", ".join(i2c.strap.pins) if i2c and i2c.strap else "address jumper"
                fix = (
                    f"Move {c.id} to 0x{alts[0]:02X} with its {pins} (wire it, or set "
                    "props.i2c_address for a jumper), or put the two on different channels "
                    "of an I2C multiplexer (tca9548a)."
                )
            else:
                fix = (
                    "Neither can change address: put them on separate I2C buses or on "
                    "different channels of an I2C multiplexer (tca9548a)."
                )
            hows = "; ".join(f"{d.comp.id}: {d.how}" for d in users)
            out.append(
                Finding(
                    rule="i2c-address-conflict",
                    severity="error",
                    message=f"{' and '.join(ids)} both answer at 0x{addr:02X} on the same I2C "
                    f"bus ({hows}).",
                    components=ids,
                    pins=[ref_text(r) for r in nl.nets[bus] if r[0] in ids],
                    fix=fix,
                )
            )
    return out


def _i2c_note(comp: Comp, what: str) -> Finding:
    return Finding(
        rule="i2c-address-conflict",
        severity="warning",
        message=f"{comp.describe()}: {what}.",
        components=[comp.id],
        fix="Wire the address pin to GND or VCC as the datasheet's table says, or set "
        "props.i2c_address to one of the part's addresses, like '0x76'.",
    )


# ----------------------------------------------------------------------- reserved pins


def _pulled(nl: Netlist, net: int, mcu_id: str) -> tuple[str | None, str]:
    """Whether something holds a boot pin's net high or low at reset, and what."""
    if net in nl.ground:
        return "low", "wired to GND"
    if net in nl.rails:
        return "high", f"wired to the {nl.rails[net].v:g} V rail"
    for br in nl.branches(net):
        if br.other_net is None:
            continue
        if br.other_net in nl.ground:
            return "low", f"pulled down by {br.resistor}"
        if br.other_net in nl.rails:
            return "high", f"pulled up by {br.resistor}"
    for ref in nl.nets[net]:
        pin = nl.pin(ref)
        if ref[0] == mcu_id or pin is None:
            continue
        if pin.pullup is not None:
            return "high", f"pulled up by {ref[0]}'s own resistor"
    for ref in nl.nets[net]:
        pin = nl.pin(ref)
        if ref[0] != mcu_id and pin is not None and pin.dir == "out":
            return "driven", f"driven by {ref_text(ref)}"
    return None, ""


def rule_reserved_pins(nl: Netlist) -> list[Finding]:
    """``reserved-pin``: pins the board needs for itself.

    ESP32 GPIO6-11 run the SPI flash (ESP32-WROOM-32 datasheet): touching them crashes the
    chip. Strapping pins held at the wrong level at reset stop a normal boot (see
    ``board.straps`` in the catalog, from each chip's datasheet); a part's output on one
    (a PIR's OUT idles low, which on GPIO0 means download mode) might, which is a
    warning on the pins whose wrong level stops the boot.
    The USB serial pins (Uno D0/D1, ESP32 GPIO1/GPIO3) block uploads and the serial monitor
    when a part drives them, and the Pico's GP23-GP25 are not on the header at all.
    """
    out = []
    for comp in nl.mcus():
        part = comp.part
        assert part is not None
        straps = part.board.straps if part.board else {}
        usb = set(part.board.usb_serial) if part.board else set()
        for pin in part.pins:
            net = nl.net_of.get((comp.id, pin.name))
            if net is None:
                continue
            others = [r for r in nl.nets[net] if r[0] != comp.id]
            here = f"{comp.id}.{pin.name}"
            if not others and not any(br.other_net is not None for br in nl.branches(net)):
                continue
            if pin.has_role("flash-reserved"):
                out.append(
                    Finding(
                        rule="reserved-pin",
                        severity="error",
                        message=f"{here} is wired to the module's flash chip; using it crashes the "
                        f"{part.name}.",
                        components=[comp.id],
                        pins=[here],
                        fix="Move the wire to a free GPIO (on an ESP32: 4, 13, 16-19, 21-23, "
                        "25-27, 32, 33).",
                    )
                )
                continue
            if pin.has_role("internal"):
                out.append(
                    Finding(
                        rule="reserved-pin",
                        severity="warning",
                        message=f"{here} is used on the board itself and is not on the header.",
                        components=[comp.id],
                        pins=[here],
                        fix="Pick a GPIO that is on the header.",
                    )
                )
                continue
            if pin.name in usb and any(
                (p := nl.pin(r)) is not None and p.is_signal for r in others
            ):
                out.append(
                    Finding(
                        rule="reserved-pin",
                        severity="warning",
                        message=f"{here} is the USB serial line: a part on it can block uploads "
                        "and garble the serial monitor.",
                        components=[comp.id],
                        pins=[here],
                        fix="Use another pin, or a second hardware serial port for the part.",
                    )
                )
            strap = straps.get(pin.name)
            if strap is None:
                continue
            bad, sev, why = strap.bad, strap.severity, strap.why
            level, how = _pulled(nl, net, comp.id)
            if level == bad:
                out.append(
                    Finding(
                        rule="reserved-pin",
                        severity=sev,
                        message=f"{here} is a boot strapping pin {how}: at reset {why}.",
                        components=[comp.id],
                        pins=[here],
                        fix=f"Move this connection to a pin that is not read at boot, or make sure "
                        f"{pin.name} is not {bad} at reset.",
                    )
                )
            elif level == "driven":
                out.append(
                    Finding(
                        rule="reserved-pin",
                        severity="warning" if sev == "error" else "info",
                        message=f"{here} is a boot strapping pin {how}; if that output is {bad} "
                        f"at reset, {why}.",
                        components=[comp.id],
                        pins=[here],
                        fix="Prefer a pin that is not read at boot.",
                    )
                )
    return out


def mcu_signal_refs(nl: Netlist) -> list[PinRef]:
    """Every board signal pin the wiring connects to another part (directly or via resistors)."""
    out = []
    for comp in nl.mcus():
        assert comp.part is not None
        for pin in comp.part.pins:
            if not pin.is_signal:
                continue
            net = nl.net_of.get((comp.id, pin.name))
            if net is None:
                continue
            group = nl.signal_group(net)
            if any(r[0] != comp.id for n in group for r in nl.nets[n]):
                out.append((comp.id, pin.name))
    return out
