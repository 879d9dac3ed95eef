"""A BOM artifact as a CSV that KiCad and JLCPCB accept, and as a Markdown table.

Columns follow JLCPCB's assembly BOM (Comment, Designator, Footprint, LCSC part number)
with the distributor columns (MPN, Manufacturer, Qty, Unit Price, Supplier) next to them,
KiCad's Value, and the catalog id (Ohm Part) so that ``ohm check bom`` reads the file back
to the same parts.
Designators come from the wiring's component ids when they look like references (R1,
D2); otherwise they are numbered by part type. Cells that a spreadsheet would run as a
formula are defused.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from tools.checks.bom import BomLine, resolve_lines
from tools.checks.catalog import Catalog, Part, load_catalog
from tools.checks.values import format_ohms, parse_ohms
from tools.schemas import Bom, Wiring

CSV_COLUMNS = (
    "Comment",
    "Designator",
    "Footprint",
    "LCSC Part #",
    "Value",
    "MPN",
    "Manufacturer",
    "Qty",
    "Description",
    "Unit Price",
    "Supplier",
    "Ohm Part",
)

#: Reference-designator prefixes by catalog category (IEEE 315 / KiCad habits).
PREFIX = {
    "resistor": "R", "capacitor": "C", "diode": "D", "led": "D", "transistor": "Q",
    "relay": "K", "actuator": "M", "power": "PS", "input": "SW", "output": "BZ",
}  # fmt: skip
_REF_RE = re.compile(r"^[A-Za-z]{1,3}\d{1,4}$")
_LCSC_RE = re.compile(r"\b(C\d{3,9})\b")
_OHMS_IN_TEXT = re.compile(r"(\d+(?:\.\d+)?\s*[kKmM]?\s*(?:Ω|ohms?\b|R\b))|(\d+[kKmMrR]\d+)")


@dataclass
class BomRow:
    comment: str
    designators: list[str]
    footprint: str
    lcsc: str
    value: str
    mpn: str
    manufacturer: str
    qty: int
    description: str
    unit_cost: float | None
    supplier: str
    catalog_id: str


def _prefix(part: Part | None) -> str:
    if part is None:
        return "U"
    if part.id == "potentiometer":
        return "RV"
    if part.id.startswith("battery"):
        return "BT"
    return PREFIX.get(part.category, "U")


def _value_of(line: BomLine) -> str:
    """A resistor's value read from the line's name or part number, e.g. '1 kΩ'."""
    if line.part is None or line.part.category != "resistor":
        return ""
    for text in (line.item.name, line.item.part_number):
        for m in _OHMS_IN_TEXT.finditer(text):
            raw = (m.group(1) or m.group(2) or "").replace("Ω", "").replace("ohms", "")
            ohms = parse_ohms(raw.replace("ohm", "").strip())
            if ohms:
                return format_ohms(ohms)
    return ""


def _lcsc_of(line: BomLine) -> str:
    if line.part is not None and line.part.lcsc:
        return line.part.lcsc
    item = line.item
    if re.fullmatch(r"C\d{3,9}", item.part_number):
        return item.part_number
    if item.link and "lcsc.com" in item.link:
        m = _LCSC_RE.search(item.link)
        if m:
            return m.group(1)
    for text in (item.notes or "", *item.alternatives):
        if "lcsc" in text.lower():
            m = _LCSC_RE.search(text)
            if m:
                return m.group(1)
    return ""


def bom_rows(
    bom: Bom, wiring: Wiring | None = None, catalog: Catalog | None = None
) -> list[BomRow]:
    """One row per BOM line, with designators drawn from the wiring where they match."""
    cat = catalog or load_catalog()
    lines = resolve_lines(bom, cat)
    pool: dict[str, list[tuple[str, float | None]]] = {}
    for c in wiring.components if wiring else []:
        part = cat.get(c.part)
        key = part.id if part else c.part.lower()
        pool.setdefault(key, []).append((c.id, parse_ohms(c.props.get("value"))))
    counters: dict[str, int] = {}
    taken: set[str] = set()
    rows = []
    for line in lines:
        value = _value_of(line)
        key = line.part.id if line.part else line.item.part_number.lower()
        candidates = pool.get(key, [])
        want = parse_ohms(value.replace(" ", "").replace("Ω", "")) if value else None
        refs: list[str] = []
        for cid, ohms in list(candidates):
            if len(refs) >= line.item.quantity:
                break
            if want is not None and ohms is not None and abs(ohms - want) > 0.5:
                continue
            refs.append(cid)
            candidates.remove((cid, ohms))
        designators = [r.upper() if _REF_RE.match(r) else "" for r in refs]
        prefix = _prefix(line.part)
        out = []
        for d in designators + [""] * (line.item.quantity - len(designators)):
            if not d or d in taken:
                while True:
                    counters[prefix] = counters.get(prefix, 0) + 1
                    d = f"{prefix}{counters[prefix]}"
                    if d not in taken:
                        break
            taken.add(d)
            out.append(d)
        mpn = line.item.part_number
        rows.append(
            BomRow(
                comment=value or mpn,
                designators=out,
                footprint=(line.part.footprint or "") if line.part else "",
                lcsc=_lcsc_of(line),
                value=value or (line.part.name if line.part else line.item.name),
                mpn=mpn,
                manufacturer=line.item.manufacturer,
                qty=line.item.quantity,
                description=line.item.name,
                unit_cost=line.item.unit_cost,
                supplier=line.item.supplier or "",
                catalog_id=line.part.id if line.part else "",
            )
        )
    return rows


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection advice)."""
    text = str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def bom_csv(bom: Bom, wiring: Wiring | None = None, catalog: Catalog | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in bom_rows(bom, wiring, catalog):
        writer.writerow(
            [
                _cell(x)
                for x in (
                    r.comment,
                    ",".join(r.designators),
                    r.footprint,
                    r.lcsc,
                    r.value,
                    r.mpn,
                    r.manufacturer,
                    r.qty,
                    r.description,
                    f"{r.unit_cost:.2f}" if r.unit_cost is not None else "",
                    r.supplier,
                    r.catalog_id,
                )
            ]
        )
    return buf.getvalue()


def _md(text: object) -> str:
    """Text safe in a Markdown table cell: no pipes, newlines or raw HTML."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def bom_markdown(bom: Bom, wiring: Wiring | None = None, catalog: Catalog | None = None) -> str:
    rows = bom_rows(bom, wiring, catalog)
    out = [
        f"# {_md(bom.project_name)} - parts list",
        "",
        "| # | Qty | Part | Value | MPN | Manufacturer | Designators | LCSC | Unit cost |",
        "|---|----:|------|-------|-----|--------------|-------------|------|----------:|",
    ]
    for n, r in enumerate(rows, 1):
        cost = f"${r.unit_cost:.2f}" if r.unit_cost is not None else ""
        out.append(
            f"| {n} | {r.qty} | {_md(r.description)} | {_md(r.value)} | {_md(r.mpn)} | "
            f"{_md(r.manufacturer)} | {_md(', '.join(r.designators))} | {_md(r.lcsc)} | {cost} |"
        )
    if bom.total_cost is not None:
        out += ["", f"Total: ${bom.total_cost:.2f}"]
    return "\n".join(out) + "\n"
