"""Writing a project's artifacts to a folder a maker can open, print and build from."""

from __future__ import annotations

import json
from pathlib import Path

from persistence.store import ArtifactStore, StoreError, VersionView

DOC_FILES = {
    "context": "docs/context.md",
    "mvp": "docs/mvp.md",
    "prd": "docs/prd.md",
    "budget": "docs/budget.md",
    "conversation_summary": "docs/conversation_summary.md",
    "bom": "bom/bom.json",
    "wiring": "wiring/wiring.json",
}


def safe_target(root: Path, relative: str) -> Path:
    """``root/relative``, refusing anything that would land outside ``root``."""
    base = root.resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise StoreError(f"refusing to write {relative!r}: it would land outside {root}")
    return target


def export_artifacts(store: ArtifactStore, project: str, out_dir: Path) -> list[Path]:
    """Write every current artifact under ``out_dir``; code keeps its project paths."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    written: list[Path] = []
    latest: list[VersionView] = store.list_latest(project)
    for v in latest:
        rel = f"firmware/{v.path}" if v.type == "code" else DOC_FILES.get(v.type, f"{v.type}.txt")
        target = safe_target(out_dir, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = v.content
        if v.type in ("bom", "wiring"):
            text = json.dumps(json.loads(v.content), indent=2, ensure_ascii=False) + "\n"
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
