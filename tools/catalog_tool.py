"""The ``parts_catalog`` tool: lets a model look parts up instead of guessing ids and pins.

Wiring is checked against the catalog, so an id or pin name the catalog does not know is
an error; this tool is how a model finds the right ones (and the datasheet facts) first.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.tools import BaseTool, tool
from pydantic import Field

from .results import ToolOutcome

if TYPE_CHECKING:
    from tools.checks.catalog import Catalog, Part

MAX_RESULTS = 6


def _facts(part: Part, *, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": part.id,
        "name": part.name,
        "manufacturer": part.manufacturer,
        "mpn": part.mpn,
        "category": part.category,
    }
    if part.supply is not None:
        out["supply_v"] = [part.supply.min, part.supply.max]
    if part.logic_v is not None:
        out["logic_v"] = part.logic_v
    if part.i2c is not None:
        out["i2c_addresses"] = [f"0x{a:02X}" for a in part.i2c.possible]
    out["current_ma"] = {"typical": part.current_ma.typical, "peak": part.current_ma.peak}
    if part.inductive:
        out["inductive"] = True
        out["flyback_diode_on_board"] = part.flyback_builtin
    if full:
        out["pins"] = [{"name": p.name, "roles": list(p.roles), "dir": p.dir} for p in part.pins]
        out["description"] = part.description
        out["datasheet"] = part.source
    else:
        out["pins"] = [p.name for p in part.pins]
    return out


def search(catalog: Catalog, query: str) -> list[Part]:
    """Exact id or MPN first; otherwise parts ranked by how many query words they mention."""
    from tools.checks.catalog import _mpn_key

    q = query.strip()
    if not q:
        return []
    exact = catalog.get(q)
    if exact is not None:
        return [exact]
    key = _mpn_key(q)
    same_mpn = [p for p in catalog.parts if p.mpn and _mpn_key(p.mpn) == key]
    if same_mpn:  # a bare relay and a relay module can share the relay's part number
        return same_mpn
    words = [w for w in re.split(r"[^a-z0-9]+", q.lower()) if len(w) > 1]
    scored: list[tuple[int, float, str, Part]] = []
    for part in catalog.parts:
        hay = " ".join(
            [
                part.id,
                part.name,
                part.description,
                part.category,
                part.mpn or "",
                " ".join(part.interfaces),
            ]
        ).lower()
        score = sum(3 if w in part.id else 1 for w in words if w in hay)
        if score:
            # Ties go to the id spelled most like the query (esp32-devkit-v2 -> -v1).
            close = difflib.SequenceMatcher(None, q.lower(), part.id).ratio()
            scored.append((-score, -close, part.id, part))
    found = [p for _, _, _, p in sorted(scored)[:MAX_RESULTS]]
    if not found:
        found = [p for pid in catalog.suggest_parts(q) if (p := catalog.get(pid))]
    return found


def build_catalog_tool() -> BaseTool:
    @tool("parts_catalog", response_format="content_and_artifact")
    def parts_catalog(
        query: Annotated[
            str,
            Field(
                description="A catalog id or part number (e.g. 'bme280', 'SRD-05VDC-SL-C') "
                "or a few words (e.g. 'ultrasonic distance', 'relay module', '5 V supply')."
            ),
        ],
    ) -> tuple[str, dict[str, Any]]:
        """Look up Ohm's parts catalog: the ids to use in wiring and BOM, exact pin names
        and roles, supply range, logic level, I2C addresses and current draw."""
        from tools.checks.catalog import load_catalog

        catalog = load_catalog()
        parts = search(catalog, query)
        if not parts:
            text = json.dumps({"ok": True, "matches": [], "hint": "try fewer or other words"})
            return text, ToolOutcome(summary="no match").as_artifact()
        full = len(parts) == 1
        text = json.dumps(
            {"ok": True, "matches": [_facts(p, full=full) for p in parts]}, ensure_ascii=False
        )
        summary = f"{len(parts)} match(es): {', '.join(p.id for p in parts)}"
        return text, ToolOutcome(summary=summary).as_artifact()

    return parts_catalog
