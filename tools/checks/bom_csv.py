"""Reading a BOM back from CSV: the file ``ohm artifacts export`` writes, and the BOMs
JLCPCB assembly and KiCad produce.

Columns are found by their header names, whatever the order and letter case (Designator /
Reference / Ref, Comment / Value, Qty / Quantity, LCSC Part #, MPN, Manufacturer, Unit
Price, Supplier, Ohm Part ...). Lines before the header (KiCad's older BOM scripts write
Source/Date/Tool lines first) are skipped. Each row is mapped to a catalog part by its
Ohm Part column, else by :func:`tools.checks.matching.match_symbol`, so the same rules
decide what a KiCad symbol and a BOM row are.
"""

from __future__ import annotations

import csv
import io
import re

from pydantic import ValidationError

from tools.checks.catalog import Catalog, load_catalog
from tools.checks.matching import match_symbol
from tools.schemas import Bom

#: Header names (lower case, letters and digits only) for each field.
COLUMNS: dict[str, tuple[str, ...]] = {
    "designator": ("designator", "designators", "reference", "references", "ref", "refs", "refdes"),
    "comment": ("comment",),
    "value": ("value", "val"),
    "footprint": ("footprint", "package"),
    "lcsc": ("lcscpart", "lcscpartnumber", "lcsc", "lcscpartno", "jlcpcbpart", "jlcpcbpartnumber"),
    "mpn": ("mpn", "manufacturerpartnumber", "mfrpartnumber", "mfrpn", "partnumber", "mfgpn"),
    "manufacturer": ("manufacturer", "mfr", "mfg", "manufacturername"),
    "qty": ("qty", "quantity", "qnty", "count"),
    "description": ("description", "desc", "name"),
    "unit_price": ("unitprice", "price", "unitcost", "priceeach", "unitpriceusd"),
    "supplier": ("supplier", "vendor", "distributor"),
    "link": ("link", "url", "supplierlink", "datasheet"),
    "ohm_part": ("ohmpart", "catalogid"),
}
_PRICE_RE = re.compile(r"(\d+(?:[.,]\d+)?)")


class BomCsvError(ValueError):
    """A CSV that cannot be read as a BOM; the message is one line."""


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _header_map(row: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        key = _norm(cell)
        for fieldname, names in COLUMNS.items():
            if key in names and fieldname not in found:
                found[fieldname] = i
    enough = ("designator" in found or "qty" in found) and (
        {"comment", "value", "mpn", "lcsc", "description"} & set(found)
    )
    return found if enough else None


def _undefuse(text: str) -> str:
    """Undo the export's guard against spreadsheet formulas ('=... written as '=...)."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def _price(text: str) -> float | None:
    m = _PRICE_RE.search(text)
    return float(m.group(1).replace(",", ".")) if m else None


def parse_bom_csv(text: str, name: str = "BOM", catalog: Catalog | None = None) -> Bom:
    """A :class:`~tools.schemas.Bom` from CSV text; :class:`BomCsvError` when it is not one."""
    cat = catalog or load_catalog()
    header: dict[str, int] | None = None
    rows: list[list[str]] = []
    start = 0
    for delimiter in (",", ";", "\t"):
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        for i, row in enumerate(rows[:30]):
            header = _header_map(row)
            if header is not None:
                start = i + 1
                break
        if header is not None:
            break
    if header is None:
        raise BomCsvError(
            "no BOM header found: expected columns such as Designator or Qty, and Comment, "
            "Value or MPN"
        )
    components = []
    for n, row in enumerate(rows[start:], start + 1):
        if not any(cell.strip() for cell in row):
            continue
        cells = {k: _undefuse(row[i].strip()) if i < len(row) else "" for k, i in header.items()}
        refs = [r for r in re.split(r"[,\s;]+", cells.get("designator", "")) if r]
        qty_text = cells.get("qty", "")
        if qty_text:
            try:
                qty = int(float(qty_text))
            except ValueError:
                raise BomCsvError(f"line {n}: quantity '{qty_text}' is not a number") from None
        else:
            qty = len(refs) or 1
        if qty < 1:
            continue
        value = cells.get("comment") or cells.get("value") or ""
        fields = {
            "Ohm_Part": cells.get("ohm_part", ""),
            "MPN": cells.get("mpn", ""),
            "LCSC": cells.get("lcsc", ""),
        }
        match = match_symbol(
            cat,
            ref=refs[0] if refs else "",
            value=cells.get("value") or value,
            footprint=cells.get("footprint") or None,
            fields=fields,
        )
        label = cells.get("description") or value or cells.get("mpn") or (refs[0] if refs else "")
        if not label:
            raise BomCsvError(f"line {n}: no description, value or part number")
        price = _price(cells.get("unit_price", ""))
        link = cells.get("link", "")
        components.append(
            {
                "name": label,
                "part_number": cells.get("mpn") or cells.get("lcsc") or value or label,
                "manufacturer": cells.get("manufacturer") or "unknown",
                "quantity": qty,
                "unit_cost": price,
                "supplier": cells.get("supplier") or ("LCSC" if cells.get("lcsc") else None),
                "link": link if link.startswith(("http://", "https://")) else None,
                "catalog_id": match.part.id if match.part else None,
                "notes": ", ".join(refs) if refs else None,
            }
        )
    if not components:
        raise BomCsvError("the CSV has a header but no parts")
    try:
        return Bom.model_validate({"project_name": name, "components": components})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise BomCsvError(f"{where}: {first['msg']}") from None
