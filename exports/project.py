"""``export_project``: every artifact of a project written into one folder, safely.

All target paths are planned first and each is resolved (following symlinks) and compared
with the resolved output folder before anything is written; a path that would land
outside it (``../``, an absolute path, a symlink pointing elsewhere) stops the export with
one clear error, so no half-written tree is left behind by a bad name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from exports.bom import bom_csv, bom_markdown
from exports.paths import ExportPathError, safe_target
from exports.platformio import platformio_files
from exports.svg import render_wiring_svg
from tools.checks.catalog import Catalog, Part, load_catalog
from tools.checks.findings import Finding
from tools.checks.project import check_project
from tools.schemas import Bom, CodeFile, Wiring


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _board(wiring: Wiring | None, catalog: Catalog) -> Part | None:
    for c in wiring.components if wiring else []:
        part = catalog.get(c.part)
        if part is not None and part.is_mcu:
            return part
    return None


def export_project(
    out_dir: str | os.PathLike[str],
    bom: Bom | None,
    wiring: Wiring | None,
    code_files: list[CodeFile] | None = None,
    findings: list[Finding] | None = None,
    *,
    project_name: str | None = None,
    catalog: Catalog | None = None,
) -> list[Path]:
    """Write ``wiring.svg``, ``bom.csv``, ``bom.md``, ``firmware/`` and ``findings.json``.

    ``findings=None`` runs the checks; pass a list (even empty) to use those instead.
    Returns the written files. Raises :class:`ExportPathError` before writing anything if
    any path would land outside ``out_dir``.
    """
    cat = catalog or load_catalog()
    code = list(code_files or [])
    if findings is None:
        findings = check_project(bom, wiring, code, cat)
    name = project_name or (bom.project_name if bom else "project")
    root = Path(out_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)

    plan: dict[str, str] = {}
    if wiring is not None:
        plan["wiring.svg"] = render_wiring_svg(wiring, findings, title=name, catalog=cat)
    if bom is not None:
        plan["bom.csv"] = bom_csv(bom, wiring, cat)
        plan["bom.md"] = bom_markdown(bom, wiring, cat)
    if code:
        for rel, text in platformio_files(code, _board(wiring, cat), name).items():
            plan[f"firmware/{rel}"] = text
    plan["findings.json"] = (
        json.dumps({"findings": [f.model_dump() for f in findings]}, indent=2, ensure_ascii=False)
        + "\n"
    )
    targets = {rel: safe_target(root, rel) for rel in plan}
    for rel, target in targets.items():
        if target.exists() and not target.is_file():
            raise ExportPathError(f"refusing to write '{rel}': {target} is not a regular file")
    written = []
    for rel, target in targets.items():
        _write(target, plan[rel])
        written.append(target)
    return written
