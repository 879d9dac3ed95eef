"""How a write combines with the version before it: replace, append or merge.

Structured artifacts are combined as plain dicts first and validated afterwards, so a
partial update ("change the supply", "add two resistors") is checked as the whole list it
produces, and validation errors point at the final content the model has to fix.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .schemas import (
    ArtifactContentError,
    Bom,
    Wiring,
    _as_obj,
    dump_structured,
    parse_bom,
    parse_wiring,
)


def _union(old: list[Any], new: list[Any]) -> list[Any]:
    out = list(old)
    for item in new:
        if item not in out:
            out.append(item)
    return out


def _norm(s: Any) -> str:
    return re.sub(r"\s+", " ", str(s or "")).strip().lower()


# ------------------------------------------------------------------------- text

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _sections(text: str) -> list[tuple[str | None, str]]:
    """Split Markdown into (heading key, block) pairs; the preamble has key None."""
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        m = None if in_fence else _HEADING.match(line)
        if m:
            blocks.append((f"{len(m.group(1))}:{_norm(m.group(2))}", [line]))
        else:
            blocks[-1][1].append(line)
    return [(k, "\n".join(lines).strip("\n")) for k, lines in blocks if k or any(lines)]


def merge_markdown(old: str, new: str) -> str:
    """Sections of ``new`` replace same-titled sections of ``old``; new ones are added."""
    old_secs = _sections(old)
    new_secs = _sections(new)
    new_by_key = {k: v for k, v in new_secs if k is not None}
    out: list[str] = []
    used: set[str] = set()
    for key, block in old_secs:
        if key is None:
            pre = next((v for k, v in new_secs if k is None), None)
            out.append(pre if pre else block)
        elif key in new_by_key:
            out.append(new_by_key[key])
            used.add(key)
        else:
            out.append(block)
    if not any(k is None for k, _ in old_secs):
        pre = next((v for k, v in new_secs if k is None), None)
        if pre:
            out.insert(0, pre)
    out.extend(v for k, v in new_secs if k is not None and k not in used)
    return "\n\n".join(b for b in out if b.strip()) + "\n"


def combine_text(old: str | None, new: str, strategy: str) -> str:
    if old is None or strategy == "replace":
        return new
    if strategy == "append":
        return old.rstrip("\n") + "\n\n" + new.lstrip("\n")
    return merge_markdown(old, new)


# -------------------------------------------------------------------------- BOM


def _bom_key(c: dict[str, Any]) -> str:
    pn = _norm(c.get("part_number"))
    return f"pn:{pn}" if pn else f"name:{_norm(c.get('name'))}"


def _merge_bom_dicts(old: dict[str, Any], new: dict[str, Any], strategy: str) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        if key in ("components", "warnings", "assembly_notes"):
            continue
        if value not in (None, "", [], {}):
            out[key] = value
    new_components = [c for c in new.get("components", []) if isinstance(c, dict)]
    if strategy == "append":
        out["components"] = [*old.get("components", []), *new_components]
    else:
        comps = [dict(c) for c in old.get("components", [])]
        index_pn = {f"pn:{_norm(c.get('part_number'))}": i for i, c in enumerate(comps)}
        index_name = {f"name:{_norm(c.get('name'))}": i for i, c in enumerate(comps)}
        for c in new_components:
            i = index_pn.get(_bom_key(c)) if _norm(c.get("part_number")) else None
            if i is None:
                i = index_name.get(f"name:{_norm(c.get('name'))}")
            if i is None:
                comps.append(c)
            else:
                comps[i] = {**comps[i], **{k: v for k, v in c.items() if v is not None}}
        out["components"] = comps
    for key in ("warnings", "assembly_notes"):
        out[key] = _union(old.get(key, []), new.get(key, []))
    return out


# ----------------------------------------------------------------------- wiring


def _conn_key(c: dict[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset(
        {
            (str(c.get("from_component")), _norm(c.get("from_pin"))),
            (str(c.get("to_component")), _norm(c.get("to_pin"))),
        }
    )


def _merge_wiring_dicts(old: dict[str, Any], new: dict[str, Any], strategy: str) -> dict[str, Any]:
    new_comps = [c for c in new.get("components", []) if isinstance(c, dict)]
    new_conns = [c for c in new.get("connections", []) if isinstance(c, dict)]
    if strategy == "append":
        comps = [*old.get("components", []), *new_comps]
        conns = [*old.get("connections", []), *new_conns]
        instructions = [*old.get("instructions", []), *_as_list(new.get("instructions"))]
    else:
        comps = [dict(c) for c in old.get("components", [])]
        by_id = {c.get("id"): i for i, c in enumerate(comps)}
        for c in new_comps:
            if c.get("id") in by_id:
                i = by_id[c.get("id")]
                comps[i] = {**comps[i], **{k: v for k, v in c.items() if v is not None}}
            else:
                comps.append(c)
        conns = [dict(c) for c in old.get("connections", [])]
        by_ends = {_conn_key(c): i for i, c in enumerate(conns)}
        for c in new_conns:
            k = _conn_key(c)
            if k in by_ends:
                conns[by_ends[k]] = {**conns[by_ends[k]], **c}
            else:
                conns.append(c)
        instructions = _as_list(new.get("instructions")) or list(old.get("instructions", []))
    return {
        "components": comps,
        "connections": conns,
        "instructions": instructions,
        "warnings": _union(old.get("warnings", []), new.get("warnings", [])),
    }


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, str):
        return [line.strip() for line in v.splitlines() if line.strip()]
    return list(v)


# --------------------------------------------------------------------- dispatch


def combine_structured(
    artifact_type: str, old: str | None, new: str | dict[str, Any], strategy: str
) -> str:
    """Validated canonical JSON for a bom or wiring write."""
    parse = parse_bom if artifact_type == "bom" else parse_wiring
    if old is None or strategy == "replace":
        model: Bom | Wiring = parse(new)
        return dump_structured(model)
    new_obj = _as_obj(new, artifact_type)
    if not isinstance(new_obj, dict):
        raise ArtifactContentError(f"{artifact_type} content must be a JSON object")
    old_obj = json.loads(old)
    merged = (
        _merge_bom_dicts(old_obj, new_obj, strategy)
        if artifact_type == "bom"
        else _merge_wiring_dicts(old_obj, new_obj, strategy)
    )
    return dump_structured(parse(merged))
