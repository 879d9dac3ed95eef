"""Which catalog part a KiCad symbol or a BOM row is, by rules a maker can predict.

A part is only mapped when one of these says so, in this order; anything else is
reported as unknown, never guessed:

1. A field ``Ohm_Part`` (also spelled ``Ohm Part`` or ``ohm_part``) holding a catalog id.
   An id that is not in the catalog is unknown, not matched by resemblance.
2. The value (or an ``MPN`` / ``LCSC`` field) naming a catalog part: its id, its id without
   the type prefix (``1N4007`` for ``diode-1n4007``), its manufacturer part number (also
   without an ordering suffix such as ``G``, ``PBF``, ``TR`` or ``NOPB``), or its LCSC
   number. The footprint must then agree: the same footprint, the same package (TO-220,
   SOT-23, DO-41, DIP-16 ...), or, for a module, a pin header, pin socket or module
   footprint (how breakout boards are drawn). A package that contradicts the part is
   unknown, because then the value is not that part.
3. Generic passives by reference prefix and value: ``R`` with a resistance is a resistor
   (its value kept), ``RV`` a potentiometer, ``C`` with a capacitance a ceramic capacitor
   (electrolytic when the footprint or symbol is polarised), ``D``/``LED`` whose value or
   symbol says LED an LED (colour from the value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.checks.catalog import Catalog, Part
from tools.checks.values import LED_VF, parse_ohms

OHM_PART_FIELDS = ("ohm_part", "ohm part", "ohmpart", "ohm-part")
MPN_FIELDS = ("mpn", "manufacturer_part_number", "mfr part number", "mfr_pn", "part number")
LCSC_FIELDS = ("lcsc", "lcsc part #", "lcsc part", "lcsc_part", "jlcpcb part #")

#: Ordering suffixes that do not change the part (lead-free, tape and reel, green).
ORDER_SUFFIXES = ("g", "pbf", "tr", "nopb", "ct", "rl", "t", "e3")
#: Package names as KiCad's footprint libraries spell them.
_PACKAGE_RE = re.compile(
    r"(TO-\d+[A-Z]?|SOT-\d+|SOD-\d+|DO-\d+[A-Z]*|DIP-\d+|SOIC-\d+|TSSOP-\d+|QFN-\d+|"
    r"SMA|SMB|SMC|0402|0603|0805|1206)",
    re.I,
)
_MODULE_LIBS = ("module", "connector_pinheader", "connector_pinsocket", "connector_jst")
_CAP_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([pnuµm]?)\s*(\d*)\s*f?\b", re.I)
MODULE_CATEGORIES = frozenset(
    {
        "mcu",
        "sensor",
        "display",
        "comms",
        "storage",
        "driver",
        "level-shifter",
        "power",
        "relay",
        "input",
        "output",
    }
)


@dataclass
class Match:
    """The part a symbol maps to (None when unknown), how, and props to give it."""

    part: Part | None
    how: str
    props: dict[str, Any] = field(default_factory=dict)


def _key(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


def field_value(fields: dict[str, str], names: tuple[str, ...]) -> str | None:
    for k, v in fields.items():
        if k.strip().lower() in names and str(v).strip() and str(v).strip() != "~":
            return str(v).strip()
    return None


def _footprint_name(fp: str) -> tuple[str, str]:
    lib, _, name = fp.partition(":")
    return (lib.lower(), name.lower()) if name else ("", lib.lower())


def footprints_agree(symbol_fp: str | None, part: Part) -> bool:
    """Whether a symbol's footprint fits the catalog part (rule 2 of the module doc)."""
    if not symbol_fp or not part.footprint:
        return True
    s_lib, s_name = _footprint_name(symbol_fp)
    p_lib, p_name = _footprint_name(part.footprint)
    if s_name == p_name:
        return True
    s_pkg = {m.upper() for m in _PACKAGE_RE.findall(s_name)}
    p_pkg = {m.upper() for m in _PACKAGE_RE.findall(p_name)}
    if s_pkg and p_pkg:
        return bool(s_pkg & p_pkg)
    if part.category in MODULE_CATEGORIES and s_lib.startswith(_MODULE_LIBS):
        return True
    return not s_pkg and not p_pkg and p_lib == s_lib


def _by_name(catalog: Catalog, text: str) -> Part | None:
    k = _key(text)
    if len(k) < 3:
        return None
    for part in catalog.parts:
        stem = part.id.split("-", 1)[1] if "-" in part.id else part.id
        if k in (_key(part.id), _key(stem) if part.category in _PREFIXED else ""):
            return part
    for part in catalog.parts:
        if not part.mpn:
            continue
        mk = _key(part.mpn)
        if mk == k or (mk.startswith(k) and len(k) >= 4 and mk[len(k) :] in ORDER_SUFFIXES):
            return part
    return None


_PREFIXED = frozenset({"diode", "transistor", "capacitor"})


def _by_lcsc(catalog: Catalog, lcsc: str) -> Part | None:
    want = lcsc.strip().upper()
    return next((p for p in catalog.parts if p.lcsc and p.lcsc.upper() == want), None)


def parse_farads(value: str) -> float | None:
    """Capacitance from '100n', '100nF', '4u7', '10 µF'; None if not one."""
    m = _CAP_RE.match(value.replace(",", "."))
    if not m:
        return None
    whole, unit, frac = m.groups()
    number = float(f"{whole}.{frac}") if frac else float(whole)
    scale = {"": 1.0, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "m": 1e-3}[unit.lower()]
    if unit == "" and not value.strip().lower().endswith("f"):
        return None
    return number * scale


def match_symbol(
    catalog: Catalog,
    *,
    ref: str,
    value: str,
    footprint: str | None = None,
    fields: dict[str, str] | None = None,
    symbol: str | None = None,
) -> Match:
    """Map one symbol (or BOM row) to a catalog part by the rules in the module docstring."""
    fields = fields or {}
    pinned = field_value(fields, OHM_PART_FIELDS)
    if pinned:
        part = catalog.get(pinned)
        if part is None:
            return Match(None, f"its Ohm_Part field '{pinned}' is not a catalog id")
        return Match(part, "Ohm_Part field")
    named: list[tuple[str, Part | None]] = []
    lcsc = field_value(fields, LCSC_FIELDS)
    if lcsc:
        named.append((f"LCSC {lcsc}", _by_lcsc(catalog, lcsc)))
    mpn = field_value(fields, MPN_FIELDS)
    if mpn:
        named.append((f"MPN {mpn}", _by_name(catalog, mpn)))
    if value:
        named.append((f"value '{value}'", _by_name(catalog, value)))
    for how, part in named:
        if part is None:
            continue
        if footprints_agree(footprint, part):
            return Match(part, how)
        return Match(
            None,
            f"its {how} names {part.id}, but footprint {footprint} does not fit that part's "
            f"{part.footprint}",
        )
    return _passive(catalog, ref, value, footprint or "", symbol or "")


def _passive(catalog: Catalog, ref: str, value: str, footprint: str, symbol: str) -> Match:
    prefix = re.match(r"^[A-Za-z]+", ref.strip())
    letters = prefix.group(0).upper() if prefix else ""
    sym = symbol.lower()
    if letters == "R" and parse_ohms(value) is not None:
        part = catalog.get("resistor")
        return Match(part, "reference R with a resistance", {"value": parse_ohms(value)})
    if letters == "RV" and parse_ohms(value) is not None:
        return Match(catalog.get("potentiometer"), "reference RV with a resistance")
    if letters == "C" and parse_farads(value) is not None:
        polar = any(t in footprint.lower() for t in ("cp_", "elec", "tantal")) or sym.startswith(
            ("cp", "c_polarized")
        )
        pid = "capacitor-electrolytic" if polar else "capacitor-ceramic"
        return Match(catalog.get(pid), "reference C with a capacitance", {"value": value})
    if letters in ("D", "LED") and ("led" in value.lower() or sym.startswith("led")):
        props: dict[str, Any] = {}
        for color in LED_VF:
            if color in value.lower():
                props["color"] = color
                break
        return Match(catalog.get("led-5mm"), "an LED symbol", props)
    return Match(None, "no Ohm_Part field, and its value and footprint match no catalog part")
