"""A wiring artifact drawn as an SVG diagram, in plain Python (no Graphviz).

Boards and supplies sit in the left column with their pins on the right edge; modules and
parts sit in the right column with their pins on the left edge; every wire runs in its own
vertical lane in the gap between, in the colour the wiring gives it. Pins and wires named
by findings get a ring or a dashed overlay in the finding's colour and a number that points
into the legend. Every piece of text is XML-escaped: labels come from a model and may
contain markup.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from tools.checks.catalog import Catalog, load_catalog
from tools.checks.findings import Finding
from tools.schemas import Wiring

PIN_H = 18
BLOCK_W = 210
HEADER_H = 40
COL_GAP = 260
MARGIN = 30
BLOCK_GAP = 24
LANE_STEP = 9

SEVERITY_COLOURS = {"error": "#d32f2f", "warning": "#ef6c00", "info": "#1565c0"}
WIRE_COLOURS = {
    "red": "#d32f2f", "black": "#212121", "blue": "#1e88e5", "green": "#2e7d32",
    "yellow": "#f9a825", "orange": "#ef6c00", "white": "#9e9e9e", "grey": "#757575",
    "gray": "#757575", "brown": "#6d4c41", "purple": "#8e24aa", "violet": "#8e24aa",
    "pink": "#ec407a", "cyan": "#00acc1",
}  # fmt: skip
_HEX = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")


def esc(text: object) -> str:
    """Text safe inside an SVG element or a double-quoted attribute."""
    return escape(str(text), {'"': "&quot;", "'": "&apos;"})


def wire_colour(name: str | None) -> str:
    """A CSS colour for a wire: a known name or a #hex value, else neutral grey."""
    if not name:
        return "#607d8b"
    key = name.strip().lower()
    if key in WIRE_COLOURS:
        return WIRE_COLOURS[key]
    return key if _HEX.match(key) else "#607d8b"


@dataclass
class _Block:
    cid: str
    title: str
    subtitle: str
    pins: list[str]
    left: bool
    x: float = 0.0
    y: float = 0.0

    @property
    def height(self) -> float:
        return HEADER_H + max(1, len(self.pins)) * PIN_H + 8

    def anchor(self, pin: str) -> tuple[float, float]:
        i = self.pins.index(pin)
        x = self.x + BLOCK_W if self.left else self.x
        return x, self.y + HEADER_H + i * PIN_H + PIN_H / 2


def _canonical(catalog: Catalog, part_id: str, pin: str) -> str:
    p = catalog.pin(part_id, pin)
    return p.name if p else pin.strip().upper()


def _blocks(wiring: Wiring, catalog: Catalog) -> dict[str, _Block]:
    used: dict[str, list[str]] = {c.id: [] for c in wiring.components}
    parts = {c.id: c.part for c in wiring.components}
    for conn in wiring.connections:
        for cid, pin in ((conn.from_component, conn.from_pin), (conn.to_component, conn.to_pin)):
            name = _canonical(catalog, parts[cid], pin)
            if name not in used[cid]:
                used[cid].append(name)
    blocks: dict[str, _Block] = {}
    for c in wiring.components:
        part = catalog.get(c.part)
        pins = list(part.pin_names) if part else []
        pins += [p for p in used[c.id] if p not in pins]
        left = part is not None and part.category in ("mcu", "power")
        title = c.id if not c.label else f"{c.id}: {c.label}"
        blocks[c.id] = _Block(c.id, title, part.name if part else c.part, pins, left)
    if blocks and not any(b.left for b in blocks.values()):
        next(iter(blocks.values())).left = True
    return blocks


def _layout(blocks: Iterable[_Block], top: float) -> tuple[float, float]:
    y = {True: top, False: top}
    for b in blocks:
        b.x = MARGIN if b.left else MARGIN + BLOCK_W + COL_GAP
        b.y = y[b.left]
        y[b.left] += b.height + BLOCK_GAP
    width = MARGIN * 2 + BLOCK_W * 2 + COL_GAP
    return width, max(y.values())


def render_wiring_svg(
    wiring: Wiring,
    findings: list[Finding] | None = None,
    *,
    title: str = "Wiring",
    catalog: Catalog | None = None,
) -> str:
    """The wiring as a standalone SVG document, with findings marked and listed."""
    cat = catalog or load_catalog()
    findings = list(findings or [])
    blocks = _blocks(wiring, cat)
    width, bottom = _layout(blocks.values(), MARGIN + 30)
    parts = {c.id: c.part for c in wiring.components}

    marks: dict[tuple[str, str], list[int]] = {}
    for n, f in enumerate(findings, 1):
        for ref in f.pins:
            cid, _, pin = ref.partition(".")
            if cid in blocks:
                marks.setdefault((cid, _canonical(cat, parts[cid], pin)), []).append(n)

    out: list[str] = []
    lane_left = MARGIN + BLOCK_W + 24
    lanes = max(1, int((COL_GAP - 48) / LANE_STEP))
    for i, conn in enumerate(wiring.connections):
        a_blk, b_blk = blocks[conn.from_component], blocks[conn.to_component]
        a_pin = _canonical(cat, parts[a_blk.cid], conn.from_pin)
        b_pin = _canonical(cat, parts[b_blk.cid], conn.to_pin)
        ax, ay = a_blk.anchor(a_pin)
        bx, by = b_blk.anchor(b_pin)
        lx = lane_left + (i % lanes) * LANE_STEP
        points = f"{ax:.0f},{ay:.0f} {lx:.0f},{ay:.0f} {lx:.0f},{by:.0f} {bx:.0f},{by:.0f}"
        tip = f"{conn.from_component}.{a_pin} → {conn.to_component}.{b_pin}"
        if conn.notes:
            tip += f" ({conn.notes})"
        out.append(
            f'<polyline class="wire" points="{points}" fill="none" '
            f'stroke="{esc(wire_colour(conn.wire_color))}" stroke-width="2.2">'
            f"<title>{esc(tip)}</title></polyline>"
        )
        hit = [
            n for n in marks.get((a_blk.cid, a_pin), []) if n in marks.get((b_blk.cid, b_pin), [])
        ]
        if hit:
            sev = _worst(findings[n - 1] for n in hit)
            out.append(
                f'<polyline class="wire-finding" points="{points}" fill="none" '
                f'stroke="{SEVERITY_COLOURS[sev]}" stroke-width="5" stroke-dasharray="6 4" '
                'opacity="0.65"/>'
            )

    pinless: dict[str, list[Finding]] = {}
    for f in findings:
        for cid in f.components if not f.pins else ():
            pinless.setdefault(cid, []).append(f)
    outline = {cid: _worst(fs) for cid, fs in pinless.items()}
    for b in blocks.values():
        out.append(_block_svg(b, marks, findings, outline.get(b.cid)))

    legend, legend_h = _legend(findings, bottom + 10, width)
    height = bottom + 10 + legend_h + MARGIN
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif">'
    )
    style = (
        "<style>.pin{font-size:11px;fill:#263238}.title{font-size:13px;font-weight:bold;"
        "fill:#102027}.sub{font-size:10px;fill:#546e7a}.legend{font-size:11px;fill:#263238}"
        "</style>"
    )
    heading = f'<text x="{MARGIN}" y="{MARGIN + 8}" class="title">{esc(title)}</text>'
    return "\n".join(
        [
            head,
            f"<title>{esc(title)}</title>",
            style,
            '<rect width="100%" height="100%" fill="#ffffff"/>',
            heading,
            *out,
            *legend,
            "</svg>",
        ]
    )


def _fit(text: str, chars: int) -> str:
    """Shorten text to fit a block's width (the full text stays in a tooltip)."""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _worst(findings: Iterable[Finding]) -> str:
    order = {"error": 0, "warning": 1, "info": 2}
    return min((f.severity for f in findings), key=lambda s: order[s], default="info")


def _block_svg(
    b: _Block,
    marks: dict[tuple[str, str], list[int]],
    findings: list[Finding],
    flagged: str | None = None,
) -> str:
    stroke = SEVERITY_COLOURS[flagged] if flagged else "#455a64"
    width = 3 if flagged else 1.5
    lines = [
        f'<g class="block" id="block-{esc(b.cid)}">',
        f'<rect x="{b.x:.0f}" y="{b.y:.0f}" width="{BLOCK_W}" height="{b.height:.0f}" rx="6" '
        f'fill="#eceff1" stroke="{stroke}" stroke-width="{width}"/>',
        f'<text x="{b.x + 8:.0f}" y="{b.y + 16:.0f}" class="title">{esc(_fit(b.title, 26))}'
        f"<title>{esc(b.title)}</title></text>",
        f'<text x="{b.x + 8:.0f}" y="{b.y + 31:.0f}" class="sub">{esc(_fit(b.subtitle, 38))}'
        f"<title>{esc(b.subtitle)}</title></text>",
    ]
    for pin in b.pins:
        px, py = b.anchor(pin)
        tx = px - 8 if b.left else px + 8
        anchor = "end" if b.left else "start"
        lines.append(f'<circle cx="{px:.0f}" cy="{py:.0f}" r="3.5" fill="#455a64"/>')
        lines.append(
            f'<text x="{tx:.0f}" y="{py + 4:.0f}" class="pin" text-anchor="{anchor}">'
            f"{esc(pin)}</text>"
        )
        nums = marks.get((b.cid, pin))
        if nums:
            sev = _worst(findings[n - 1] for n in nums)
            colour = SEVERITY_COLOURS[sev]
            bx = px + 14 if b.left else px - 14
            label = ",".join(str(n) for n in nums[:3])
            lines.append(
                f'<circle class="finding" cx="{px:.0f}" cy="{py:.0f}" r="7" fill="none" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
            lines.append(
                f'<text x="{bx:.0f}" y="{py - 6:.0f}" font-size="10" font-weight="bold" '
                f'fill="{colour}" text-anchor="middle">{esc(label)}</text>'
            )
    lines.append("</g>")
    return "\n".join(lines)


def _legend(findings: list[Finding], top: float, width: float) -> tuple[list[str], float]:
    if not findings:
        return [], 0.0
    out = [f'<text x="{MARGIN}" y="{top + 14:.0f}" class="title">Findings</text>']
    y = top + 34
    chars = max(40, int((width - 2 * MARGIN) / 6.2))
    for n, f in enumerate(findings, 1):
        colour = SEVERITY_COLOURS[f.severity]
        text = f"{n}. [{f.severity}] {f.rule}: {f.message}"
        if f.fix:
            text += f" Fix: {f.fix}"
        for i, line in enumerate(textwrap.wrap(text, chars) or [""]):
            fill = f' fill="{colour}"' if i == 0 else ""
            out.append(
                f'<text x="{MARGIN + (0 if i == 0 else 14)}" y="{y:.0f}" class="legend"{fill}>'
                f"{esc(line)}</text>"
            )
            y += 15
        y += 4
    return out, y - top
