"""The offline simulator's budget optimizer.

Rules, not a model, and every answer says so. It reads the parts list, proposes the
cheaper catalog parts of a small fixed table for the lines it recognises (cheapest first,
with rough prices from the simulator's own table, labelled as such), and names the lines
it would not cheapen by their catalog category. It does not check its candidates itself:
Ohm's ``write_budget`` does, and the simulator reports what the tool offered and what it
rejected, exactly as the tool answered. When the maker accepts, it calls ``apply_budget``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .brain import Conversation, Reply

SIMULATOR_NOTE = "(Offline simulator: rules and a fixed price table, not a language model.)"
PRICE_SOURCE = "the offline simulator's rough price table"


@dataclass(frozen=True)
class Candidate:
    part: str
    unit_cost: float
    reason: str
    tradeoff: str


#: Cheaper parts the simulator knows for a catalog part, cheapest first. The first one for
#: the 0.96-inch OLED is a 5 V-only character LCD: cheaper, and wrong for a 3.3 V board.
CANDIDATES: dict[str, tuple[Candidate, ...]] = {
    "ssd1306-i2c": (
        Candidate(
            "lcd1602-i2c",
            3.5,
            "A 16x2 character LCD with an I2C backpack costs less than an OLED.",
            "Two lines of 16 characters, no graphics.",
        ),
        Candidate(
            "ssd1306-128x32-i2c",
            4.0,
            "The same SSD1306 driver and the same four pins on a smaller 0.91-inch panel.",
            "Four lines of text instead of eight; the firmware's display height changes.",
        ),
    ),
    "bme680": (
        Candidate(
            "bme280",
            8.0,
            "Temperature, humidity and pressure without the gas sensor.",
            "No air-quality reading.",
        ),
    ),
}

#: Lines the simulator keeps, by catalog category, and why.
KEEP: dict[str, str] = {
    "power": "its current rating carries the project's peak load; a weaker supply browns out",
    "diode": "it protects the switch from the motor's or coil's turn-off spike for cents",
    "level-shifter": "it keeps 5 V signals off 3.3 V pins",
    "mcu": "the wiring and the firmware are written for this board's pins",
}

_ACCEPT = re.compile(r"\b(apply|accept|go with)\b", re.I)
_YES = re.compile(
    r"^\s*(yes|yep|yeah|sure|ok(ay)?|go ahead|do it|please do)\b[\s.!,]*\w*[\s.!]*$", re.I
)


def accepts(message: str, previous_reply: str = "") -> bool:
    """The maker accepts the offered savings: "yes, apply the savings", or a plain "yes"
    right after a reply that asked whether to apply them."""
    if _ACCEPT.search(message):
        return True
    return bool(_YES.match(message)) and "apply the savings" in previous_reply


def _catalog_category(part_id: str | None) -> str | None:
    from tools.checks import load_catalog

    part = load_catalog().get(part_id) if part_id else None
    return part.category if part else None


def draft(bom: dict[str, Any]) -> dict[str, Any]:
    """The simulator's write_budget arguments for a parts list."""
    recs: list[dict[str, Any]] = []
    keep: list[dict[str, Any]] = []
    for line in bom.get("components") or []:
        if not isinstance(line, dict):
            continue
        cid = line.get("catalog_id")
        for c in CANDIDATES.get(str(cid), ()):
            recs.append(
                {
                    "line": line.get("part_number"),
                    "substitute": {
                        "catalog_id": c.part,
                        "unit_cost": c.unit_cost,
                        "price_source": PRICE_SOURCE,
                    },
                    "reason": c.reason,
                    "tradeoff": c.tradeoff,
                }
            )
        why = KEEP.get(_catalog_category(cid) or "")
        if why:
            keep.append({"line": line.get("part_number"), "why": why.capitalize() + "."})
    return {
        "summary": "Candidates from the offline simulator's small table of cheaper parts.",
        "recommendations": recs,
        "do_not_cheapen": keep,
        "notes": ["Prices are rough figures from the offline simulator, not quotes."],
    }


def _last(conv: Conversation, tool: str) -> dict[str, Any] | None:
    hits = [d for n, d in conv.tool_results() if n == tool]
    return hits[-1] if hits else None


def _budget_reply(result: dict[str, Any]) -> str:
    lines = [
        SIMULATOR_NOTE,
        f"Original cost {result.get('original_cost')}, after the offered substitutions "
        f"{result.get('optimized_cost')}: savings {result.get('savings')}.",
    ]
    offered = result.get("offered") or []
    if offered:
        lines.append("Offered (each passed Ohm's checks with the part swapped in):")
        lines += [
            f"- {o.get('line')} → {o.get('substitute')}: {o.get('unit_cost')}, saves "
            f"{o.get('line_savings')}"
            for o in offered
        ]
    else:
        lines.append("No candidate passed Ohm's checks, so nothing is offered.")
    rejected = result.get("rejected") or []
    if rejected:
        lines.append("Not offered, because Ohm's checks refused them:")
        for r in rejected:
            failed = "; ".join(r.get("failed_checks") or []) or r.get("why")
            lines.append(f"- {r.get('line')} → {r.get('substitute')}: {failed}")
    if offered:
        lines.append("Say 'yes, apply the savings' to write a new parts list with them.")
    return "\n".join(lines)


def budget_optimizer(conv: Conversation) -> Reply:
    from .brain import Reply, ToolCall, _finding_lines, _findings

    before = [m for m in conv.messages if m.get("role") == "assistant" and m.get("content")]
    previous = str(before[-1].get("content")) if before else ""
    if "apply_budget" in conv.tools and accepts(conv.last_user, previous):
        result = _last(conv, "apply_budget")
        if result is None:
            return Reply(tool_calls=[ToolCall("apply_budget", {})])
        if not result.get("ok", True):
            return Reply(content=f"{SIMULATOR_NOTE} I could not apply them: {result.get('error')}")
        written = ", ".join(
            f"{w.get('type')} v{w.get('version')}" for w in result.get("written") or []
        )
        return Reply(
            content=f"{SIMULATOR_NOTE} Applied the offered substitutions: wrote {written}."
            + _finding_lines(_findings(conv))
        )
    if not conv.called("read"):
        return Reply(
            tool_calls=[
                ToolCall("read", {"artifact_type": "bom"}),
                ToolCall("read", {"artifact_type": "wiring"}),
            ]
        )
    bom = conv.read_results().get("bom")
    if not isinstance(bom, dict):
        return Reply(
            content=f"{SIMULATOR_NOTE} This project has no parts list yet, so there is "
            "nothing to make cheaper. Ask for the parts list first."
        )
    result = _last(conv, "write_budget")
    if result is None:
        return Reply(tool_calls=[ToolCall("write_budget", {"budget": draft(bom)})])
    if not result.get("ok", True):
        return Reply(content=f"{SIMULATOR_NOTE} I could not save the budget: {result.get('error')}")
    return Reply(content=_budget_reply(result))
