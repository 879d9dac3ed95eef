"""The diff page's plain-words half: a semantic diff as rows a template can list.

:func:`tools.diffs.semantic_diff` says what changed between two versions (the same
answer ``ohm artifacts diff`` prints and the JSON API returns); this only words it for
the page: a BOM's parts added, removed and changed and its cost delta, a wiring's
components and connections, a unified diff per code file, a document by section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.diffs import BomDiff, CodeDiff, Diff, FieldChange, WiringDiff, semantic_diff

__all__ = ["Change", "DiffBlock", "SemanticView", "semantic_view"]


@dataclass(frozen=True)
class Change:
    kind: str
    """add, del or change: how the row is marked."""
    text: str


@dataclass(frozen=True)
class DiffBlock:
    """One code file or document section, with its unified diff."""

    status: str
    title: str
    diff: str


@dataclass(frozen=True)
class SemanticView:
    summary: str
    same: bool
    changes: list[Change] = field(default_factory=list)
    blocks: list[DiffBlock] = field(default_factory=list)


def _part(p: dict[str, object]) -> str:
    name, number = p.get("name") or "?", p.get("part_number")
    label = f"{name} ({number})" if number and number != name else str(name)
    return f"{label}, quantity {p.get('quantity', 1)}"


def _fields(changes: list[FieldChange]) -> str:
    return "; ".join(c.text() for c in changes)


def _bom(d: BomDiff) -> list[Change]:
    rows = [Change("add", f"Added {_part(p)}") for p in d.added]
    rows += [Change("del", f"Removed {_part(p)}") for p in d.removed]
    rows += [Change("change", f"Changed {c.name}: {_fields(c.changes)}") for c in d.changed]
    rows += [Change("change", f"Changed {c.text()}") for c in d.fields]
    delta = d.cost_delta
    if delta:
        sign = "+" if delta > 0 else "−"
        rows.append(
            Change(
                "change",
                f"Cost ${d.cost_old:.2f} → ${d.cost_new:.2f} ({sign}${abs(delta):.2f})",
            )
        )
    return rows


def _component(c: dict[str, object]) -> str:
    label = f", {c['label']}" if c.get("label") else ""
    return f"{c.get('id')} ({c.get('part')}{label})"


def _wiring(d: WiringDiff) -> list[Change]:
    rows = [Change("add", f"Added component {_component(c)}") for c in d.components_added]
    rows += [Change("del", f"Removed component {_component(c)}") for c in d.components_removed]
    rows += [
        Change("change", f"Changed component {c.key}: {_fields(c.changes)}")
        for c in d.components_changed
    ]
    rows += [Change("add", f"Connected {c['from']} to {c['to']}") for c in d.connections_added]
    rows += [
        Change("del", f"Disconnected {c['from']} from {c['to']}") for c in d.connections_removed
    ]
    rows += [
        Change("change", f"Re-routed the wire from {r.kept}: {r.old} → {r.new}") for r in d.rerouted
    ]
    for conn in d.connections_changed:
        changes = "; ".join(FieldChange(**ch).text() for ch in conn["changes"])
        rows.append(Change("change", f"Changed {conn['from']} — {conn['to']}: {changes}"))
    rows += [Change("change", f"Changed {c.field}") for c in d.fields]
    return rows


def _view(d: Diff) -> SemanticView:
    if isinstance(d, BomDiff):
        return SemanticView(d.summary(), d.same, changes=_bom(d))
    if isinstance(d, WiringDiff):
        return SemanticView(d.summary(), d.same, changes=_wiring(d))
    if isinstance(d, CodeDiff):
        blocks = [DiffBlock(f.status, f.path, f.diff) for f in d.files]
        return SemanticView(d.summary(), d.same, blocks=blocks)
    blocks = [
        DiffBlock(s.status, s.heading or "(before the first heading)", s.diff) for s in d.sections
    ]
    return SemanticView(d.summary(), d.same, blocks=blocks)


def semantic_view(artifact_type: str, old: str, new: str, path: str = "") -> SemanticView:
    """What changed from ``old`` to ``new`` (stored contents), in plain words."""
    return _view(semantic_diff(artifact_type, old, new, path))
