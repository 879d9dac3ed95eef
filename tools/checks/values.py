"""Reading the loose numbers people and models write: '4k7', '220R', '10 kΩ', '80mA typ'."""

from __future__ import annotations

import math
import re
from typing import Any

_MULT = {"": 1.0, "r": 1.0, "k": 1e3, "m": 1e6, "meg": 1e6, "g": 1e9}
_RES_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(meg|[rkmg]?)\s*(\d*)\s*(?:ohms?|Ω|ω)?\s*$", re.I)


def parse_ohms(value: Any) -> float | None:
    """Resistance in ohms from a number or a label; None when it cannot be read.

    Accepts 220, '220', '220R', '220 Ω', '4.7k', '4k7', '1M', '1meg'. A capital or small
    'm' both mean mega here: nobody wires milliohm resistors to a GPIO.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 and math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    m = _RES_RE.match(value.replace(",", ""))
    if not m:
        return None
    whole, unit, frac = m.group(1), m.group(2).lower(), m.group(3)
    if frac and "." in whole:
        return None
    number = float(f"{whole}.{frac}") if frac else float(whole)
    ohms = number * _MULT[unit]
    return ohms if ohms > 0 else None


def format_ohms(ohms: float) -> str:
    if ohms >= 1e6:
        return f"{ohms / 1e6:g} MΩ"
    if ohms >= 1e3:
        return f"{ohms / 1e3:g} kΩ"
    return f"{ohms:g} Ω"


def parse_volts(value: Any) -> float | None:
    """Volts from 5, '5V', '3.3 V', '12v'; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*v?\s*$", value, re.I)
        if m:
            return float(m.group(1))
    return None


_CURRENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ma|a|µa|ua)\b", re.I)


def parse_current_text(text: Any) -> tuple[float | None, float | None]:
    """(typical, peak) in mA from text like '80mA typ, 370mA Wi-Fi peak' or '2.5A'.

    The first amount is taken as typical; the largest as peak.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text), float(text)
    if not isinstance(text, str):
        return None, None
    amounts = []
    for num, unit in _CURRENT_RE.findall(text):
        scale = {"ma": 1.0, "a": 1000.0, "µa": 0.001, "ua": 0.001}[unit.lower()]
        amounts.append(float(num) * scale)
    if not amounts:
        return None, None
    return amounts[0], max(amounts)


#: Typical forward voltage by LED colour (red/yellow/green GaP/AlGaInP around 2 V,
#: blue/white/true-green InGaN around 3 V), from common 5 mm LED datasheets (Kingbright).
LED_VF: dict[str, float] = {
    "red": 2.0,
    "orange": 2.0,
    "yellow": 2.1,
    "green": 2.2,
    "blue": 3.0,
    "white": 3.0,
    "pink": 3.0,
    "purple": 3.2,
    "uv": 3.3,
    "ir": 1.2,
    "infrared": 1.2,
}
