"""The offline simulator's circuit inspector and datasheet analyst.

Like the rest of the simulator these are rules, not a model, and they say so in every
answer. The inspector cannot see a photo: it reports what it received (type, pixel size,
bytes) and what Ohm's checks say about the wiring, never what the picture shows, and it
never passes a build it has not seen. The datasheet analyst reads datasheet text laid out
as ``Key: value`` lines (the layout in docs/attachments.md) and saves the part; text in any
other shape is described (pages, characters) and left alone.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .brain import Conversation, Reply

SIMULATOR_NOTE = "(Offline simulator: rules, not a vision or language model.)"


# ----------------------------------------------------------------- what was received


def _last_user_content(conv: Conversation) -> Any:
    for m in reversed(conv.messages):
        if m.get("role") == "user":
            return m.get("content")
    return None


def received_images(conv: Conversation) -> list[dict[str, Any]]:
    """Each image part of the newest user message: mime, bytes and, if decodable, size."""
    content = _last_user_content(conv)
    out: list[dict[str, Any]] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict) or part.get("type") != "image_url":
            continue
        url = str((part.get("image_url") or {}).get("url") or "")
        m = re.match(r"data:([\w/+.-]+);base64,(.*)\Z", url, re.S)
        if not m:
            out.append({"mime": "unknown", "bytes": 0})
            continue
        try:
            raw = base64.b64decode(m.group(2), validate=True)
        except (binascii.Error, ValueError):
            out.append({"mime": m.group(1), "bytes": 0})
            continue
        info: dict[str, Any] = {"mime": m.group(1), "bytes": len(raw)}
        try:
            from PIL import Image

            with Image.open(io.BytesIO(raw)) as img:
                info["width"], info["height"] = img.size
        except Exception:  # the simulator only describes; a bad image is just "unknown"
            pass
        out.append(info)
    return out


_PDF_NOTE = re.compile(r"\[attached PDF: (.+?) \(PDF, (\d+) pages?, ([^)]+)\); its text follows\]")


def received_pdfs(text: str) -> list[dict[str, Any]]:
    return [
        {"name": m.group(1), "pages": int(m.group(2)), "size": m.group(3)}
        for m in _PDF_NOTE.finditer(text)
    ]


def _describe_image(info: dict[str, Any]) -> str:
    dims = f", {info['width']}×{info['height']} px" if "width" in info else ""
    return f"{info['mime']}{dims}, {info['bytes']:,} bytes"


# -------------------------------------------------------------------- the inspector


def _issue(f: dict[str, Any]) -> dict[str, Any]:
    pins = [p for p in f.get("pins") or [] if isinstance(p, str)]
    comps = [c for c in f.get("components") or [] if isinstance(c, str)]
    return {
        "summary": str(f.get("message") or f.get("rule")),
        "severity": "critical",
        "connection": "-".join(pins[:2]) if len(pins) >= 2 else None,
        "component": comps[0] if comps else None,
        "evidence": f"Ohm's check {f.get('rule')} on the wiring (not the photo)",
        "fix": str(f.get("fix") or ""),
    }


def circuit_inspector(conv: Conversation) -> Reply:
    from .brain import Reply, ToolCall, _findings

    images = received_images(conv)
    seen = "; ".join(_describe_image(i) for i in images) or "no image"
    if not conv.called("read"):
        return Reply(tool_calls=[ToolCall("read", {"artifact_type": "wiring"})])
    reads = conv.read_results()
    wiring = reads.get("wiring") if isinstance(reads.get("wiring"), dict) else None
    if wiring is None:
        return Reply(
            content=(
                f"{SIMULATOR_NOTE} I received {len(images)} photo(s) ({seen}), but this "
                "project has no wiring yet, so there is nothing to compare the build with, "
                "and the simulator cannot look at the picture itself. Ask for the wiring "
                "first (for example: 'wire it up'), then send the photo again."
            )
        )
    if "run_checks" in conv.tools and not conv.called("run_checks"):
        return Reply(tool_calls=[ToolCall("run_checks", {})])
    findings = _findings(conv)
    errors = [f for f in findings if f.get("severity") == "error"]
    warnings = [f for f in findings if f.get("severity") == "warning"]
    if not conv.called("write_inspection"):
        inspection = {
            "status": "fail" if errors else "warning",
            "confidence": 0.0,
            "compared_with_wiring": False,
            "observations": [
                f"Received {seen}.",
                "The offline simulator cannot see images: the photo was not compared.",
            ],
            "critical_issues": [_issue(f) for f in errors[:10]],
            "suggestions": [str(f.get("message")) for f in warnings[:5]]
            + ["Run Ohm with a Bytez key to have a vision model compare the photo."],
        }
        return Reply(tool_calls=[ToolCall("write_inspection", {"inspection": inspection})])
    lines = [SIMULATOR_NOTE]
    if errors:
        lines.append("Critical issues (from Ohm's checks of the wiring, not from the photo):")
        lines += [f"- {f.get('rule')}: {f.get('message')}" for f in errors[:10]]
    else:
        lines.append("Ohm's checks found no errors in the wiring.")
    lines.append(
        f"I received {len(images)} photo(s) ({seen}) but cannot see them, so I cannot tell "
        "whether the build matches the wiring; the inspection is saved as a warning with "
        "confidence 0."
    )
    return Reply(content="\n".join(lines))


# -------------------------------------------------------------- datasheet analysis

_PAGE = re.compile(r"^--- page (\d+) ---\s*$")
_NUM = r"(-?\d+(?:\.\d+)?)"
_ROLE_DIR = {
    "power-in": "power-in",
    "ground": "ground",
    "i2c-sda": "od",
    "i2c-scl": "od",
    "i2c-address": "in",
    "digital-in": "in",
    "analog-in": "in",
    "digital-out": "out",
    "analog-out": "out",
}
_DIRS = {"in", "out", "io", "od", "power-in", "power-out", "power-io", "ground", "passive", "nc"}


def _lines_with_pages(text: str) -> list[tuple[int | None, str, str]]:
    """(page, key, value) for every ``Key: value`` line, pages from ``--- page N ---``."""
    page: int | None = None
    out: list[tuple[int | None, str, str]] = []
    for raw in text.splitlines():
        m = _PAGE.match(raw.strip())
        if m:
            page = int(m.group(1))
            continue
        if ":" not in raw:
            continue
        key, value = raw.split(":", 1)
        key = " ".join(key.strip().lower().split())
        if key and len(key) <= 40:
            out.append((page, key, value.strip()))
    return out


def _volts(value: str) -> list[float]:
    return [float(x) for x in re.findall(_NUM, value)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63]


def parse_datasheet(text: str) -> dict[str, Any] | None:
    """A ProjectPart (as JSON) from datasheet text in the documented layout, or None.

    Needs at least a part number, a supply range, a current and one pin line."""
    rows = _lines_with_pages(text)
    facts: dict[str, tuple[int | None, str]] = {}
    pins: list[dict[str, Any]] = []
    absmax: list[dict[str, Any]] = []
    for page, key, value in rows:
        if key.startswith("pin "):
            pin = _pin(key[4:].strip().upper(), value, page)
            if pin:
                pins.append(pin)
        elif key.startswith("absolute maximum"):
            nums = _volts(value)
            unit = re.search(r"(mA|V|°C|C)\b", value)
            if nums:
                absmax.append(
                    {
                        "parameter": key.replace("absolute maximum", "").strip() or "rating",
                        "value": nums[0],
                        "unit": unit.group(1) if unit else "",
                        "page": page,
                    }
                )
        else:
            facts.setdefault(key, (page, value))
    mpn = facts.get("part number")
    supply = facts.get("supply voltage") or facts.get("supply")
    current = facts.get("current") or facts.get("supply current")
    if not (mpn and supply and current and pins):
        return None
    sv = _volts(supply[1])
    cur = _volts(current[1])
    if len(sv) < 2 or not cur:
        return None
    name = facts.get("name", (None, mpn[1]))[1]
    part: dict[str, Any] = {
        "id": _slug(facts.get("part id", (None, mpn[1]))[1]),
        "name": name,
        "manufacturer": facts.get("manufacturer", (None, "unknown"))[1],
        "part_number": mpn[1],
        "category": facts.get("category", (None, "sensor"))[1].lower(),
        "description": facts.get("description", (None, ""))[1],
        "supply": {"min_v": min(sv[:2]), "max_v": max(sv[:2]), "page": supply[0]},
        "pins": pins,
        "current": {
            "typical_ma": cur[0],
            "peak_ma": cur[1] if len(cur) > 1 else cur[0],
            "page": current[0],
        },
        "absolute_max": absmax,
    }
    logic = facts.get("logic level")
    if logic and _volts(logic[1]):
        part["logic_v"] = _volts(logic[1])[0]
    tol = facts.get("5v tolerant") or facts.get("5 v tolerant")
    if tol:
        part["five_v_tolerant"] = tol[1].lower().startswith(("yes", "true"))
    address = facts.get("i2c address")
    if address:
        found = re.findall(r"0x[0-9a-fA-F]{2}", address[1])
        if found:
            i2c: dict[str, Any] = {"default": found[0], "selectable": found[1:], "page": address[0]}
            select = facts.get("i2c address select")
            if select:
                m = re.match(r"\s*([A-Za-z0-9_]+)\s*\((.*)\)", select[1])
                if m:
                    table = dict(re.findall(r"(GND|VCC)\s*=\s*(0x[0-9a-fA-F]{2})", m.group(2)))
                    i2c["select_pins"] = [m.group(1).upper()]
                    i2c["table"] = table
                    extra = [a for a in table.values() if a not in found]
                    i2c["selectable"] = [*i2c["selectable"], *extra]
            part["i2c"] = i2c
            part["interfaces"] = ["i2c"]
    return part


def _pin(name: str, value: str, page: int | None) -> dict[str, Any] | None:
    words = [w.strip().lower() for w in value.split(",") if w.strip()]
    # power-in, ground, nc and passive are both a direction and a role.
    roles = [
        w
        for w in words
        if not w.startswith(("max", "vih")) and w not in ("in", "out", "io", "od", "power-io")
    ]
    dirs = [w for w in words if w in _DIRS]
    if not roles:
        return None
    pin: dict[str, Any] = {
        "name": name,
        "dir": dirs[0] if dirs else _ROLE_DIR.get(roles[0], "io"),
        "roles": roles,
        "page": page,
    }
    for w in words:
        if w.startswith("max") and _volts(w):
            pin["vmax"] = _volts(w)[0]
        elif w.startswith("vih") and _volts(w):
            pin["vih"] = _volts(w)[0]
    return pin


def datasheet_analyst(conv: Conversation) -> Reply:
    from .brain import Reply, ToolCall

    text = conv.last_user
    pdfs = received_pdfs(text)
    got = (
        "; ".join(f"{p['name']} ({p['pages']} pages, {p['size']})" for p in pdfs)
        or f"{len(text):,} characters of pasted text"
    )
    part = parse_datasheet(text)
    if part is None:
        return Reply(
            content=(
                f"{SIMULATOR_NOTE} I received {got}, but the text does not follow the "
                "simple 'Key: value' layout the simulator can read (part number, supply "
                "voltage, current and 'Pin NAME: roles' lines), so no part was saved. A "
                "language model reads free-form datasheets; see docs/attachments.md."
            )
        )
    if pdfs:
        part["datasheet"] = pdfs[0]["name"]
    results = [d for n, d in conv.tool_results() if n == "save_project_part"]
    if not results:
        return Reply(tool_calls=[ToolCall("save_project_part", {"part": part})])
    last = results[-1]
    if not last.get("ok"):
        return Reply(content=f"{SIMULATOR_NOTE} I could not save the part: {last.get('error')}")
    supply = part["supply"]
    lines = [
        SIMULATOR_NOTE,
        f"From {got} I added **{part['name']}** ({part['part_number']}) to this project's "
        f"parts as `{part['id']}`.",
        f"- supply {supply['min_v']}-{supply['max_v']} V (page {supply['page']})",
    ]
    if "i2c" in part:
        lines.append(f"- I2C address {part['i2c']['default']} (page {part['i2c']['page']})")
    lines.append(f"- pins: {', '.join(p['name'] for p in part['pins'])}")
    lines.append(f"Use part `{part['id']}` in the wiring; Ohm's checks now know it.")
    return Reply(content="\n".join(lines))
