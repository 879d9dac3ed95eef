"""Wiring rules about signals: voltage levels, what a GPIO may drive, LEDs and coils.

Every rule here reads the :class:`~tools.checks.netlist.Netlist`, never raw wires, so a
connection made through several wires (A-B, B-C) is judged as the one net it is.
Thresholds are explained where they are defined, with the datasheet they come from.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.checks.catalog import Part, Pin
from tools.checks.findings import Finding
from tools.checks.netlist import Comp, Netlist, PinRef, ref_text
from tools.checks.values import LED_VF, format_ohms, parse_volts

#: Slack when comparing a level with a limit, so a nominal 3.3 V output against a 3.3 V
#: rail or a 5.0 V output against a 5.0 V part never trips on rounding.
TOLERANCE_V = 0.05

#: When a pin's limit follows its own supply (a module powered from VCC), the limit is
#: VCC + 0.3 V: the usual CMOS absolute maximum for I/O pins (e.g. BME280 datasheet
#: table 21 "VDDIO + 0.3 V", MAX6675 and HX711 "VCC + 0.3 V").
RAIL_MARGIN_V = 0.3


#: How the logic-level rule names the I2C library's own pull-ups (AVR Wire turns on the
#: chip's 20-50 kΩ pull-ups, ATmega328P datasheet "RPU"), which are weaker than a
#: module's resistors and can be switched off in firmware: a warning, not an error.
INTERNAL_PULLUPS = "the I2C library's internal pull-ups"


def drive_level(nl: Netlist, ref: PinRef, pin: Pin) -> float | None:
    """Volts an output drives when high: its rail's voltage, its own vout, or the part's logic."""
    if pin.rails:
        vs = [nl.net_voltage(nl.comp_net(ref[0], r)) for r in pin.rails]
        known = [v for v in vs if v is not None]
        if known:
            return max(known)
    if pin.vout is not None:
        return pin.vout
    part = nl.part(ref[0])
    return part.logic_v if part else None


def pin_limit(nl: Netlist, ref: PinRef, pin: Pin) -> float | None:
    """Highest voltage an input tolerates: its fixed vmax, or its supply rail + 0.3 V."""
    if pin.vmax is not None:
        return pin.vmax
    if pin.rails:
        vs = [nl.net_voltage(nl.comp_net(ref[0], r)) for r in pin.rails]
        known = [v for v in vs if v]
        if known:
            return max(known) + RAIL_MARGIN_V
    return None


def pullup_level(nl: Netlist, ref: PinRef, pin: Pin) -> float | None:
    """Volts a module's own pull-up puts on a pin (None when it has none or is unpowered)."""
    if pin.pullup is None:
        return None
    if isinstance(pin.pullup, (int, float)):
        return float(pin.pullup)
    return nl.net_voltage(nl.comp_net(ref[0], pin.pullup)) or None


def is_mcu_signal(nl: Netlist, ref: PinRef) -> bool:
    part = nl.part(ref[0])
    pin = nl.pin(ref)
    return part is not None and part.is_mcu and pin is not None and pin.is_signal


def _is_i2c_module_pin(part: Part | None, pin: Pin) -> bool:
    return (
        part is not None
        and not part.is_mcu
        and pin.dir == "od"
        and pin.has_role("i2c-sda", "i2c-scl")
    )


@dataclass
class Driver:
    ref: PinRef
    level: float
    weak: bool


def net_drivers(nl: Netlist, net: int) -> list[Driver]:
    """Push-pull outputs on a net. On an I2C bus a board's pin is open-drain, not a driver."""
    refs = nl.nets[net]
    i2c_bus = any(
        (p := nl.pin(r)) is not None and _is_i2c_module_pin(nl.part(r[0]), p) for r in refs
    )
    out = []
    for ref in refs:
        pin = nl.pin(ref)
        part = nl.part(ref[0])
        if pin is None or part is None or pin.dir not in ("out", "io"):
            continue
        if part.is_mcu and i2c_bus:
            continue
        level = drive_level(nl, ref, pin)
        if level is not None:
            out.append(Driver(ref, level, pin.weak))
    return out


@dataclass
class NetworkLevel:
    """Voltage a resistor network sets on a net with nothing driving it directly."""

    volts: float
    driven: bool
    resistors: list[str]


def resistor_level(nl: Netlist, net: int) -> NetworkLevel | None:
    """Thevenin voltage of the resistors hanging off ``net``: a divider, pull-up or series R.

    Each resistor whose far end sits on ground (0 V), a rail, or a push-pull output counts;
    resistors to unknown nets (an LED, a sensor) are left out. ``driven`` says whether a
    push-pull output (not just a rail) is among them.
    """
    num = den = 0.0
    driven = False
    used: list[str] = []
    for br in nl.branches(net):
        if br.ohms is None or br.other_net is None:
            continue
        other = br.other_net
        volts = nl.net_voltage(other)
        if volts is None:
            drivers = net_drivers(nl, other)
            if not drivers:
                continue
            volts = max(d.level for d in drivers)
            driven = True
        num += volts / br.ohms
        den += 1.0 / br.ohms
        used.append(br.resistor)
    if den == 0.0 or num == 0.0:
        return None
    return NetworkLevel(num / den, driven, used)


def _divider_hint(level: float, limit: float) -> str:
    """A divider that brings ``level`` under ``limit`` with some margin, from E12-ish values."""
    if abs(level - 5.0) < 0.3 and limit >= 3.4:
        return "1 kΩ from the output to the pin and 2 kΩ from the pin to GND (5 V becomes 3.3 V)"
    target = min(limit - 0.3, 3.3) if limit < 3.8 else limit - 0.3
    ratio = max(0.05, min(0.95, target / level))
    bottom = 10_000 * ratio / (1 - ratio)
    return (
        f"10 kΩ from the output to the pin and about {format_ohms(round(bottom, -2))} "
        f"from the pin to GND ({level:g} V becomes about {target:.1f} V)"
    )


def rule_logic_level(nl: Netlist) -> list[Finding]:
    """``logic-level``: an output whose high level is more than the receiving pin tolerates.

    Push-pull outputs (HC-SR04 ECHO at 5 V into an ESP32 GPIO, max 3.6 V per the ESP32
    datasheet "VIH max = VDD + 0.3 V") are errors, also through a series resistor alone;
    a divider computed from the resistors' ``props.value`` or a level shifter clears it.
    Pull-up resistors to a higher rail (a 5 V I2C backpack's 4.7 kΩ on an ESP32 bus, a
    10 kΩ to 5 V on a 3.3 V pin) hold the idle line above the pin's absolute maximum all
    the time: errors, cleared by a level shifter or by pulling up to the lower rail. The
    Uno's Wire library pull-ups (20-50 kΩ inside the chip, off in software) are warnings.
    An output below the receiver's VIH (3.3 V into a WS2812B, which wants 0.7 x VDD =
    3.5 V) may not read as high: a warning, never an error.
    """
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for net, refs in enumerate(nl.nets):
        if net in nl.ground or net in nl.rails:
            continue
        drivers = net_drivers(nl, net)
        pulls: list[tuple[PinRef, float, str]] = []
        i2c_bus = False
        for ref in refs:
            pin, part = nl.pin(ref), nl.part(ref[0])
            if pin is None or part is None:
                continue
            if _is_i2c_module_pin(part, pin):
                i2c_bus = True
            lvl = pullup_level(nl, ref, pin)
            if lvl:
                pulls.append((ref, lvl, "its own pull-up resistor"))
        if i2c_bus:
            for ref in refs:
                part = nl.part(ref[0])
                if part and part.is_mcu and part.gpio and part.gpio.i2c_pullup_v:
                    pulls.append((ref, part.gpio.i2c_pullup_v, INTERNAL_PULLUPS))
        network = resistor_level(nl, net)
        for ref in refs:
            pin, part = nl.pin(ref), nl.part(ref[0])
            if pin is None or part is None or pin.dir not in ("in", "io", "od"):
                continue
            limit = pin_limit(nl, ref, pin)
            others = [d for d in drivers if d.ref[0] != ref[0]]
            for d in others:
                if limit is None or d.level <= limit + TOLERANCE_V:
                    continue
                key = ("over", d.ref[0], ref_text(ref))
                if key in seen:
                    continue
                seen.add(key)
                out.append(_over_finding(nl, d.ref, ref, d.level, limit, weak=d.weak))
            strong = [d for d in others if not d.weak]
            if strong and pin.vih is not None:
                low = min(strong, key=lambda d: d.level)
                if (
                    low.level < pin.vih - TOLERANCE_V
                    and ("vih", low.ref[0], ref_text(ref)) not in seen
                ):
                    seen.add(("vih", low.ref[0], ref_text(ref)))
                    out.append(_vih_finding(nl, low.ref, ref, low.level, pin))
            if not others and network is not None:
                if limit is not None and network.volts > limit + TOLERANCE_V:
                    key = ("net", ",".join(network.resistors), ref_text(ref))
                    if key not in seen:
                        seen.add(key)
                        out.append(_network_finding(nl, ref, network, limit))
                elif (
                    network.driven and pin.vih is not None and network.volts < pin.vih - TOLERANCE_V
                ):
                    key = ("netvih", ",".join(network.resistors), ref_text(ref))
                    if key not in seen:
                        seen.add(key)
                        out.append(
                            Finding(
                                rule="logic-level",
                                severity="warning",
                                message=(
                                    f"{ref_text(ref)} gets about {network.volts:.2f} V for a high "
                                    f"through {', '.join(network.resistors)}, below the "
                                    f"{pin.vih:g} V it needs to read a high reliably."
                                ),
                                components=sorted({ref[0], *network.resistors}),
                                pins=[ref_text(ref)],
                                fix="Use a buffer powered from the receiver's supply (e.g. a "
                                "74AHCT125) instead of a resistor.",
                            )
                        )
            if limit is None:
                continue
            for src, lvl, how in pulls:
                if src[0] == ref[0] or lvl <= limit + TOLERANCE_V:
                    continue
                key = ("pull", src[0], ref_text(ref))
                if key in seen:
                    continue
                seen.add(key)
                internal = how == INTERNAL_PULLUPS
                out.append(
                    Finding(
                        rule="logic-level",
                        severity="warning" if internal else "error",
                        message=(
                            f"{nl.comps[src[0]].describe()} pulls this line up to {lvl:g} V "
                            f"with {how}, but {ref_text(ref)} tolerates at most {limit:g} V."
                            + (
                                " They are weak (20-50 kΩ), and the firmware can turn them "
                                "off after Wire.begin()."
                                if internal
                                else " The idle bus sits at that voltage all the time."
                            )
                        ),
                        components=[src[0], ref[0]],
                        pins=[ref_text(src), ref_text(ref)],
                        fix=(
                            "Power the pulled-up part from the lower rail, or put a "
                            "bidirectional level shifter (level-shifter-4ch) on the line."
                        ),
                    )
                )
    return out


def _over_finding(
    nl: Netlist, drv: PinRef, rcv: PinRef, level: float, limit: float, *, weak: bool
) -> Finding:
    rcv_part = nl.part(rcv[0])
    if rcv_part is not None and rcv_part.is_mcu:
        hint = _divider_hint(level, limit)
        fix = f"Put a level shifter between them, or a resistor divider: {hint}."
    else:
        fix = (
            "Put a level shifter between them (level-shifter-4ch, or a 74AHCT125 for "
            "one-way signals), or pick a version of the part that runs at the same logic voltage."
        )
    return Finding(
        rule="logic-level",
        severity="warning" if weak else "error",
        message=(
            f"{ref_text(drv)} ({nl.comps[drv[0]].name}) drives {level:g} V into "
            f"{ref_text(rcv)} ({nl.comps[rcv[0]].name}), which tolerates at most {limit:g} V."
            + (" It can only source a little current, but it is still out of spec." if weak else "")
        ),
        components=[drv[0], rcv[0]],
        pins=[ref_text(drv), ref_text(rcv)],
        fix=fix,
    )


def _vih_finding(nl: Netlist, drv: PinRef, rcv: PinRef, level: float, pin: Pin) -> Finding:
    note = f" {pin.note}" if pin.note else ""
    return Finding(
        rule="logic-level",
        severity="warning",
        message=(
            f"{ref_text(drv)} drives only {level:g} V, and {ref_text(rcv)} "
            f"({nl.comps[rcv[0]].name}) needs {pin.vih:g} V to be sure of a high.{note}"
        ),
        components=[drv[0], rcv[0]],
        pins=[ref_text(drv), ref_text(rcv)],
        fix="It often works on the bench; for a reliable design add a buffer powered from the "
        "receiver's supply (74AHCT125) or a level shifter.",
    )


def _network_finding(nl: Netlist, rcv: PinRef, network: NetworkLevel, limit: float) -> Finding:
    if network.driven:
        msg = (
            f"{ref_text(rcv)} ({nl.comps[rcv[0]].name}) still sees about {network.volts:.2f} V "
            f"through {', '.join(network.resistors)}, more than the {limit:g} V it tolerates: "
            "a series resistor alone does not lower a logic level."
        )
        return Finding(
            rule="logic-level",
            severity="error",
            message=msg,
            components=sorted({rcv[0], *network.resistors}),
            pins=[ref_text(rcv)],
            fix="Add the bottom half of a divider: "
            + _divider_hint(5.0 if network.volts > 4.5 else network.volts, limit)
            + ".",
        )
    return Finding(
        rule="logic-level",
        severity="error",
        message=(
            f"{', '.join(network.resistors)} pull {ref_text(rcv)} up to about "
            f"{network.volts:.2f} V, more than the {limit:g} V it tolerates."
        ),
        components=sorted({rcv[0], *network.resistors}),
        pins=[ref_text(rcv)],
        fix="Tie the pull-up resistor to the lower (3.3 V) rail instead.",
    )


# ----------------------------------------------------------------------- input only


def rule_input_only(nl: Netlist) -> list[Finding]:
    """``input-only-pin``: a pin that cannot drive (ESP32 GPIO34-39, Nano A6/A7) wired as an output.

    ESP-IDF GPIO reference: "GPIO34-39 can only be set as input mode and do not have
    software-enabled pullup or pulldown functions". A pin counts as used for output when
    its signal (seen through resistors) reaches an input that nothing else drives: a
    relay IN, a servo SIG, a transistor base, an LED.
    """
    out = []
    for comp in nl.mcus():
        assert comp.part is not None
        for pin in comp.part.pins:
            if not pin.has_role("input-only"):
                continue
            net = nl.net_of.get((comp.id, pin.name))
            if net is None:
                continue
            group = nl.signal_group(net)
            wants: list[PinRef] = []
            driven = False
            for n in group:
                for ref in nl.nets[n]:
                    if ref[0] == comp.id:
                        continue
                    p = nl.pin(ref)
                    if p is None:
                        continue
                    if p.dir in ("out", "io", "od"):
                        driven = True
                    elif (p.dir == "in" and not p.takes_power) or p.has_role("anode"):
                        wants.append(ref)
            if wants and not driven:
                out.append(
                    Finding(
                        rule="input-only-pin",
                        severity="error",
                        message=(
                            f"{comp.id}.{pin.name} can only be read, but it is wired to "
                            f"{', '.join(ref_text(r) for r in wants)}, which needs to be driven."
                        ),
                        components=[comp.id, *sorted({r[0] for r in wants})],
                        pins=[f"{comp.id}.{pin.name}", *(ref_text(r) for r in wants)],
                        fix=f"Move that wire to a pin that can output (not {pin.name}).",
                    )
                )
    return out


# ----------------------------------------------------------------------- gpio current


def part_current(comp: Comp) -> tuple[float, float]:
    """(typical, peak) mA of one component, scaled by e.g. ``props.leds`` for a strip."""
    part = comp.part
    if part is None:
        return 0.0, 0.0
    cur = part.current_ma
    factor = 1.0
    if cur.per:
        raw = comp.props.get(cur.per, cur.per_default or 1)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw > 0:
            factor = float(raw)
        else:
            factor = float(cur.per_default or 1)
    return cur.typical * factor, cur.peak * factor


def _is_load_pin(part: Part, pin: Pin) -> bool:
    if part.load is None:
        return False
    return pin.has_role("coil", "motor-terminal") or pin.takes_power


def rule_gpio_current(nl: Netlist) -> list[Finding]:
    """``gpio-current``: a GPIO asked to power something.

    A GPIO is a signal, not a supply: ESP32 pins give about 20 mA at the default drive
    strength and 40 mA at the highest (ESP32 datasheet, IOH), ATmega328P pins 40 mA
    absolute maximum (datasheet §28.1) and 20 mA comfortably, RP2040 pins 12 mA at the
    highest drive setting (RP2040 datasheet §5.2). Motors, pumps, solenoids, relay coils
    and servo supply pins draw far more (an SRD-05VDC coil about 72 mA, an SG90 up to
    ~650 mA stalled), so any of them on a GPIO is an error. Module supply pins on a GPIO
    are judged by the part's peak current against the board's limits; a transistor base
    needs a resistor or it shorts the pin through the base-emitter junction.
    """
    out = []
    for comp in nl.mcus():
        part = comp.part
        assert part is not None
        limits = part.gpio
        for pin in part.pins:
            if not pin.is_signal:
                continue
            net = nl.net_of.get((comp.id, pin.name))
            if net is None or net in nl.rails or net in nl.ground:
                continue
            here = f"{comp.id}.{pin.name}"
            load_refs: list[PinRef] = []
            powered: list[Comp] = []
            bases: list[PinRef] = []
            for ref in nl.nets[net]:
                if ref[0] == comp.id:
                    continue
                other = nl.comps[ref[0]]
                p = nl.pin(ref)
                if other.part is None or p is None:
                    continue
                if _is_load_pin(other.part, p):
                    load_refs.append(ref)
                elif p.takes_power and other not in powered:
                    powered.append(other)
                elif p.has_role("base"):
                    bases.append(ref)
            for ref in load_refs:
                lp = nl.comps[ref[0]]
                _, peak = part_current(lp)
                out.append(
                    Finding(
                        rule="gpio-current",
                        severity="error",
                        message=(
                            f"{here} powers {lp.describe()} directly ({ref[1]}). It draws up to "
                            f"{peak:g} mA; a GPIO gives "
                            f"{limits.recommended_ma if limits else 20:g} mA or so."
                        ),
                        components=[comp.id, ref[0]],
                        pins=[here, ref_text(ref)],
                        fix=(
                            "Switch it with a driver: a relay module, a logic-level MOSFET "
                            "(IRLZ44N) or a motor driver, powered from a supply"
                            + (", with a flyback diode" if lp.part and lp.part.inductive else "")
                            + "."
                            if lp.part is None or lp.part.load != "servo"
                            else "Power the servo's VCC from a 5 V supply, keep only SIG on the "
                            "GPIO, and join the grounds."
                        ),
                    )
                )
            for ref in bases:
                out.append(
                    Finding(
                        rule="gpio-current",
                        severity="error",
                        message=(
                            f"{here} is wired straight to the base of {ref[0]}: with no resistor "
                            "the base-emitter junction shorts the pin to ground."
                        ),
                        components=[comp.id, ref[0]],
                        pins=[here, ref_text(ref)],
                        fix="Put a 1 kΩ resistor between the GPIO and the base.",
                    )
                )
            if powered and limits is not None:
                total = sum(part_current(c)[1] for c in powered)
                names = ", ".join(c.describe() for c in powered)
                if total > limits.max_ma:
                    sev = "error"
                elif total > limits.recommended_ma:
                    sev = "warning"
                else:
                    continue
                out.append(
                    Finding(
                        rule="gpio-current",
                        severity=sev,
                        message=(
                            f"{here} supplies {names}, up to {total:g} mA; "
                            f"{part.name} pins give {limits.recommended_ma:g} mA comfortably "
                            f"and {limits.max_ma:g} mA at most."
                        ),
                        components=[comp.id, *(c.id for c in powered)],
                        pins=[here],
                        fix="Power it from the 3V3/5V pin or a supply, or switch it with a "
                        "transistor.",
                    )
                )
    return out


# ----------------------------------------------------------------------- LEDs


def led_vf(comp: Comp) -> float:
    """Forward voltage: ``props.vf``, else by ``props.color``, else the catalog LED's."""
    vf = parse_volts(comp.props.get("vf"))
    if vf:
        return vf
    color = str(comp.props.get("color", "")).strip().lower()
    if color in LED_VF:
        return LED_VF[color]
    return comp.part.led.vf if comp.part and comp.part.led else 2.0


@dataclass
class _Side:
    volts: float
    ohms: float
    gpio: PinRef | None
    resistors: list[str]
    missing_value: list[str]


def _high_side(nl: Netlist, net: int) -> _Side | None:
    """How an LED's anode gets its voltage: directly or through one resistor."""

    def direct(n: int) -> tuple[float, PinRef | None] | None:
        if n in nl.rails:
            return nl.rails[n].v, None
        drivers = net_drivers(nl, n)
        if drivers:
            d = max(drivers, key=lambda d: d.level)
            return d.level, d.ref if is_mcu_signal(nl, d.ref) else None
        return None

    hit = direct(net)
    if hit:
        return _Side(hit[0], 0.0, hit[1], [], [])
    for br in nl.branches(net):
        if br.other_net is None:
            continue
        hit = direct(br.other_net)
        if hit:
            return _Side(
                hit[0],
                br.ohms or 0.0,
                hit[1],
                [br.resistor],
                [] if br.ohms else [br.resistor],
            )
    return None


def _low_side(nl: Netlist, net: int) -> _Side | None:
    """How an LED's cathode reaches 0 V: ground, a GPIO or transistor that sinks, or a resistor."""

    def direct(n: int) -> tuple[bool, PinRef | None]:
        if n in nl.ground:
            return True, None
        for ref in nl.nets[n]:
            p = nl.pin(ref)
            if p is None:
                continue
            if is_mcu_signal(nl, ref) and p.dir in ("io", "out"):
                return True, ref
            if p.has_role("sink", "drain", "collector"):
                return True, None
        return False, None

    ok, gpio = direct(net)
    if ok:
        return _Side(0.0, 0.0, gpio, [], [])
    for br in nl.branches(net):
        if br.other_net is None:
            continue
        ok, gpio = direct(br.other_net)
        if ok:
            return _Side(0.0, br.ohms or 0.0, gpio, [br.resistor], [] if br.ohms else [br.resistor])
    return None


def rule_led_resistor(nl: Netlist) -> list[Finding]:
    """``led-resistor``: an LED without a series resistor, or with one too small.

    I = (V - Vf) / R with Vf from the LED's colour (red ~2.0 V, blue/white ~3.0 V). The
    current is an error above the LED's absolute maximum (30 mA DC for the Kingbright
    WP7113ID) or above the driving pin's hard limit, and a warning above the LED's 20 mA
    rating or the pin's comfortable limit (see ``gpio-current``).
    """
    out = []
    for comp in nl.comps.values():
        part = comp.part
        if part is None or part.led is None:
            continue
        a = nl.comp_net(comp.id, "ANODE")
        k = nl.comp_net(comp.id, "CATHODE")
        if a is None or k is None:
            continue
        hi, lo = _high_side(nl, a), _low_side(nl, k)
        if hi is None or lo is None:
            continue
        vf = led_vf(comp)
        resistors = hi.resistors + lo.resistors
        pins = [f"{comp.id}.ANODE", f"{comp.id}.CATHODE"]
        pins += [f"{g[0]}.{g[1]}" for g in (hi.gpio, lo.gpio) if g]
        if hi.missing_value or lo.missing_value:
            out.append(
                Finding(
                    rule="led-resistor",
                    severity="warning",
                    message=(
                        f"{', '.join(hi.missing_value + lo.missing_value)} in series with "
                        f"{comp.describe()} has no readable props.value, so its current can't "
                        "be checked."
                    ),
                    components=[comp.id, *resistors],
                    pins=pins,
                    fix="Give the resistor a value in ohms, e.g. props.value = 220.",
                )
            )
            continue
        ohms = hi.ohms + lo.ohms
        volts = hi.volts - lo.volts
        gpio_limits = [
            lim
            for g in (hi.gpio, lo.gpio)
            if g and (p := nl.part(g[0])) is not None and (lim := p.gpio) is not None
        ]
        if ohms <= 0:
            out.append(
                Finding(
                    rule="led-resistor",
                    severity="error",
                    message=(
                        f"{comp.describe()} sits across {volts:g} V with no series resistor: "
                        "nothing limits its current, so the LED or the pin driving it burns out."
                    ),
                    components=[comp.id],
                    pins=pins,
                    fix=f"Add a resistor in series: {_led_r_hint(volts, vf)}.",
                )
            )
            continue
        ma = max(0.0, (volts - vf) / ohms * 1000.0)
        hard = min([part.led.if_max_ma, *(lim.max_ma for lim in gpio_limits)])
        soft = min([part.led.if_ma, *(lim.recommended_ma for lim in gpio_limits)])
        if ma > hard:
            sev = "error"
        elif ma > soft + 0.5:
            sev = "warning"
        else:
            continue
        out.append(
            Finding(
                rule="led-resistor",
                severity=sev,
                message=(
                    f"{comp.describe()} gets about {ma:.0f} mA through {format_ohms(ohms)} "
                    f"(({volts:g} V - {vf:g} V) / {format_ohms(ohms)}); the limit here is "
                    f"{soft:g} mA comfortably and {hard:g} mA at most."
                ),
                components=[comp.id, *resistors],
                pins=pins,
                fix=f"Use a bigger resistor: {_led_r_hint(volts, vf)}.",
            )
        )
    return out


def _led_r_hint(volts: float, vf: float) -> str:
    if volts <= vf:
        return "the supply is barely above the LED's forward voltage; use a higher one"
    r = (volts - vf) / 0.010
    return f"({volts:g} V - {vf:g} V) / 10 mA ≈ {format_ohms(round(r, -1))}; 220-330 Ω is typical"


# ----------------------------------------------------------------------- flyback


def _switch_kind(nl: Netlist, net: int, load_id: str) -> tuple[str | None, PinRef | None]:
    """What switches a load terminal's net: 'protected' driver, 'transistor', 'gpio', 'contact'."""
    for ref in nl.nets[net]:
        if ref[0] == load_id:
            continue
        p, part = nl.pin(ref), nl.part(ref[0])
        if p is None or part is None:
            continue
        if p.has_role("motor-out", "sink", "drain", "collector"):
            return ("protected" if part.flyback_builtin else "transistor"), ref
        if part.is_mcu and p.is_signal:
            return "gpio", ref
        if p.has_role("contact-com", "contact-no", "contact-nc"):
            return "contact", ref
    return None, None


def rule_flyback(nl: Netlist) -> list[Finding]:
    """``flyback-diode``: an inductive load switched with nothing to catch its kickback.

    Turning off a coil's current makes its voltage jump (V = L di/dt) far past the supply
    until something conducts; without a diode that is the transistor or GPIO switching it.
    Relay coils, solenoids, pumps and motors need a diode such as a 1N4007 (onsemi
    datasheet: 1 A, 1000 V) across the coil, cathode to the positive side. Relay modules,
    the L298N module, TB6612 and ULN2003 carry their own. Loads switched by relay contacts
    survive without one but the arcing makes noise that resets boards: a warning.
    """
    out = []
    for comp in nl.comps.values():
        part = comp.part
        if part is None or not part.inductive or part.flyback_builtin:
            continue
        terms = [p for p in part.pins if p.has_role("coil", "motor-terminal")]
        if len(terms) < 2:
            continue
        com = next((p for p in terms if p.name == "COM"), None)
        pairs = [(com, p) for p in terms if p is not com] if com else [(terms[0], terms[1])]
        for t1, t2 in pairs:
            n1 = nl.net_of.get((comp.id, t1.name))
            n2 = nl.net_of.get((comp.id, t2.name))
            if n1 is None or n2 is None or n1 == n2:
                continue
            kinds = [_switch_kind(nl, n, comp.id) for n in (n1, n2)]
            found = [(k, r) for k, r in kinds if k is not None]
            if not found or any(k == "protected" for k, _ in found):
                continue
            kind, switch_ref = found[0]
            diode = _diode_across(nl, n1, n2)
            pos = n1 if n1 in nl.rails else n2 if n2 in nl.rails else None
            pins = [f"{comp.id}.{t1.name}", f"{comp.id}.{t2.name}"]
            if diode is not None:
                did, cathode_net = diode
                if pos is not None and cathode_net != pos:
                    out.append(
                        Finding(
                            rule="flyback-diode",
                            severity="error",
                            message=(
                                f"The diode {did} across {comp.describe()} is the wrong way "
                                "round: when the switch closes it shorts the supply."
                            ),
                            components=[comp.id, did],
                            pins=pins,
                            fix=f"Turn {did} around: cathode (band) to the positive side.",
                        )
                    )
                continue
            if kind == "contact":
                sev = "warning"
                why = "the relay contact switching it will arc and the spikes can reset the board"
            else:
                sev = "error"
                why = (
                    f"the kickback when {ref_text(switch_ref) if switch_ref else 'the switch'} "
                    "turns off can destroy it"
                )
            out.append(
                Finding(
                    rule="flyback-diode",
                    severity=sev,
                    message=(
                        f"{comp.describe()} is an inductive load with no diode across "
                        f"{t1.name}/{t2.name}: {why}."
                    ),
                    components=[comp.id],
                    pins=pins,
                    fix=(
                        f"Put a 1N4007 (diode-1n4007) across {t1.name} and {t2.name}, cathode "
                        "to the positive side, or use a module with the diode built in."
                    ),
                )
            )
    return out


def _diode_across(nl: Netlist, n1: int, n2: int) -> tuple[str, int] | None:
    """A diode with one end on each net: (its id, the net its cathode is on)."""
    for comp in nl.comps.values():
        if comp.part is None or comp.part.category != "diode":
            continue
        a = nl.comp_net(comp.id, "ANODE")
        k = nl.comp_net(comp.id, "CATHODE")
        if a is not None and k is not None and {a, k} == {n1, n2}:
            return comp.id, k
    return None
