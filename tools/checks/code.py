"""``check_code``: firmware rules over the syntax tree, cross-checked with the wiring.

``blocking-call``: waits inside ``loop()`` or anything it calls. ``pin-mismatch``: pins the
firmware uses that the wiring leaves unconnected, and wired pins the firmware ignores.
Pins on the board's flash or input-only lines are reported under the wiring rules' ids
(``reserved-pin``, ``input-only-pin``), because the fix is the same whichever side has it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.checks.catalog import Catalog, Part, load_catalog
from tools.checks.findings import Finding, dedupe, sort_findings
from tools.checks.firmware import CallSite, Firmware, SpinLoop, Value, parse_firmware
from tools.checks.netlist import Netlist, build_netlist, ref_text
from tools.checks.power_rules import mcu_signal_refs
from tools.schemas import CodeFile, Wiring

#: ``delay()`` of this many ms or more in ``loop()`` is reported. At 10 ms a servo misses
#: half of its 20 ms frame (SG90 datasheet: 50 Hz PWM) and a button press of ~50 ms can
#: fall between two reads; shorter pauses (delay(1) to yield) are harmless.
DELAY_LIMIT_MS = 10

#: ``delayMicroseconds()`` up to 1 ms is a protocol timing, not a wait: the HC-SR04 trigger
#: is 10 us (HC-SR04 datasheet), a 1-Wire reset pulse 480 us (DS18B20 datasheet), the
#: DHT22 start signal 1-10 ms is done with delay() in setup-like code.
DELAY_US_LIMIT = 1000

#: PlatformIO board names that map to a catalog board besides each board's own name.
PIO_BOARDS: dict[str, str] = {
    "esp32doit-devkit-v1": "esp32-devkit-v1",
    "esp32dev": "esp32-devkit-v1",
    "uno": "arduino-uno",
    "nanoatmega328": "arduino-nano",
    "nanoatmega328new": "arduino-nano",
    "pico": "raspberry-pi-pico",
    "rpipico": "raspberry-pi-pico",
    "nodemcuv2": "esp8266-nodemcu",
    "nodemcu": "esp8266-nodemcu",
}

#: Arduino-core pin aliases, from each core's pins_arduino.h (ESP32 analog channels map
#: to GPIOs; the Uno's A0 is pin 14; the Pico's A0 is GP26; NodeMCU's D1 is GPIO5...).
ESP32_ANALOG = {
    "A0": 36, "A3": 39, "A4": 32, "A5": 33, "A6": 34, "A7": 35, "A10": 4, "A11": 0,
    "A12": 2, "A13": 15, "A14": 13, "A15": 12, "A16": 14, "A17": 27, "A18": 25, "A19": 26,
}  # fmt: skip
BUS_SYMBOLS: dict[str, dict[str, int | str]] = {
    "esp32": {"SDA": 21, "SCL": 22, "MOSI": 23, "MISO": 19, "SCK": 18, "SS": 5},
    "avr": {"SDA": "A4", "SCL": "A5", "MOSI": 11, "MISO": 12, "SCK": 13, "SS": 10},
    "rp2040": {"SDA": 4, "SCL": 5, "MOSI": 19, "MISO": 16, "SCK": 18, "SS": 17},
    "esp8266": {"SDA": 4, "SCL": 5, "MOSI": 13, "MISO": 12, "SCK": 14, "SS": 15},
}
#: Default pins of extra hardware serial ports, per core (ESP32: Serial2 on 16/17;
#: Pico: Serial1 on GP0/GP1; Uno: Serial on D0/D1).
SERIAL_DEFAULTS: dict[tuple[str, str], tuple[int, ...]] = {
    ("esp32", "Serial2"): (16, 17),
    ("rp2040", "Serial1"): (0, 1),
    ("avr", "Serial"): (0, 1),
}

#: Functions taking pins, and which arguments are pins.
PIN_FUNCS: dict[str, tuple[int, ...]] = {
    "pinMode": (0,), "digitalWrite": (0,), "digitalRead": (0,), "analogRead": (0,),
    "analogWrite": (0,), "analogReadMilliVolts": (0,), "tone": (0,), "noTone": (0,),
    "pulseIn": (0,), "pulseInLong": (0,), "shiftOut": (0, 1), "shiftIn": (0, 1),
    "digitalPinToInterrupt": (0,), "ledcAttachPin": (0,), "ledcAttach": (0,),
    "dacWrite": (0,), "touchRead": (0,),
}  # fmt: skip
OUTPUT_FUNCS = frozenset(
    {"digitalWrite", "analogWrite", "tone", "shiftOut", "ledcAttachPin", "ledcAttach", "dacWrite"}
)
#: Library objects built with pins: constructor argument positions.
CTOR_PINS: dict[str, tuple[int, ...]] = {
    "DHT": (0,), "DHT_Unified": (0,), "OneWire": (0,), "Adafruit_NeoPixel": (1,),
    "NewPing": (0, 1), "SoftwareSerial": (0, 1), "LiquidCrystal": (0, 1, 2, 3, 4, 5),
    "Stepper": (1, 2, 3, 4), "AccelStepper": (1, 2, 3, 4), "MFRC522": (0, 1), "RF24": (0, 1),
    "TM1637Display": (0, 1), "LedControl": (0, 1, 2), "Encoder": (0, 1),
    "Adafruit_ST7735": (0, 1, 2), "Adafruit_ILI9341": (0, 1, 2),
}  # fmt: skip
OUTPUT_CTORS = frozenset({"Adafruit_NeoPixel", "Stepper", "AccelStepper", "LedControl"})
I2C_HINTS = ("wire", "bme280", "bmp280", "ssd1306", "mpu6050", "rtc", "liquidcrystal_i2c",
             "ina219", "ads1x15", "ads1115", "vl53l0x", "sht3", "aht", "bh1750")  # fmt: skip
SPI_HINTS = ("spi", "sd", "mfrc522", "rf24", "max6675", "ledcontrol", "st7735", "ili9341")


@dataclass
class PinUse:
    pin: str
    exists: bool
    source: str
    call: str
    file: str
    line: int
    output: bool = False
    implicit: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


# ----------------------------------------------------------------------- board pins


def board_for(fw: Firmware, catalog: Catalog) -> Part | None:
    if not fw.board:
        return None
    pid = PIO_BOARDS.get(fw.board.lower())
    if pid:
        return catalog.get(pid)
    for part in catalog.parts:
        if part.board and part.board.platformio == fw.board:
            return part
    return None


def to_board_pin(value: Value | None, part: Part) -> tuple[str, bool] | None:
    """Board pin name for a firmware pin value: (name, exists on this board), or None."""
    core = part.board.core if part.board else ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        sym = value.strip()
        bus = BUS_SYMBOLS.get(core, {})
        if sym in bus:
            value = bus[sym]
            if isinstance(value, str):
                return (value, part.pin(value) is not None)
        elif sym.startswith("GPIO_NUM_") and sym[9:].isdigit():
            value = int(sym[9:])
        elif core == "esp32" and sym in ESP32_ANALOG:
            value = ESP32_ANALOG[sym]
        elif core == "rp2040" and sym[:1] in ("A", "D", "p") and sym[1:].isdigit():
            n = int(sym[1:])
            value = n + 26 if sym[0] == "A" else n
        elif len(sym) > 1 and sym[0] in "AD" and sym[1:].isdigit():
            p = part.pin(sym)
            return (p.name, True) if p else (sym, False)
        else:
            return None
    if not isinstance(value, int) or value < 0:
        return None
    candidates = {
        "esp32": [f"GPIO{value}"],
        "rp2040": [f"GP{value}"],
        "esp8266": [f"GPIO{value}"],
        "avr": [f"D{value}"] if value < 14 else [f"A{value - 14}"],
    }.get(core, [f"GPIO{value}", f"D{value}"])
    for name in candidates:
        p = part.pin(name)
        if p is not None:
            return p.name, True
    return (candidates[0] if candidates else str(value)), False


def _name_tokens(name: str) -> list[str]:
    """Words of an identifier: ``RELAY_PIN`` -> RELAY, PIN; ``ledPin`` -> LED, PIN."""
    words: list[str] = []
    cur = ""
    for i, ch in enumerate(name):
        if ch == "_" or (ch.isupper() and i and name[i - 1].islower()):
            if cur:
                words.append(cur.upper())
            cur = "" if ch == "_" else ch
        else:
            cur += ch
    if cur:
        words.append(cur.upper())
    return words


def _is_pin_name(name: str) -> bool:
    """A constant named like a pin (``RELAY_PIN``, ``ledPin``, ``I2C_SDA``), not ``PING_MS``."""
    return any(w in ("PIN", "PINS", "SDA", "SCL") or w.endswith("PIN") for w in _name_tokens(name))


def _uses_bus(fw: Firmware, hints: tuple[str, ...], receivers: tuple[str, ...]) -> bool:
    if any(c.receiver in receivers for c in fw.calls):
        return True
    if any(any(r in a for r in receivers) for c in fw.calls for a in c.args):
        return True
    for inc in fw.includes:
        base = inc.lower().rsplit("/", 1)[-1].split(".")[0]
        if any(base == h or base.startswith(h) or base.endswith(h) for h in hints):
            return True
    types = {t.lower() for t in fw.var_types.values()}
    return any(h in t for t in types for h in hints if len(h) > 3)


def firmware_pins(fw: Firmware, part: Part) -> list[PinUse]:
    """Every pin the firmware touches: in pin calls, library objects, pin constants, buses."""
    core = part.board.core if part.board else ""
    uses: list[PinUse] = []

    def add(text: str, call: CallSite | None, output: bool, label: str | None = None) -> None:
        value = fw.value(text)
        hit = to_board_pin(value, part)
        if hit is None:
            return
        src = text.strip() if not text.strip().lstrip("-").isdigit() else f"pin {text.strip()}"
        uses.append(
            PinUse(
                pin=hit[0],
                exists=hit[1],
                source=src,
                call=label or (call.name if call else "constant"),
                file=call.file if call else "",
                line=call.line if call else 0,
                output=output,
            )
        )

    explicit_i2c = explicit_spi = False
    serial_ports: set[str] = set()
    for c in fw.calls:
        rtype = fw.var_types.get(c.receiver or "", "")
        if c.constructor is not None:
            positions = CTOR_PINS.get(c.name, ())
            for i in positions:
                if i < len(c.args):
                    add(c.args[i], c, c.name in OUTPUT_CTORS, f"{c.name} {c.constructor}")
            continue
        if c.receiver is None and c.name in PIN_FUNCS:
            out = c.name in OUTPUT_FUNCS or (
                c.name == "pinMode" and len(c.args) > 1 and "OUTPUT" in c.args[1]
            )
            for i in PIN_FUNCS[c.name]:
                if i < len(c.args):
                    add(c.args[i], c, out)
            continue
        recv = c.receiver or ""
        if recv in ("Wire", "Wire1") or rtype == "TwoWire":
            if (c.name == "begin" and len(c.args) >= 2) or c.name == "setPins":
                explicit_i2c = True
                for i in (0, 1):
                    if i < len(c.args):
                        add(c.args[i], c, False, f"{recv}.{c.name}")
            elif c.name in ("setSDA", "setSCL") and c.args:
                explicit_i2c = True
                add(c.args[0], c, False, f"{recv}.{c.name}")
        elif recv == "SPI" or rtype == "SPIClass":
            if c.name == "begin" and len(c.args) >= 3:
                explicit_spi = True
                for i in range(min(4, len(c.args))):
                    add(c.args[i], c, i != 1, f"{recv}.begin")
        elif recv.startswith("Serial") or rtype == "HardwareSerial":
            if c.name == "begin":
                serial_ports.add(recv)
                if len(c.args) >= 4:
                    add(c.args[2], c, False, f"{recv}.begin")
                    add(c.args[3], c, True, f"{recv}.begin")
                    serial_ports.discard(recv)
            elif c.name in ("setRX", "setTX") and c.args:
                add(c.args[0], c, c.name == "setTX", f"{recv}.{c.name}")
                serial_ports.discard(recv)
        elif c.name == "attach" and c.args:
            add(c.args[0], c, True, f"{recv}.attach")
        elif c.name == "begin" and rtype == "HX711" and len(c.args) >= 2:
            add(c.args[0], c, False, f"{recv}.begin")
            add(c.args[1], c, True, f"{recv}.begin")
        elif c.name == "begin" and recv == "SD" and c.args:
            add(c.args[0], c, True, "SD.begin")
        elif c.name == "setPin" and rtype == "Adafruit_NeoPixel" and c.args:
            add(c.args[0], c, True, f"{recv}.setPin")
        elif c.name == "addLeds":
            for t in c.template_args:
                add(t, c, True, "FastLED.addLeds")
    for const in fw.constants.values():
        if _is_pin_name(const.name):
            value = fw.value(const.text)
            hit = to_board_pin(value, part)
            if hit is not None:
                uses.append(PinUse(hit[0], hit[1], const.name, "constant", const.file, const.line))

    def implicit(role_pins: list[str], label: str) -> None:
        for name in role_pins:
            uses.append(PinUse(name, True, label, label, "", 0, implicit=True))

    if not explicit_i2c and _uses_bus(fw, I2C_HINTS, ("Wire", "Wire1")):
        implicit([p.name for p in part.pins if p.has_role("i2c-sda", "i2c-scl")][:2], "I2C")
    if not explicit_spi and _uses_bus(fw, SPI_HINTS, ("SPI", "SD")):
        implicit(
            [p.name for p in part.pins if p.has_role("spi-sck", "spi-miso", "spi-mosi")][:3],
            "SPI",
        )
    for port in serial_ports:
        for n in SERIAL_DEFAULTS.get((core, port), ()):
            hit = to_board_pin(n, part)
            if hit:
                implicit([hit[0]], port)
    return uses


# ----------------------------------------------------------------------- rules


#: What makes a loop time-critical, so that a wait in it loses something. Input polling:
#: pin reads and serial input (a button press of ~50 ms falls between two reads when the
#: loop sleeps for a second). Network: server and client calls that must run often (a
#: WebServer answers only inside handleClient(), PubSubClient keeps its MQTT connection
#: alive only inside loop()). A schedule: millis()/micros() comparisons, which a wait
#: makes late.
INPUT_CALLS = frozenset(
    {"digitalRead", "analogRead", "touchRead", "digitalReadFast", "analogReadMilliVolts"}
)
SERIAL_INPUT = frozenset({"available", "read", "readString", "readStringUntil", "parseInt"})
INPUT_METHODS = frozenset({"isPressed", "getKey", "pressed", "fell", "rose"})
NETWORK_METHODS = frozenset(
    {"handleClient", "handle", "poll", "parsePacket", "run", "loop", "available", "connected"}
)
NETWORK_TYPES = (
    "wifi", "server", "client", "pubsub", "mqtt", "udp", "blynk", "ota", "http", "ethernet",
    "websocket", "espnow", "ble",
)  # fmt: skip
NETWORK_RECEIVERS = ("WiFi", "ArduinoOTA", "Blynk", "MDNS", "Ethernet", "server", "client")
SCHEDULE_CALLS = frozenset({"millis", "micros"})
TIMER_TYPES = ("timer", "ticker", "scheduler")


def _activity(fw: Firmware, c: CallSite) -> str | None:
    """What a call inside loop()'s reach shows the loop must keep doing, or None."""
    recv = c.receiver or ""
    rtype = fw.var_types.get(recv, "").lower()
    if c.receiver is None and c.name in INPUT_CALLS:
        return "polls inputs"
    if c.receiver is None and c.name in SCHEDULE_CALLS:
        return "runs a schedule"
    if recv.startswith("Serial") and c.name in SERIAL_INPUT:
        return "reads serial input"
    if c.name in INPUT_METHODS or (c.name == "update" and "bounce" in rtype):
        return "polls inputs"
    networked = recv.startswith(NETWORK_RECEIVERS) or any(t in rtype for t in NETWORK_TYPES)
    if networked and c.name in NETWORK_METHODS:
        return "serves a network"
    if any(t in rtype for t in TIMER_TYPES) and c.name in ("run", "tick", "update"):
        return "runs a schedule"
    return None


def rule_blocking(fw: Firmware) -> list[Finding]:
    """``blocking-call``: waits in ``loop()`` or any function it calls, transitively.

    ``delay()`` of ``DELAY_LIMIT_MS`` or more (or of an amount that can't be worked out),
    ``delayMicroseconds()`` over ``DELAY_US_LIMIT``, ``pulseIn()`` (blocks up to its
    timeout, one second by default per the Arduino reference), and loops that spin on
    ``millis()``, a pin, ``!Serial``, serial input or Wi-Fi status. ``setup()`` may wait.

    The severity follows what the wait costs. When the loop also polls inputs, reads
    serial input, serves a network or runs a ``millis()`` schedule (see ``_activity``),
    the wait loses button presses, requests and deadlines: an error, and the code agent
    must fix it. When the loop does nothing else time-critical (the classic Blink), the
    wait only costs responsiveness: a warning, and ``ohm check code`` exits 0.
    """
    if "loop" not in fw.functions:
        return []
    paths: dict[str, list[str]] = {"loop": ["loop"]}
    todo = ["loop"]
    while todo:
        fn = todo.pop()
        for c in fw.calls_in(fn):
            if c.constructor is None and c.name in fw.functions and c.name not in paths:
                if c.name in ("setup",):
                    continue
                paths[c.name] = [*paths[fn], c.name]
                todo.append(c.name)
    activity = [
        (what, c) for fn in paths for c in fw.calls_in(fn) if (what := _activity(fw, c)) is not None
    ]

    def severity(itself: CallSite | SpinLoop) -> tuple[str, str]:
        """Warning or error for one wait, from what else the loop does besides it."""
        if isinstance(itself, SpinLoop):
            others = [
                (w, c)
                for w, c in activity
                if not ((c.file, c.line) == (itself.file, itself.line) and c.text in itself.text)
            ]
        else:
            others = [(w, c) for w, c in activity if c is not itself]
        if not others:
            return "warning", (
                " Nothing else in loop() is time-critical (no input polling, network or "
                "schedule), so this only slows it down; it becomes an error once the loop "
                "has more to do."
            )
        kinds: dict[str, CallSite] = {}
        for w, c in others:
            kinds.setdefault(w, c)
        said = "; ".join(f"{w} ({c.text} at {c.file}:{c.line})" for w, c in kinds.items())
        return "error", f" The loop also {said}, which it misses while it waits."

    out = []
    for fn, path in sorted(paths.items()):
        where_fn = f"{fn}()" + (
            "" if fn == "loop" else f", which loop() calls ({' → '.join(path)})"
        )
        for c in fw.calls_in(fn):
            if c.receiver is not None or c.constructor is not None:
                continue
            why = _blocking_reason(fw, c)
            if why is None:
                continue
            sev, cost = severity(c)
            out.append(
                Finding(
                    rule="blocking-call",
                    severity=sev,
                    message=f"{c.text} in {where_fn} {why}{cost}",
                    components=[],
                    fix=(
                        "Schedule it with millis() instead: keep the time of the last run and act "
                        "when `millis() - last >= interval`, so loop() keeps running."
                        if c.name.startswith("delay")
                        else "Measure the pulse with an interrupt (attachInterrupt + micros()), "
                        "as the loop should never wait for it."
                    ),
                    location=f"{c.file}:{c.line}",
                )
            )
        for lp in fw.loops_in(fn):
            sev, cost = severity(lp)
            out.append(
                Finding(
                    rule="blocking-call",
                    severity=sev,
                    message=(
                        f"`{lp.text}` in {where_fn} busy-waits on the {lp.reason}: nothing "
                        f"else runs until it ends.{cost}"
                    ),
                    fix="Turn the wait into a state checked on each pass of loop() "
                    "(if the condition holds, act; otherwise return and check again later).",
                    location=f"{lp.file}:{lp.line}",
                )
            )
    return out


def _blocking_reason(fw: Firmware, c: CallSite) -> str | None:
    if c.name == "delay":
        v = fw.value(c.args[0]) if c.args else None
        if isinstance(v, (int, float)):
            if v < DELAY_LIMIT_MS:
                return None
            return f"stops the whole program for {v:g} ms."
        return "stops the whole program for a time the checks can't work out."
    if c.name == "delayMicroseconds":
        v = fw.value(c.args[0]) if c.args else None
        if isinstance(v, (int, float)) and v <= DELAY_US_LIMIT:
            return None
        amount = f"{v:g} µs" if isinstance(v, (int, float)) else "an unknown time"
        return f"busy-waits for {amount}."
    if c.name in ("pulseIn", "pulseInLong"):
        v = fw.value(c.args[2]) if len(c.args) > 2 else None
        limit = f"{v:g} µs" if isinstance(v, (int, float)) else "one second by default"
        return f"waits for the pulse, up to {limit}."
    return None


def _wired_context(nl: Netlist, cid: str, pin: str) -> str:
    net = nl.net_of.get((cid, pin))
    if net is None:
        return ""
    refs = [r for n in nl.signal_group(net) for r in nl.nets[n] if r[0] != cid]
    refs = [r for r in refs if not nl.is_resistor(r[0])] or refs
    return ", ".join(ref_text(r) for r in refs[:3])


def rule_pin_mismatch(
    fw: Firmware, part: Part, nl: Netlist | None, mcu_id: str | None
) -> list[Finding]:
    """``pin-mismatch`` plus firmware-side ``reserved-pin`` / ``input-only-pin``.

    Firmware pins (calls, library objects, ``*_PIN`` constants) are mapped to the board's
    pin names with the Arduino core's numbering. One used in code but not wired is an
    error when a wired pin is unused (the classic off-by-one-pin bug), else a warning; a
    wired signal pin the firmware never touches is a warning. Default I2C/SPI/serial pins
    count as touched when the firmware uses those buses without naming pins.
    """
    # A constant's own definition is where a fix goes, so constants are reported first.
    uses = sorted(firmware_pins(fw, part), key=lambda u: u.call != "constant")
    out: list[Finding] = []
    seen_bad: set[str] = set()
    for u in uses:
        if u.implicit:
            continue
        loc = u.where if u.line else None
        if not u.exists:
            if u.pin in seen_bad:
                continue
            seen_bad.add(u.pin)
            out.append(
                Finding(
                    rule="pin-mismatch",
                    severity="error",
                    message=f"The firmware uses {u.pin} ({u.source}), which is not a pin of the "
                    f"{part.name}.",
                    fix="Use a pin that exists on the board.",
                    location=loc,
                )
            )
            continue
        pin = part.pin(u.pin)
        if pin is None:
            continue
        if pin.has_role("flash-reserved") and f"flash:{u.pin}" not in seen_bad:
            seen_bad.add(f"flash:{u.pin}")
            out.append(
                Finding(
                    rule="reserved-pin",
                    severity="error",
                    message=f"The firmware uses {u.pin} ({u.source}), one of the pins wired to the "
                    "module's flash chip: the board crashes.",
                    pins=[f"{mcu_id}.{u.pin}"] if mcu_id else [],
                    fix="Pick a free GPIO.",
                    location=loc,
                )
            )
        if pin.has_role("input-only") and u.output and f"in:{u.pin}" not in seen_bad:
            seen_bad.add(f"in:{u.pin}")
            out.append(
                Finding(
                    rule="input-only-pin",
                    severity="error",
                    message=f"The firmware drives {u.pin} ({u.source}, {u.call}) as an output, but "
                    f"{u.pin} can only be read.",
                    pins=[f"{mcu_id}.{u.pin}"] if mcu_id else [],
                    fix="Use an output-capable pin for it.",
                    location=loc,
                )
            )
    if nl is None or mcu_id is None:
        return out
    wired = {
        r[1]
        for r in mcu_signal_refs(nl)
        if r[0] == mcu_id
        and (p := part.pin(r[1])) is not None
        and not p.has_role("reset", "enable")
        and p.name != "AREF"
    }
    explicit = {u.pin for u in uses if not u.implicit and u.exists}
    touched = explicit | {u.pin for u in uses if u.implicit}
    untouched = sorted(wired - touched, key=_pin_sort)
    reported: set[str] = set()
    for u in uses:
        if u.implicit or not u.exists or u.pin in wired or u.pin in reported:
            continue
        reported.add(u.pin)
        hint = ""
        if untouched:
            hint = (
                " The wiring has "
                + "; ".join(f"{p} → {_wired_context(nl, mcu_id, p)}" for p in untouched[:3])
                + ", which the firmware never uses."
            )
        out.append(
            Finding(
                rule="pin-mismatch",
                severity="error" if untouched else "warning",
                message=f"The firmware uses {u.pin} ({u.source}) but the wiring connects nothing "
                f"to {mcu_id}.{u.pin}.{hint}",
                components=[mcu_id],
                pins=[f"{mcu_id}.{u.pin}"],
                fix=(
                    f"Change {u.source} to the wired pin, or move the wire to {u.pin}."
                    if untouched
                    else f"Wire the part to {u.pin}, or drop {u.source} from the firmware."
                ),
                location=u.where if u.line else None,
            )
        )
    for name in untouched:
        out.append(
            Finding(
                rule="pin-mismatch",
                severity="warning",
                message=f"{mcu_id}.{name} is wired to {_wired_context(nl, mcu_id, name)}, but the "
                f"firmware never uses {name}.",
                components=[mcu_id],
                pins=[f"{mcu_id}.{name}"],
                fix=f"Use {name} in the firmware (e.g. a #define in include/config.h), or remove "
                "the wire.",
            )
        )
    return out


def _pin_sort(name: str) -> tuple[str, int]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (name.rstrip("0123456789"), int(digits) if digits else -1)


def check_code(
    files: list[CodeFile], wiring: Wiring | None = None, catalog: Catalog | None = None
) -> list[Finding]:
    """Firmware findings: blocking calls, and pins checked against the board and the wiring.

    The board comes from the wiring's microcontroller, else from ``platformio.ini``.
    """
    cat = catalog or load_catalog()
    fw = parse_firmware(files)
    out = rule_blocking(fw)
    nl = build_netlist(wiring, cat) if wiring is not None else None
    mcu_id: str | None = None
    part: Part | None = None
    if nl is not None:
        mcus = nl.mcus()
        if mcus:
            pio = board_for(fw, cat)
            chosen = next((m for m in mcus if pio is not None and m.part == pio), mcus[0])
            mcu_id, part = chosen.id, chosen.part
    if part is None:
        part = board_for(fw, cat)
    if part is not None and fw.files:
        out += rule_pin_mismatch(fw, part, nl if mcu_id else None, mcu_id)
    return sort_findings(dedupe(out))
