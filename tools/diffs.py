"""What changed between two versions of an artifact, in the maker's terms.

Pure functions over stored content (no store, no I/O):

- a parts list (BOM): parts added, removed and changed (each changed field old → new),
  the other fields that changed (summary, power analysis, ...) and the cost delta;
- a wiring: components added, removed and changed; connections added, removed,
  re-routed (one end kept, the other moved) and changed (colour, notes);
- code: a unified diff per file;
- documents (context, MVP, PRD, summary, and the budget as Markdown): what changed,
  section by section.

:func:`semantic_diff` picks the right one by artifact type; every result has
``as_dict()`` (the shape the JSON API and ``ohm artifacts diff --json`` print, with
``kind``, ``same`` and a one-line ``summary``) and ``lines()`` (text for a terminal).
Content that does not parse as the structure its type calls for falls back to a text
diff by section (``kind: "document"``), so a diff is always available.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BomDiff",
    "CodeDiff",
    "DocumentDiff",
    "FieldChange",
    "WiringDiff",
    "diff_bom",
    "diff_code",
    "diff_document",
    "diff_wiring",
    "semantic_diff",
    "unified",
]

Json = dict[str, Any]


def unified(old: str, new: str, old_name: str = "a", new_name: str = "b", n: int = 3) -> str:
    """A unified diff of two texts; empty when they are equal."""
    return "\n".join(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), old_name, new_name, n=n, lineterm=""
        )
    )


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def as_dict(self) -> Json:
        return {"field": self.field, "old": self.old, "new": self.new}

    def text(self) -> str:
        return f"{self.field} {_show(self.old)} → {_show(self.new)}"


def _field_changes(old: Json, new: Json, skip: frozenset[str] = frozenset()) -> list[FieldChange]:
    """Fields whose values differ; nested objects are compared field by field
    (``power_analysis.supply_voltage``)."""
    out: list[FieldChange] = []
    for key in list(dict.fromkeys([*old, *new])):
        if key in skip:
            continue
        a, b = old.get(key), new.get(key)
        if a == b or (a in (None, [], {}, "") and b in (None, [], {}, "")):
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += [FieldChange(f"{key}.{c.field}", c.old, c.new) for c in _field_changes(a, b)]
        else:
            out.append(FieldChange(key, a, b))
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -------------------------------------------------------------------------- BOM


def _part_key(part: Json) -> str:
    number = str(part.get("part_number") or "").strip().lower()
    return number or str(part.get("name") or "").strip().lower()


def _part_brief(part: Json) -> Json:
    return {
        "name": part.get("name"),
        "part_number": part.get("part_number"),
        "quantity": part.get("quantity", 1),
        "unit_cost": part.get("unit_cost"),
    }


def _part_label(part: Json) -> str:
    name, number = part.get("name") or "?", part.get("part_number")
    label = f"{name} ({number})" if number and number != name else str(name)
    return f"{label} ×{part.get('quantity', 1)}"


def _cost(bom: Json) -> float | None:
    """The stated total, else the sum of the parts whose unit cost is known."""
    total = bom.get("total_cost")
    if isinstance(total, (int, float)):
        return float(total)
    known = [
        float(p["unit_cost"]) * int(p.get("quantity") or 1)
        for p in bom.get("components") or []
        if isinstance(p, dict) and isinstance(p.get("unit_cost"), (int, float))
    ]
    return round(sum(known), 2) if known else None


@dataclass(frozen=True)
class PartChange:
    key: str
    name: str
    changes: list[FieldChange]

    def as_dict(self) -> Json:
        return {
            "key": self.key,
            "name": self.name,
            "changes": [c.as_dict() for c in self.changes],
        }


@dataclass(frozen=True)
class BomDiff:
    added: list[Json] = field(default_factory=list)
    removed: list[Json] = field(default_factory=list)
    changed: list[PartChange] = field(default_factory=list)
    fields: list[FieldChange] = field(default_factory=list)
    """Changes outside the parts: summary, power analysis, warnings, notes."""
    cost_old: float | None = None
    cost_new: float | None = None

    @property
    def cost_delta(self) -> float | None:
        if self.cost_old is None or self.cost_new is None:
            return None
        return round(self.cost_new - self.cost_old, 2)

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed or self.fields)

    def summary(self) -> str:
        if self.same:
            return "no changes"
        bits = []
        if self.added:
            bits.append(f"{_plural(len(self.added), 'part')} added")
        if self.removed:
            bits.append(f"{len(self.removed)} removed")
        if self.changed:
            bits.append(f"{len(self.changed)} changed")
        if self.fields and not bits:
            bits.append(f"{_plural(len(self.fields), 'field')} changed")
        delta = self.cost_delta
        if delta:
            bits.append(f"cost {'+' if delta > 0 else '-'}${abs(delta):.2f}")
        return ", ".join(bits)

    def as_dict(self) -> Json:
        return {
            "kind": "bom",
            "same": self.same,
            "summary": self.summary(),
            "parts": {
                "added": self.added,
                "removed": self.removed,
                "changed": [c.as_dict() for c in self.changed],
            },
            "fields": [c.as_dict() for c in self.fields],
            "cost": {"old": self.cost_old, "new": self.cost_new, "delta": self.cost_delta},
        }

    def lines(self) -> list[str]:
        out = [f"parts list: {self.summary()}"]
        out += [f"  + added {_part_label(p)}" for p in self.added]
        out += [f"  - removed {_part_label(p)}" for p in self.removed]
        for c in self.changed:
            out.append(f"  ~ {c.name}: " + "; ".join(ch.text() for ch in c.changes))
        out += [f"  ~ {c.text()}" for c in self.fields]
        if self.cost_delta:
            out.append(f"  cost ${self.cost_old:.2f} → ${self.cost_new:.2f}")
        return out


def diff_bom(old: Json, new: Json) -> BomDiff:
    """Parts matched by part number (else by name)."""
    a = {_part_key(p): p for p in old.get("components") or [] if isinstance(p, dict)}
    b = {_part_key(p): p for p in new.get("components") or [] if isinstance(p, dict)}
    changed = []
    for key in a.keys() & b.keys():
        changes = _field_changes(a[key], b[key])
        if changes:
            changed.append(PartChange(key, str(b[key].get("name") or key), changes))
    order = list(b)
    return BomDiff(
        added=[_part_brief(b[k]) for k in b if k not in a],
        removed=[_part_brief(a[k]) for k in a if k not in b],
        changed=sorted(changed, key=lambda c: order.index(c.key)),
        fields=_field_changes(old, new, frozenset({"components", "total_cost"})),
        cost_old=_cost(old),
        cost_new=_cost(new),
    )


# ----------------------------------------------------------------------- wiring


def _end(component: Any, pin: Any) -> str:
    return f"{component}.{pin}"


def _conn_ends(c: Json) -> tuple[str, str]:
    return _end(c.get("from_component"), c.get("from_pin")), _end(
        c.get("to_component"), c.get("to_pin")
    )


def _conn_key(c: Json) -> frozenset[str]:
    return frozenset(_conn_ends(c))


def _conn_brief(c: Json) -> Json:
    a, b = _conn_ends(c)
    out: Json = {"from": a, "to": b}
    if c.get("wire_color"):
        out["wire_color"] = c["wire_color"]
    return out


@dataclass(frozen=True)
class Reroute:
    kept: str
    """The end that stayed, ``component.pin``."""
    old: str
    new: str

    def as_dict(self) -> Json:
        return {"kept": self.kept, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class WiringDiff:
    components_added: list[Json] = field(default_factory=list)
    components_removed: list[Json] = field(default_factory=list)
    components_changed: list[PartChange] = field(default_factory=list)
    connections_added: list[Json] = field(default_factory=list)
    connections_removed: list[Json] = field(default_factory=list)
    rerouted: list[Reroute] = field(default_factory=list)
    connections_changed: list[Json] = field(default_factory=list)
    """Same two ends, other wire colour or notes: ``{"from", "to", "changes"}``."""
    fields: list[FieldChange] = field(default_factory=list)
    """Instructions and warnings."""

    @property
    def same(self) -> bool:
        return not (
            self.components_added
            or self.components_removed
            or self.components_changed
            or self.connections_added
            or self.connections_removed
            or self.rerouted
            or self.connections_changed
            or self.fields
        )

    def summary(self) -> str:
        if self.same:
            return "no changes"
        bits = []
        for n, what in (
            (len(self.components_added), "component(s) added"),
            (len(self.components_removed), "component(s) removed"),
            (len(self.components_changed), "component(s) changed"),
            (len(self.connections_added), "connection(s) added"),
            (len(self.connections_removed), "connection(s) removed"),
            (len(self.rerouted), "re-routed"),
            (len(self.connections_changed), "connection(s) changed"),
        ):
            if n:
                bits.append(f"{n} {what}")
        if self.fields and not bits:
            bits.append("notes changed")
        return ", ".join(bits)

    def as_dict(self) -> Json:
        return {
            "kind": "wiring",
            "same": self.same,
            "summary": self.summary(),
            "components": {
                "added": self.components_added,
                "removed": self.components_removed,
                "changed": [c.as_dict() for c in self.components_changed],
            },
            "connections": {
                "added": self.connections_added,
                "removed": self.connections_removed,
                "rerouted": [r.as_dict() for r in self.rerouted],
                "changed": self.connections_changed,
            },
            "fields": [c.as_dict() for c in self.fields],
        }

    def lines(self) -> list[str]:
        out = [f"wiring: {self.summary()}"]
        out += [f"  + component {c['id']} ({c.get('part')})" for c in self.components_added]
        out += [f"  - component {c['id']} ({c.get('part')})" for c in self.components_removed]
        for c in self.components_changed:
            out.append(f"  ~ component {c.key}: " + "; ".join(ch.text() for ch in c.changes))
        out += [f"  + {c['from']} — {c['to']}" for c in self.connections_added]
        out += [f"  - {c['from']} — {c['to']}" for c in self.connections_removed]
        out += [f"  ↷ {r.kept}: {r.old} → {r.new}" for r in self.rerouted]
        for conn in self.connections_changed:
            changes = "; ".join(FieldChange(**ch).text() for ch in conn["changes"])
            out.append(f"  ~ {conn['from']} — {conn['to']}: {changes}")
        out += [f"  ~ {c.field} changed" for c in self.fields]
        return out


def _component_brief(c: Json) -> Json:
    return {"id": c.get("id"), "part": c.get("part"), "label": c.get("label")}


def diff_wiring(old: Json, new: Json) -> WiringDiff:
    """Components matched by id; connections by their two ends (either direction). A
    removed and an added connection sharing one end are one re-routed wire."""
    a = {str(c.get("id")): c for c in old.get("components") or [] if isinstance(c, dict)}
    b = {str(c.get("id")): c for c in new.get("components") or [] if isinstance(c, dict)}
    comp_changed = [PartChange(k, k, ch) for k in b if k in a if (ch := _field_changes(a[k], b[k]))]
    ca = {_conn_key(c): c for c in old.get("connections") or [] if isinstance(c, dict)}
    cb = {_conn_key(c): c for c in new.get("connections") or [] if isinstance(c, dict)}
    removed = [ca[k] for k in ca if k not in cb]
    added = [cb[k] for k in cb if k not in ca]
    rerouted: list[Reroute] = []
    for r in list(removed):
        r_ends = set(_conn_ends(r))
        for n in added:
            shared = r_ends & set(_conn_ends(n))
            if len(shared) == 1:
                kept = shared.pop()
                (old_end,) = r_ends - {kept}
                (new_end,) = set(_conn_ends(n)) - {kept}
                rerouted.append(Reroute(kept, old_end, new_end))
                removed.remove(r)
                added.remove(n)
                break
    conn_changed = []
    for k in cb:
        if k in ca:
            changes = [
                c
                for c in _field_changes(
                    ca[k],
                    cb[k],
                    frozenset({"from_component", "from_pin", "to_component", "to_pin"}),
                )
            ]
            if changes:
                conn_changed.append(
                    {**_conn_brief(cb[k]), "changes": [c.as_dict() for c in changes]}
                )
    return WiringDiff(
        components_added=[_component_brief(b[k]) for k in b if k not in a],
        components_removed=[_component_brief(a[k]) for k in a if k not in b],
        components_changed=comp_changed,
        connections_added=[_conn_brief(c) for c in added],
        connections_removed=[_conn_brief(c) for c in removed],
        rerouted=rerouted,
        connections_changed=conn_changed,
        fields=_field_changes(old, new, frozenset({"components", "connections"})),
    )


# ------------------------------------------------------------------------- code


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str
    """added, removed or changed."""
    diff: str

    def as_dict(self) -> Json:
        return {"path": self.path, "status": self.status, "diff": self.diff}


@dataclass(frozen=True)
class CodeDiff:
    files: list[FileChange] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.files

    def summary(self) -> str:
        if self.same:
            return "no changes"
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.status] = counts.get(f.status, 0) + 1
        return ", ".join(f"{_plural(n, 'file')} {status}" for status, n in counts.items())

    def as_dict(self) -> Json:
        return {
            "kind": "code",
            "same": self.same,
            "summary": self.summary(),
            "files": [f.as_dict() for f in self.files],
        }

    def lines(self) -> list[str]:
        out = [f"code: {self.summary()}"]
        for f in self.files:
            out.append(f"{f.status}: {f.path}")
            out += f.diff.splitlines()
        return out


def diff_code(old: dict[str, str], new: dict[str, str]) -> CodeDiff:
    """Files by path; a unified diff for each that was added, removed or changed."""
    files = []
    for path in sorted(old.keys() | new.keys()):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        status = "added" if a is None else "removed" if b is None else "changed"
        files.append(FileChange(path, status, unified(a or "", b or "", f"a/{path}", f"b/{path}")))
    return CodeDiff(files)


# -------------------------------------------------------------------- documents

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, body) pairs in order; text before the first heading has heading ""."""
    out: list[tuple[str, list[str]]] = [("", [])]
    fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        m = None if fence else _HEADING.match(line)
        if m:
            out.append((f"{m[1]} {m[2]}", []))
        else:
            out[-1][1].append(line)
    return [(h, "\n".join(body).strip("\n")) for h, body in out if h or "".join(body).strip()]


@dataclass(frozen=True)
class SectionChange:
    heading: str
    status: str
    """added, removed or changed."""
    diff: str

    def as_dict(self) -> Json:
        return {"heading": self.heading, "status": self.status, "diff": self.diff}


@dataclass(frozen=True)
class DocumentDiff:
    sections: list[SectionChange] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.sections

    def summary(self) -> str:
        if self.same:
            return "no changes"
        counts: dict[str, int] = {}
        for s in self.sections:
            counts[s.status] = counts.get(s.status, 0) + 1
        return ", ".join(f"{_plural(n, 'section')} {status}" for status, n in counts.items())

    def as_dict(self) -> Json:
        return {
            "kind": "document",
            "same": self.same,
            "summary": self.summary(),
            "sections": [s.as_dict() for s in self.sections],
        }

    def lines(self) -> list[str]:
        out = [f"document: {self.summary()}"]
        for s in self.sections:
            out.append(f"{s.status}: {s.heading or '(before the first heading)'}")
            out += [ln for ln in s.diff.splitlines() if not ln.startswith(("---", "+++"))]
        return out


def diff_document(old: str, new: str) -> DocumentDiff:
    """Sections matched by heading (a repeated heading by its position among equals)."""

    def keyed(text: str) -> dict[tuple[str, int], str]:
        seen: dict[str, int] = {}
        out = {}
        for heading, body in sections(text):
            n = seen[heading] = seen.get(heading, 0) + 1
            out[(heading, n)] = body
        return out

    a, b = keyed(old), keyed(new)
    changes = []
    for key in [*b, *(k for k in a if k not in b)]:
        x, y = a.get(key), b.get(key)
        if x == y:
            continue
        status = "added" if x is None else "removed" if y is None else "changed"
        changes.append(SectionChange(key[0], status, unified(x or "", y or "", "old", "new")))
    return DocumentDiff(changes)


# ---------------------------------------------------------------------- any type

Diff = BomDiff | WiringDiff | CodeDiff | DocumentDiff


def _object(text: str) -> Json | None:
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def semantic_diff(artifact_type: str, old: str, new: str, path: str = "") -> Diff:
    """The diff of two stored contents of one artifact (``path`` names a code file)."""
    if artifact_type in ("bom", "wiring"):
        a, b = _object(old), _object(new)
        if a is not None and b is not None:
            return diff_bom(a, b) if artifact_type == "bom" else diff_wiring(a, b)
    if artifact_type == "code":
        name = path or "file"
        return diff_code({name: old} if old else {}, {name: new} if new else {})
    if artifact_type == "budget":  # JSON, compared as the Markdown people read
        from .budget import budget_markdown

        old, new = (budget_markdown(x) if x else x for x in (old, new))
    return diff_document(old, new)
