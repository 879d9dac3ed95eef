"""A wiring artifact drawn as an SVG diagram, in plain Python (no Graphviz).

Boards and supplies sit in the left column with their pins on the right edge; modules and
parts sit in the right column with their pins on the left edge. Connected pins form nets;
each net gets one vertical trunk in the gap between the columns and every pin of the net
joins it with a short horizontal branch, so a junction (three or more wires meeting) is
drawn as a dot and a plain crossing is not. The right column sits half a pin pitch lower
than the left, so branches from the two sides never share a height.

By default a block lists only the pins in use (wired, or named by a finding), in the
board's header order when the catalog knows it; ``pins="all"`` lists every pin except the
flash-reserved ones nobody wired. Text widths are estimated from font metrics so blocks
grow (and titles wrap) instead of clipping a label.

Pins and wires named by findings get a ring or a dashed overlay in the finding's colour
and a number that points into the legend. Every piece of text is XML-escaped: labels come
from a model and may contain markup. Styling is done with presentation attributes only
(no ``<style>`` element), so the SVG looks the same inlined into a page whose content
security policy forbids inline styles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from xml.sax.saxutils import escape

from tools.checks.catalog import Catalog, Part, load_catalog
from tools.checks.findings import Finding
from tools.schemas import Wiring

PinMode = Literal["used", "all"]

FONT = "Helvetica, Arial, sans-serif"
PIN_FONT = 12.0
TITLE_FONT = 14.0
SUB_FONT = 11.0
TAG_FONT = 11.0
LEGEND_FONT = 12.0

PIN_H = 20
MIN_BLOCK_W = 170
MAX_BLOCK_W = 320
MARGIN = 30
BLOCK_GAP = 20
LANE_STEP = 14
LANE_PAD = 34
MIN_GAP = 150
TITLE_LINE = 17
SUB_LINE = 14
JUNCTION_R = 4.0

SEVERITY_COLOURS = {"error": "#d32f2f", "warning": "#ef6c00", "info": "#1565c0"}
WIRE_COLOURS = {
    "red": "#d32f2f", "black": "#212121", "blue": "#1e88e5", "green": "#2e7d32",
    "yellow": "#f9a825", "orange": "#ef6c00", "white": "#9e9e9e", "grey": "#757575",
    "gray": "#757575", "brown": "#6d4c41", "purple": "#8e24aa", "violet": "#8e24aa",
    "pink": "#ec407a", "cyan": "#00acc1",
}  # fmt: skip
_HEX = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")

# Advance widths of Helvetica (the metric twin of Arial and Liberation Sans), in
# thousandths of the font size, for printable ASCII from the space (32) to the tilde (126).
_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
# Fallback fonts (DejaVu Sans) run wider than Helvetica; the estimate errs on the wide side.
_SAFETY = 1.12


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """An upper estimate of the rendered width of ``text`` in px at font ``size``."""
    total = 0
    for ch in text:
        code = ord(ch)
        if 32 <= code <= 126:
            total += _WIDTHS[code - 32]
        elif code < 0x2E80:
            total += 650
        else:  # CJK and other wide scripts
            total += 1000
    return total / 1000 * size * _SAFETY * (1.08 if bold else 1.0)


def wrap_to_width(text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
    """``text`` split into lines that each fit ``width`` px (a word longer than the width
    is broken into pieces)."""
    words = text.split() or [""]
    lines: list[str] = []
    cur = ""
    for word in words:
        while text_width(word, size, bold=bold) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, bold=bold) > width:
                cut -= 1
            if cur:
                lines.append(cur)
                cur = ""
            lines.append(word[:cut])
            word = word[cut:]
        trial = f"{cur} {word}" if cur else word
        if cur and text_width(trial, size, bold=bold) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    lines.append(cur)
    return lines


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


# ----------------------------------------------------------------------- blocks


@dataclass
class PinRow:
    name: str
    tag: str = ""
    """Where the pin sits on the board's header ("J3·6"), when the catalog knows it."""


@dataclass
class Block:
    cid: str
    title: str
    subtitle: str
    pins: list[PinRow]
    left: bool
    width: float = MIN_BLOCK_W
    title_lines: list[str] = field(default_factory=list)
    sub_lines: list[str] = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0

    @property
    def header_h(self) -> float:
        raw = 10 + TITLE_LINE * len(self.title_lines) + SUB_LINE * len(self.sub_lines) + 4
        return math.ceil(raw / PIN_H) * PIN_H

    @property
    def height(self) -> float:
        return self.header_h + max(1, len(self.pins)) * PIN_H + PIN_H / 2

    @property
    def pin_names(self) -> list[str]:
        return [p.name for p in self.pins]

    def anchor(self, pin: str) -> tuple[float, float]:
        i = self.pin_names.index(pin)
        x = self.x + self.width if self.left else self.x
        return x, self.y + self.header_h + i * PIN_H + PIN_H / 2

    def needed_width(self) -> float:
        """The narrowest width that shows every pin label and tag without overlap, and
        the title on at most a few lines."""
        pin_w = max(
            (
                text_width(p.name, PIN_FONT) + (text_width(p.tag, TAG_FONT) + 18 if p.tag else 0)
                for p in self.pins
            ),
            default=0.0,
        )
        title_w = text_width(self.title, TITLE_FONT, bold=True)
        sub_w = text_width(self.subtitle, SUB_FONT)
        want = max(pin_w + 30, min(max(title_w, sub_w) + 20, MAX_BLOCK_W), MIN_BLOCK_W)
        return math.ceil(want)

    def fit_text(self) -> None:
        self.title_lines = wrap_to_width(self.title, TITLE_FONT, self.width - 20, bold=True)
        self.sub_lines = wrap_to_width(self.subtitle, SUB_FONT, self.width - 20)


def _canonical(catalog: Catalog, part_id: str, pin: str) -> str:
    p = catalog.pin(part_id, pin)
    return p.name if p else pin.strip().upper()


def _hidden_unless_used(part: Part, name: str) -> bool:
    pin = part.pin(name)
    return pin is not None and pin.has_role("flash-reserved", "internal")


def _header_key(part: Part | None, name: str, fallback: int) -> tuple[int, int, int]:
    pos = part.header_position(name) if part else None
    if pos is None:
        return (1 << 20, fallback, 0)
    return (pos[0], pos[1], 0)


def _tag(part: Part | None, name: str) -> str:
    pos = part.header_position(name) if part else None
    return f"{pos[2]}·{pos[3]}" if pos else ""


def pin_rows(part: Part | None, used: list[str], mode: PinMode = "used") -> list[PinRow]:
    """The pins a block lists, in header order where the catalog knows one, else in the
    catalog's order (pins outside the catalog last, in the order they are first used)."""
    catalog_order = list(part.pin_names) if part else []
    if mode == "all" and part is not None:
        names = [n for n in catalog_order if n in used or not _hidden_unless_used(part, n)]
        names += [n for n in used if n not in names]
    else:
        names = list(dict.fromkeys(used))
    order = {n: i for i, n in enumerate(catalog_order)}
    fallback = {n: order.get(n, len(order) + i) for i, n in enumerate(names)}
    names.sort(key=lambda n: _header_key(part, n, fallback[n]))
    return [PinRow(n, _tag(part, n)) for n in names]


def build_blocks(
    wiring: Wiring,
    catalog: Catalog,
    mode: PinMode = "used",
    marked: Iterable[tuple[str, str]] = (),
) -> dict[str, Block]:
    """One block per component, its pins chosen by ``mode``; ``marked`` pins (named by
    findings) are listed as if used."""
    used: dict[str, list[str]] = {c.id: [] for c in wiring.components}
    parts = {c.id: c.part for c in wiring.components}
    for conn in wiring.connections:
        for cid, pin in ((conn.from_component, conn.from_pin), (conn.to_component, conn.to_pin)):
            if cid in used:
                name = _canonical(catalog, parts[cid], pin)
                if name not in used[cid]:
                    used[cid].append(name)
    for cid, name in marked:
        if cid in used and name not in used[cid]:
            used[cid].append(name)
    blocks: dict[str, Block] = {}
    for c in wiring.components:
        part = catalog.get(c.part)
        left = part is not None and part.category in ("mcu", "power")
        title = c.id if not c.label else f"{c.id}: {c.label}"
        rows = pin_rows(part, used[c.id], mode)
        blocks[c.id] = Block(c.id, title, part.name if part else c.part, rows, left)
    if blocks and not any(b.left for b in blocks.values()):
        next(iter(blocks.values())).left = True
    return blocks


# ----------------------------------------------------------------------- layout


@dataclass
class NetEnd:
    cid: str
    pin: str
    x: float
    y: float
    left: bool
    colour: str
    tip: str


@dataclass
class Net:
    ends: list[NetEnd]
    colour: str
    lane: int = 0
    x: float = 0.0

    @property
    def top(self) -> float:
        return min(e.y for e in self.ends)

    @property
    def bottom(self) -> float:
        return max(e.y for e in self.ends)

    @property
    def side(self) -> int:
        """0: only left-column pins, 1: both columns, 2: only right-column pins."""
        sides = {e.left for e in self.ends}
        return 1 if len(sides) == 2 else (0 if True in sides else 2)

    def junctions(self) -> list[tuple[float, float]]:
        """Points on the trunk where three or more wire segments meet."""
        if len(self.ends) < 3:
            return []
        top, bottom = self.top, self.bottom
        ys = sorted({e.y for e in self.ends if top < e.y < bottom})
        return [(self.x, y) for y in ys]


def _order_right(blocks: dict[str, Block], wiring: Wiring) -> None:
    """Right-column blocks sorted by where their wires land on the left column, to keep
    wires short and crossings few."""
    left_rank: dict[tuple[str, str], int] = {}
    i = 0
    for b in blocks.values():
        if b.left:
            for p in b.pin_names:
                left_rank[(b.cid, p)] = i
                i += 1
    score: dict[str, list[int]] = {}
    for conn in wiring.connections:
        a, z = blocks.get(conn.from_component), blocks.get(conn.to_component)
        if a is None or z is None or a.left == z.left:
            continue
        board, other = (a, z) if a.left else (z, a)
        pin = conn.from_pin if board is a else conn.to_pin
        rank = next((r for (cid, p), r in left_rank.items() if cid == board.cid and p == pin), None)
        if rank is None:
            rank = min((r for (cid, _p), r in left_rank.items() if cid == board.cid), default=0)
        score.setdefault(other.cid, []).append(rank)
    rights = [b for b in blocks.values() if not b.left]
    original = {b.cid: n for n, b in enumerate(rights)}
    rights.sort(
        key=lambda b: (
            sum(score[b.cid]) / len(score[b.cid]) if b.cid in score else 1e9,
            original[b.cid],
        )
    )
    lefts = [b for b in blocks.values() if b.left]
    blocks.clear()
    blocks.update({b.cid: b for b in (*lefts, *rights)})


def _stack(blocks: Iterable[Block], x: float, top: float) -> float:
    # Blocks start on the column's own grid (``top`` plus whole pin pitches), which keeps
    # the right column's half-pitch offset from the left one.
    y = top
    for b in blocks:
        b.x, b.y = x, y
        y = top + math.ceil((y - top + b.height + BLOCK_GAP) / PIN_H) * PIN_H
    return y


def build_nets(wiring: Wiring, blocks: dict[str, Block], catalog: Catalog) -> list[Net]:
    """Connected pins grouped into nets (union of every connection that shares a pin)."""
    parts = {c.id: c.part for c in wiring.components}
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(k: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    colours: dict[tuple[str, str], str] = {}
    tips: dict[tuple[str, str], list[str]] = {}
    for conn in wiring.connections:
        if conn.from_component not in blocks or conn.to_component not in blocks:
            continue
        a = (conn.from_component, _canonical(catalog, parts[conn.from_component], conn.from_pin))
        z = (conn.to_component, _canonical(catalog, parts[conn.to_component], conn.to_pin))
        parent[find(a)] = find(z)
        colour = wire_colour(conn.wire_color)
        tip = f"{a[0]}.{a[1]} → {z[0]}.{z[1]}" + (f" ({conn.notes})" if conn.notes else "")
        for k in (a, z):
            colours.setdefault(k, colour)
            tips.setdefault(k, []).append(tip)
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for k in parent:
        groups.setdefault(find(k), []).append(k)
    nets: list[Net] = []
    for members in groups.values():
        ends = []
        for cid, pin in members:
            b = blocks[cid]
            x, y = b.anchor(pin)
            ends.append(
                NetEnd(cid, pin, x, y, b.left, colours[(cid, pin)], "\n".join(tips[(cid, pin)]))
            )
        if len(ends) < 2:
            continue
        counts: dict[str, int] = {}
        for e in ends:
            counts[e.colour] = counts.get(e.colour, 0) + 1
        colour = max(counts, key=lambda c: (counts[c], c))
        nets.append(Net(ends, colour))
    return nets


def assign_lanes(nets: list[Net]) -> int:
    """Give each net a lane; nets whose spans do not overlap share one. Lanes next to the
    left column go to left-only nets, then nets spanning both columns, then right-only
    nets. Returns the number of lanes."""
    lanes: list[tuple[int, float]] = []  # (side, lowest bottom so far)
    for net in sorted(nets, key=lambda n: (n.side, n.top, n.bottom)):
        for i, (side, bottom) in enumerate(lanes):
            if side == net.side and bottom + PIN_H / 2 < net.top:
                lanes[i] = (side, net.bottom)
                net.lane = i
                break
        else:
            lanes.append((net.side, net.bottom))
            net.lane = len(lanes) - 1
    # Nets that cross the gap step down from the right: the one whose pins are highest
    # takes the lane farthest right, so a parallel bus draws with no crossings.
    middle = [i for i, (side, _b) in enumerate(lanes) if side == 1]
    if middle:
        lo, hi = min(middle), max(middle)
        for net in nets:
            if net.side == 1:
                net.lane = lo + hi - net.lane
    return len(lanes)


@dataclass
class Layout:
    blocks: dict[str, Block]
    nets: list[Net]
    width: float
    bottom: float


def layout(
    wiring: Wiring, catalog: Catalog, mode: PinMode = "used", marked: Iterable[tuple[str, str]] = ()
) -> Layout:
    """Blocks placed in two columns and nets routed between them."""
    blocks = build_blocks(wiring, catalog, mode, marked)
    _order_right(blocks, wiring)
    lefts = [b for b in blocks.values() if b.left]
    rights = [b for b in blocks.values() if not b.left]
    for col in (lefts, rights):
        w = max((b.needed_width() for b in col), default=MIN_BLOCK_W)
        for b in col:
            b.width = w
            b.fit_text()
    left_w = max((b.width for b in lefts), default=MIN_BLOCK_W)
    top = MARGIN + 30
    _stack(lefts, MARGIN, top)
    # A first pass to find the nets' spans, then the gap is sized to the lanes needed.
    _stack(rights, MARGIN + left_w + MIN_GAP, top + PIN_H / 2)
    nets = build_nets(wiring, blocks, catalog)
    lanes = assign_lanes(nets)
    gap = max(MIN_GAP, 2 * LANE_PAD + max(0, lanes - 1) * LANE_STEP)
    right_x = MARGIN + left_w + gap
    bottom = max(_stack(lefts, MARGIN, top), _stack(rights, right_x, top + PIN_H / 2))
    nets = build_nets(wiring, blocks, catalog)
    assign_lanes(nets)
    for net in nets:
        net.x = MARGIN + left_w + LANE_PAD + net.lane * LANE_STEP
    right_w = max((b.width for b in rights), default=0.0)
    width = MARGIN * 2 + left_w + (gap + right_w if rights else 0)
    return Layout(blocks, nets, width, bottom)


# ----------------------------------------------------------------------- drawing


def render_wiring_svg(
    wiring: Wiring,
    findings: list[Finding] | None = None,
    *,
    title: str = "Wiring",
    catalog: Catalog | None = None,
    pins: PinMode = "used",
) -> str:
    """The wiring as a standalone SVG document, with findings marked and listed."""
    cat = catalog or load_catalog()
    findings = list(findings or [])
    parts = {c.id: c.part for c in wiring.components}

    marks: dict[tuple[str, str], list[int]] = {}
    for n, f in enumerate(findings, 1):
        for ref in f.pins:
            cid, _, pin = ref.partition(".")
            if cid in parts and pin:
                marks.setdefault((cid, _canonical(cat, parts[cid], pin)), []).append(n)
    lay = layout(wiring, cat, pins, marks)
    blocks, width, bottom = lay.blocks, lay.width, lay.bottom

    out: list[str] = []
    for net in lay.nets:
        out.extend(_net_svg(net, marks, findings))

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
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wiring-svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" '
        f'data-pins="{pins}">'
    )
    heading = (
        f'<text x="{MARGIN}" y="{MARGIN + 8}" font-size="{TITLE_FONT + 2:g}" font-weight="bold" '
        f'fill="#102027">{esc(title)}</text>'
    )
    return "\n".join(
        [
            head,
            f"<title>{esc(title)}</title>",
            f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
            heading,
            *out,
            *legend,
            "</svg>",
        ]
    )


def _net_svg(
    net: Net, marks: dict[tuple[str, str], list[int]], findings: list[Finding]
) -> list[str]:
    out: list[str] = []
    key = esc(f"{net.ends[0].cid}.{net.ends[0].pin}")
    out.append(f'<g class="net" data-net="{key}">')
    out.append(
        f'<line class="trunk" x1="{net.x:.1f}" y1="{net.top:.1f}" x2="{net.x:.1f}" '
        f'y2="{net.bottom:.1f}" stroke="{esc(net.colour)}" stroke-width="2.2" '
        'stroke-linecap="round"/>'
    )
    for e in net.ends:
        out.append(
            f'<line class="wire" x1="{e.x:.1f}" y1="{e.y:.1f}" x2="{net.x:.1f}" y2="{e.y:.1f}" '
            f'stroke="{esc(e.colour)}" stroke-width="2.2" stroke-linecap="round">'
            f"<title>{esc(e.tip)}</title></line>"
        )
    for jx, jy in net.junctions():
        out.append(
            f'<circle class="junction" cx="{jx:.1f}" cy="{jy:.1f}" r="{JUNCTION_R:g}" '
            f'fill="{esc(net.colour)}"/>'
        )
    # A finding that names two or more pins of this net marks the wires between them.
    shared: dict[int, list[NetEnd]] = {}
    for e in net.ends:
        for n in marks.get((e.cid, e.pin), []):
            shared.setdefault(n, []).append(e)
    for n, ends in shared.items():
        if len(ends) < 2:
            continue
        colour = SEVERITY_COLOURS[findings[n - 1].severity]
        ys = [e.y for e in ends]
        segs = [(net.x, min(ys), net.x, max(ys))] + [(e.x, e.y, net.x, e.y) for e in ends]
        for x1, y1, x2, y2 in segs:
            out.append(
                f'<line class="wire-finding" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                f'y2="{y2:.1f}" stroke="{colour}" stroke-width="5" stroke-dasharray="6 4" '
                'opacity="0.65"/>'
            )
    out.append("</g>")
    return out


def _worst(findings: Iterable[Finding]) -> str:
    order = {"error": 0, "warning": 1, "info": 2}
    return min((f.severity for f in findings), key=lambda s: order[s], default="info")


def _block_svg(
    b: Block,
    marks: dict[tuple[str, str], list[int]],
    findings: list[Finding],
    flagged: str | None = None,
) -> str:
    stroke = SEVERITY_COLOURS[flagged] if flagged else "#455a64"
    width = 3 if flagged else 1.5
    lines = [
        f'<g class="block" id="block-{esc(b.cid)}" data-width="{b.width:.0f}">',
        f'<rect x="{b.x:.0f}" y="{b.y:.0f}" width="{b.width:.0f}" height="{b.height:.0f}" '
        f'rx="6" fill="#eceff1" stroke="{stroke}" stroke-width="{width}"/>',
    ]
    y = b.y + 6
    for text in b.title_lines:
        y += TITLE_LINE
        lines.append(
            f'<text class="title" x="{b.x + 10:.0f}" y="{y - 4:.0f}" font-size="{TITLE_FONT:g}" '
            f'font-weight="bold" fill="#102027">{esc(text)}</text>'
        )
    for text in b.sub_lines:
        y += SUB_LINE
        lines.append(
            f'<text class="sub" x="{b.x + 10:.0f}" y="{y - 2:.0f}" font-size="{SUB_FONT:g}" '
            f'fill="#546e7a">{esc(text)}</text>'
        )
    for row in b.pins:
        px, py = b.anchor(row.name)
        tx = px - 10 if b.left else px + 10
        anchor = "end" if b.left else "start"
        lines.append(f'<circle cx="{px:.0f}" cy="{py:.0f}" r="3.5" fill="#455a64"/>')
        lines.append(
            f'<text class="pin" x="{tx:.0f}" y="{py + 4:.0f}" text-anchor="{anchor}" '
            f'font-size="{PIN_FONT:g}" fill="#263238">{esc(row.name)}</text>'
        )
        if row.tag:
            gx = b.x + 10 if b.left else b.x + b.width - 10
            ganchor = "start" if b.left else "end"
            lines.append(
                f'<text class="pin-tag" x="{gx:.0f}" y="{py + 4:.0f}" text-anchor="{ganchor}" '
                f'font-size="{TAG_FONT:g}" fill="#78909c">{esc(row.tag)}</text>'
            )
        nums = marks.get((b.cid, row.name))
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
                f'<text x="{bx:.0f}" y="{py - 6:.0f}" font-size="11" font-weight="bold" '
                f'fill="{colour}" text-anchor="middle">{esc(label)}</text>'
            )
    lines.append("</g>")
    return "\n".join(lines)


def _legend(findings: list[Finding], top: float, width: float) -> tuple[list[str], float]:
    if not findings:
        return [], 0.0
    out = [
        f'<text x="{MARGIN}" y="{top + 14:.0f}" font-size="{TITLE_FONT:g}" font-weight="bold" '
        'fill="#102027">Findings</text>'
    ]
    y = top + 36
    avail = max(300.0, width - 2 * MARGIN - 14)
    for n, f in enumerate(findings, 1):
        colour = SEVERITY_COLOURS[f.severity]
        text = f"{n}. [{f.severity}] {f.rule}: {f.message}"
        if f.fix:
            text += f" Fix: {f.fix}"
        for i, line in enumerate(wrap_to_width(text, LEGEND_FONT, avail)):
            fill = colour if i == 0 else "#263238"
            out.append(
                f'<text x="{MARGIN + (0 if i == 0 else 14)}" y="{y:.0f}" '
                f'font-size="{LEGEND_FONT:g}" fill="{fill}">{esc(line)}</text>'
            )
            y += 16
        y += 4
    return out, y - top
