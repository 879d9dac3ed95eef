"""Forgiving readers for what real models send where a schema asks for a number or an object.

Models often write ``"5 V"`` where the schema says volts as a number, ``"$4.50"`` for a
price, or send a whole JSON object as a string (sometimes inside a fenced ``json`` block).
Where the meaning is unambiguous these are turned into the value the schema wants; anything
else is left alone so that validation reports it against the field by name.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^```[A-Za-z0-9_-]*[ \t]*\n?(.*?)\n?```$", re.S)

# Unit words a number may carry, with the factor to the field's own unit.
VOLTS: dict[str, float] = {"": 1.0, "v": 1.0, "volt": 1.0, "volts": 1.0, "vdc": 1.0, "mv": 1e-3}
MILLIAMPS: dict[str, float] = {
    "": 1.0,
    "ma": 1.0,
    "milliamp": 1.0,
    "milliamps": 1.0,
    "a": 1000.0,
    "amp": 1000.0,
    "amps": 1000.0,
    "ua": 1e-3,
    "µa": 1e-3,
}
DOLLARS: dict[str, float] = {"": 1.0, "usd": 1.0, "$": 1.0, "us$": 1.0}
COUNT: dict[str, float] = {"": 1.0, "x": 1.0, "pcs": 1.0, "pc": 1.0, "pieces": 1.0, "units": 1.0}

_NUMBER = re.compile(
    r"^(?P<pre>us\$|\$|~|≈|about\s+)?\s*(?P<num>[-+]?(?:\d+(?:\.\d+)?|\.\d+))\s*"
    r"(?P<unit>[a-zµ$]*)\.?$",
    re.I,
)


def unfence(text: str) -> str:
    """The text inside a fenced code block, or the text itself when it is not fenced."""
    t = text.strip()
    m = _FENCE.match(t)
    if m is None or re.search(r"^\s*```", m.group(1), re.M):
        return t  # not one block: several blocks in a document are the document
    return m.group(1).strip()


def json_text(value: Any) -> Any:
    """A JSON object or array sent as a string (bare or fenced) becomes that object."""
    if not isinstance(value, str):
        return value
    t = unfence(value)
    if not t.startswith(("{", "[")):
        return value
    try:
        return json.loads(t)
    except json.JSONDecodeError:
        return value  # validation names the field and says a mapping was expected


def number_in(units: dict[str, float]) -> Any:
    """A before-validator reading ``"3.3"``, ``"5 V"``, ``"0.5 A"`` or ``"$4.50"`` as a number
    in the field's unit; other text is passed on for validation to reject by name."""

    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        m = _NUMBER.match(value.strip())
        if not m:
            return value
        pre = (m.group("pre") or "").strip().lower()
        unit = (m.group("unit") or "").lower()
        if pre in ("$", "us$"):
            if "$" not in units or unit not in ("", "usd"):
                return value
            unit = ""
        if unit not in units:
            return value
        number = float(m.group("num"))
        scaled = number * units[unit]
        return int(scaled) if units is COUNT and scaled.is_integer() else round(scaled, 9)

    return read


def lines_of(value: Any) -> Any:
    """A list of short texts sent as one string: one item per non-empty line."""
    if isinstance(value, str):
        items = (re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", ln) for ln in value.splitlines())
        return [t.strip() for t in items if t.strip()]
    return value
