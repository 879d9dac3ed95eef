"""Ohm's parts catalog: the datasheet facts that the checks reason with.

The data lives in ``catalog.json`` next to this module (versioned with a top-level
``version``); this module loads it once into typed models and answers lookups by part id
and pin name. Lookups forgive letter case and, for part ids, ``_`` or spaces for ``-``;
pin aliases are only the labels printed on real boards (``D21`` on a DOIT ESP32, ``SDA``
for the Uno's A4). Anything else is unknown, so that a made-up pin name gets reported
instead of silently matched.
"""

from __future__ import annotations

import difflib
import json
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATALOG_PATH = Path(__file__).with_name("catalog.json")

PinDir = Literal[
    "in", "out", "io", "od", "power-in", "power-out", "power-io", "ground", "passive", "nc"
]
Category = Literal[
    "mcu",
    "sensor",
    "display",
    "comms",
    "storage",
    "input",
    "led",
    "output",
    "resistor",
    "diode",
    "capacitor",
    "transistor",
    "relay",
    "actuator",
    "driver",
    "level-shifter",
    "power",
    "passive",
    "mechanical",
]
LoadKind = Literal["motor", "coil", "solenoid", "pump", "servo"]

SIGNAL_DIRS: frozenset[str] = frozenset({"in", "out", "io", "od"})
DRIVING_DIRS: frozenset[str] = frozenset({"out", "io"})
RECEIVING_DIRS: frozenset[str] = frozenset({"in", "io", "od"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def parse_i2c_address(value: Any) -> int | None:
    """An I2C address from ``0x76``, ``"0x76"``, ``"76h"`` or ``118``; None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 0x7F else None
    if isinstance(value, str):
        text = value.strip().lower()
        try:
            n = int(text[:-1], 16) if text.endswith("h") else int(text, 0)
        except ValueError:
            return None
        return n if 0 <= n <= 0x7F else None
    return None


class VoltageRange(_Frozen):
    """Volts a supply pin accepts: ``min``/``max`` are limits, ``rec_*`` the comfortable band.

    ``cutoff`` is the datasheet's point below which the part cannot work at all (a relay
    coil's must-operate voltage); without it, 90 % of ``min`` stands in for it.
    """

    min: float
    max: float
    rec_min: float | None = None
    rec_max: float | None = None
    nominal: float | None = None
    cutoff: float | None = None


class Source(_Frozen):
    """What a supply output gives.

    ``soft`` marks a board pin that is a source only when nothing else feeds it (a DevKit's
    VIN carries USB 5 V, but takes 5-12 V from an adapter just as well). ``passthrough``
    outputs (a motor driver's OUT pins, a charger's OUT+) carry the voltage of another pin
    of the same part, named by the pin's ``rail``. ``adjustable`` converters take their
    voltage from the component's ``props.vout``.
    """

    v: float | None = None
    max_ma: float | None = None
    soft: bool = False
    min: float | None = None
    max: float | None = None
    passthrough: bool = Field(default=False, alias="pass")
    adjustable: bool = False


class Pin(_Frozen):
    """One pin with its electrical facts.

    ``vmax`` is the highest voltage the pin tolerates, ``vout`` the voltage it drives high,
    ``vih`` the lowest voltage it is guaranteed to read as high. A ``rail`` names the pin(s)
    of the same part whose voltage sets this pin's level (an HC-SR04's ECHO follows VCC).
    ``pullup`` is the rail (pin name) or voltage a module's own pull-up resistor ties the
    pin to. ``weak`` marks outputs that can only source a little current (a pot's wiper,
    a shifter's pulled-up side), which turns over-voltage into a warning.
    """

    name: str
    dir: PinDir
    roles: tuple[str, ...]
    vmax: float | None = None
    vout: float | None = None
    vih: float | None = None
    rail: str | tuple[str, ...] | None = None
    pullup: str | float | None = None
    weak: bool = False
    supply: VoltageRange | None = None
    source: Source | None = None
    aliases: tuple[str, ...] = ()
    note: str | None = None
    five_v_tolerant: bool | None = None

    @model_validator(mode="after")
    def _tolerance(self) -> Pin:
        """5 V tolerance is stated per pin in the data; it must agree with ``vmax``.

        None when the limit follows a rail (a module's pins tolerate what its VCC is).
        """
        if self.vmax is not None:
            derived = self.vmax >= 5.0
            if self.five_v_tolerant is None:
                object.__setattr__(self, "five_v_tolerant", derived)
            elif self.five_v_tolerant != derived:
                raise ValueError(f"{self.name}: five_v_tolerant contradicts vmax {self.vmax}")
        return self

    @property
    def rails(self) -> tuple[str, ...]:
        if self.rail is None:
            return ()
        return (self.rail,) if isinstance(self.rail, str) else tuple(self.rail)

    @property
    def is_signal(self) -> bool:
        return self.dir in SIGNAL_DIRS

    @property
    def is_ground(self) -> bool:
        return self.dir == "ground"

    @property
    def takes_power(self) -> bool:
        return self.dir in ("power-in", "power-io") and self.supply is not None

    @property
    def gives_power(self) -> bool:
        return self.source is not None

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


StrapLevel = Literal["GND", "VCC", "SDA", "SCL"]


class AddressStrap(_Frozen):
    """How address-select pins pick the address (BME280 SDO, MPU-6050 AD0, ADS1115 ADDR).

    ``pins`` are read in order; each is tied to GND, VCC, SDA or SCL. ``table`` maps the
    levels, joined with commas (``"GND"``, ``"VCC,SDA"``), to an address; ``base`` instead
    makes the pins binary address bits, first pin lowest (PCF8574 A0-A2: 0x20 + A2A1A0).
    ``floating`` is what an unconnected pin reads, per pin or one for all: the module's own
    pull resistor (GY-521 pulls AD0 down, the LCD backpack pulls A0-A2 up).
    """

    pins: tuple[str, ...]
    floating: StrapLevel | tuple[StrapLevel, ...]
    table: dict[str, int] = Field(default_factory=dict)
    base: int | None = None

    @field_validator("table", mode="before")
    @classmethod
    def _addresses(cls, v: Any) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, raw in (v or {}).items():
            n = parse_i2c_address(raw)
            if n is None:
                raise ValueError(f"not an I2C address: {raw!r}")
            levels = [x.strip().upper() for x in str(key).split(",")]
            out[",".join(levels)] = n
        return out

    @field_validator("base", mode="before")
    @classmethod
    def _base(cls, v: Any) -> int | None:
        if v is None:
            return None
        n = parse_i2c_address(v)
        if n is None:
            raise ValueError(f"not an I2C address: {v!r}")
        return n

    @model_validator(mode="after")
    def _shape(self) -> AddressStrap:
        if (self.base is None) == (not self.table):
            raise ValueError("an address strap needs exactly one of table or base")
        if not isinstance(self.floating, str) and len(self.floating) != len(self.pins):
            raise ValueError("floating needs one level per strap pin")
        for key in self.table:
            levels = key.split(",")
            if len(levels) != len(self.pins) or not set(levels) <= {"GND", "VCC", "SDA", "SCL"}:
                raise ValueError(f"strap table key {key!r} does not fit pins {self.pins}")
        return self

    def floating_level(self, index: int) -> str:
        return self.floating if isinstance(self.floating, str) else self.floating[index]

    def address(self, levels: tuple[str, ...]) -> int | None:
        """The address these pin levels select, or None when the part has no such setting."""
        if self.base is not None:
            if not set(levels) <= {"GND", "VCC"}:
                return None
            return self.base + sum(1 << i for i, lv in enumerate(levels) if lv == "VCC")
        return self.table.get(",".join(levels))

    def addresses(self) -> tuple[int, ...]:
        if self.base is not None:
            return tuple(self.base + i for i in range(1 << len(self.pins)))
        return tuple(sorted(set(self.table.values())))


class I2CInfo(_Frozen):
    """Addresses a device answers at: ``default``, the ones strap pins select, and ``also``
    for extra fixed addresses on the same module (a DS3231 board's EEPROM). ``strap`` says
    how the address pins select among them; ``mux`` marks a multiplexer (TCA9548A) whose
    channel pins each start a bus of their own."""

    default: int
    selectable: tuple[int, ...] = ()
    also: tuple[int, ...] = ()
    strap: AddressStrap | None = None
    mux: bool = False

    @model_validator(mode="after")
    def _strap_fits(self) -> I2CInfo:
        if self.strap is not None:
            extra = set(self.strap.addresses()) - set(self.possible)
            if extra:
                raise ValueError(
                    "strap selects addresses not in default/selectable: "
                    + ", ".join(f"0x{a:02X}" for a in sorted(extra))
                )
        return self

    @field_validator("default", mode="before")
    @classmethod
    def _one(cls, v: Any) -> int:
        n = parse_i2c_address(v)
        if n is None:
            raise ValueError(f"not an I2C address: {v!r}")
        return n

    @field_validator("selectable", "also", mode="before")
    @classmethod
    def _many(cls, v: Any) -> tuple[int, ...]:
        out = []
        for item in v or ():
            n = parse_i2c_address(item)
            if n is None:
                raise ValueError(f"not an I2C address: {item!r}")
            out.append(n)
        return tuple(out)

    @property
    def possible(self) -> tuple[int, ...]:
        return (self.default, *self.selectable)


class Current(_Frozen):
    """Typical and peak mA; ``per`` names a props key that multiplies it (LEDs on a strip)."""

    typical: float
    peak: float
    per: str | None = None
    per_default: int | None = None


class GpioLimits(_Frozen):
    """Per-pin output current of a microcontroller board: comfortable and hard limits in mA."""

    recommended_ma: float
    max_ma: float
    i2c_pullup_v: float | None = None
    note: str | None = None


class LedInfo(_Frozen):
    vf: float
    if_ma: float
    if_max_ma: float


class StrapPin(_Frozen):
    """A pin read at reset: the level that stops a normal boot, how bad that is, and why."""

    bad: Literal["low", "high"]
    severity: Literal["error", "warning", "info"]
    why: str


class BoardInfo(_Frozen):
    """How PlatformIO names the board, which Arduino core numbers its pins, which pins
    carry the USB serial port (a part there can block uploads), and the boot strapping
    pins of its chip (from the chip's datasheet)."""

    platformio: str
    platform: str
    core: Literal["esp32", "avr", "rp2040", "esp8266", "samd", "nrf52"]
    usb_serial: tuple[str, ...] = ()
    straps: dict[str, StrapPin] = Field(default_factory=dict)


class HeaderStrip(_Frozen):
    """One pin header of a board, in physical order: ``pins[i]`` is pin number
    ``first + i`` on the silkscreen. None stands for a header pin the catalog does not model
    (an Uno's IOREF, a Pico's ADC_VREF) so that the numbers stay true."""

    name: str
    first: int = 1
    pins: tuple[str | None, ...]


class Regulator(_Frozen):
    """A converter's input and output pins: wired the other way round it is reversed."""

    input: str
    output: str


class Part(_Frozen):
    id: str
    name: str
    category: Category
    manufacturer: str
    mpn: str | None = None
    lcsc: str | None = None
    footprint: str | None = None
    description: str
    source: str
    logic_v: float | None = None
    pin_defaults: dict[str, float] = Field(default_factory=dict)
    supply: VoltageRange | None = None
    interfaces: tuple[str, ...] = ()
    i2c: I2CInfo | None = None
    current_ma: Current
    gpio: GpioLimits | None = None
    board: BoardInfo | None = None
    load: LoadKind | None = None
    inductive: bool = False
    flyback_builtin: bool = False
    led: LedInfo | None = None
    overvoltage: Literal["error", "warning"] = "error"
    links: tuple[tuple[str, str], ...] = ()
    level_shifter: bool = False
    adjustable: str | None = None
    regulator: Regulator | None = None
    props: dict[str, str] = Field(default_factory=dict)
    header: tuple[HeaderStrip, ...] = ()
    """The board's pin headers in physical order (diagrams list pins in this order)."""
    pins: tuple[Pin, ...]

    @field_validator("source")
    @classmethod
    def _url(cls, v: str) -> str:
        # "project:<project>/<datasheet>" marks a part a project added from its datasheet.
        if not v.startswith(("https://", "http://", "project:")):
            raise ValueError("source must be an http(s) URL")
        return v

    @model_validator(mode="after")
    def _pins_named_exist(self) -> Part:
        """Every pin the part's own facts name (strap, regulator, rails) is one of its pins."""
        names = {p.name.upper() for p in self.pins}
        named: list[str] = []
        if self.i2c and self.i2c.strap:
            named += self.i2c.strap.pins
        if self.regulator:
            named += [self.regulator.input, self.regulator.output]
        if self.board:
            named += list(self.board.usb_serial) + list(self.board.straps)
        for p in self.pins:
            named += list(p.rails)
            if isinstance(p.pullup, str):
                named.append(p.pullup)
        for a, b in self.links:
            named += [a, b]
        named += [name for strip in self.header for name in strip.pins if name]
        missing = sorted({n for n in named if n.upper() not in names})
        if missing:
            raise ValueError(f"{self.id}: names pins it does not have: {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _apply_pin_defaults(self) -> Part:
        """Board-wide I/O facts (ESP32: 3.6 V max, 3.3 V out) fill in signal pins' gaps."""
        if not self.pin_defaults:
            return self
        fixed = []
        for p in self.pins:
            if p.is_signal and not p.rails:
                upd = {
                    k: v
                    for k, v in self.pin_defaults.items()
                    if k in ("vmax", "vout", "vih") and getattr(p, k) is None
                }
                if p.dir == "in":
                    upd.pop("vout", None)
                p = p.model_copy(update=upd) if upd else p
            fixed.append(p)
        object.__setattr__(self, "pins", tuple(fixed))
        return self

    @property
    def is_mcu(self) -> bool:
        return self.category == "mcu"

    @cached_property
    def _pin_index(self) -> dict[str, Pin]:
        idx: dict[str, Pin] = {}
        for p in self.pins:
            idx[p.name.upper()] = p
        for p in self.pins:
            for a in p.aliases:
                idx.setdefault(a.upper(), p)
        return idx

    def pin(self, name: str) -> Pin | None:
        """The pin called ``name`` (any letter case, or a printed alias), else None."""
        return self._pin_index.get(str(name).strip().upper())

    @property
    def pin_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pins)

    @cached_property
    def _header_index(self) -> dict[str, tuple[int, int, str, int]]:
        idx: dict[str, tuple[int, int, str, int]] = {}
        for s, strip in enumerate(self.header):
            for i, name in enumerate(strip.pins):
                if name:
                    idx.setdefault(name.upper(), (s, i, strip.name, strip.first + i))
        return idx

    def header_position(self, name: str) -> tuple[int, int, str, int] | None:
        """Where a pin first appears on the board's headers: (strip index, index in the
        strip, strip name, printed pin number); None when it is on no header."""
        pin = self.pin(name)
        return self._header_index.get(pin.name.upper()) if pin else None

    def suggest_pins(self, name: str, n: int = 3) -> list[str]:
        """Real pin names closest to a name that is not on this part.

        A numbered name (GPIO37) is matched to the nearest numbers with the same prefix
        (GPIO36, GPIO35, GPIO39); anything else by spelling.
        """
        text = str(name).strip().upper()
        stem = text.rstrip("0123456789")
        if stem != text and stem:
            want = int(text[len(stem) :])
            numbered = [
                (abs(int(p.name[len(stem) :]) - want), int(p.name[len(stem) :]), p.name)
                for p in self.pins
                if p.name.upper().startswith(stem) and p.name[len(stem) :].isdigit()
            ]
            if numbered:
                return [x[2] for x in sorted(numbered)[:n]]
        keys = list(self._pin_index)
        close = difflib.get_close_matches(text, keys, n=n * 2, cutoff=0.4)
        out: list[str] = []
        for k in close:
            real = self._pin_index[k].name
            if real not in out:
                out.append(real)
        return out[:n]

    def pins_with_role(self, role: str) -> list[Pin]:
        return [p for p in self.pins if role in p.roles]


class Catalog(_Frozen):
    version: str
    description: str = ""
    roles: dict[str, str]
    directions: dict[str, str]
    parts: tuple[Part, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        ids = [p.id for p in self.parts]
        if len(ids) != len(set(ids)):
            raise ValueError("catalog part ids must be unique")
        for part in self.parts:
            for pin in part.pins:
                unknown = [r for r in pin.roles if r not in self.roles]
                if unknown:
                    raise ValueError(f"{part.id}.{pin.name}: unknown role(s) {unknown}")
        return self

    @cached_property
    def _index(self) -> dict[str, Part]:
        return {_id_key(p.id): p for p in self.parts}

    @cached_property
    def _mpn_index(self) -> dict[str, Part]:
        idx: dict[str, Part] = {}
        for p in self.parts:
            if p.mpn:
                idx.setdefault(_mpn_key(p.mpn), p)
        return idx

    def get(self, part_id: str) -> Part | None:
        """The part with this id, forgiving case and ``_``/spaces for ``-``."""
        return self._index.get(_id_key(part_id))

    def __contains__(self, part_id: object) -> bool:
        return isinstance(part_id, str) and self.get(part_id) is not None

    def __len__(self) -> int:
        return len(self.parts)

    def by_mpn(self, mpn: str) -> Part | None:
        """The part whose manufacturer part number matches (ignoring case and punctuation)."""
        return self._mpn_index.get(_mpn_key(mpn))

    def pin(self, part_id: str, pin_name: str) -> Pin | None:
        part = self.get(part_id)
        return part.pin(pin_name) if part else None

    def suggest_parts(self, part_id: str, n: int = 3) -> list[str]:
        keys = list(self._index)
        close = difflib.get_close_matches(_id_key(part_id), keys, n=n, cutoff=0.5)
        return [self._index[k].id for k in close]


def _id_key(part_id: str) -> str:
    return "-".join(str(part_id).strip().lower().replace("_", " ").split())


def _mpn_key(mpn: str) -> str:
    return "".join(ch for ch in str(mpn).lower() if ch.isalnum())


@lru_cache(maxsize=1)
def load_catalog(path: str | None = None) -> Catalog:
    """Read and validate the catalog once per process."""
    data = json.loads((Path(path) if path else CATALOG_PATH).read_text(encoding="utf-8"))
    return Catalog.model_validate(data)


def get_part(part_id: str) -> Part | None:
    return load_catalog().get(part_id)
