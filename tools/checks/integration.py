"""Running the checks where artifacts are written: after every bom, wiring or code write,
and on demand for the debugger and ``ohm check --project``.

After a write, each artifact gets the findings that concern it (a wiring write also
hears about parts the BOM lacks and pins the firmware no longer reaches) and they are
stored with the version they describe, so the CLI and the dashboard show them beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from persistence.store import ArtifactStore, VersionView
from tools.schemas import ArtifactContentError, Bom, CodeFile, Wiring, parse_bom, parse_wiring

from .bom import check_bom
from .catalog import Catalog, load_catalog
from .code import check_code
from .findings import Finding, dedupe, sort_findings
from .project import check_project, rule_firmware_addresses
from .wiring import check_wiring

log = logging.getLogger(__name__)


def project_catalog(store: ArtifactStore, project: str) -> Catalog:
    """The bundled catalog plus the project's own parts (see tools.project_parts)."""
    from tools.project_parts import project_catalog as with_project_parts

    return with_project_parts(store, project)


@dataclass(frozen=True)
class ProjectArtifacts:
    bom: Bom | None
    wiring: Wiring | None
    code: list[CodeFile]
    unreadable: list[str]


def current_artifacts(
    store: ArtifactStore, project: str, pending: Mapping[tuple[str, str], str] | None = None
) -> ProjectArtifacts:
    """The project's latest bom, wiring and code, parsed; stored content that no longer
    fits its schema is skipped and named rather than failing the check.

    ``pending`` is content other tool calls of the same batch are writing at this moment
    ((type, path) -> text): with it, every write in a batch is checked against the state
    the whole batch leaves, whatever order the calls happen to finish in.
    """
    stored = {(v.type, v.path): (v.content, v.language) for v in store.list_latest(project)}
    for key, text in (pending or {}).items():
        stored[key] = (text, stored.get(key, (None, None))[1])
    bom: Bom | None = None
    wiring: Wiring | None = None
    code: list[CodeFile] = []
    unreadable: list[str] = []
    for (kind, path), (content, language) in sorted(stored.items()):
        try:
            if kind == "bom":
                bom = parse_bom(content)
            elif kind == "wiring":
                wiring = parse_wiring(content)
            elif kind == "code":
                code.append(CodeFile(path=path, language=language, content=content))
        except (ArtifactContentError, ValueError):
            unreadable.append(kind + (f" {path}" if path else ""))
    return ProjectArtifacts(bom, wiring, code, unreadable)


def findings_for(
    kind: str, arts: ProjectArtifacts, catalog: Catalog | None = None
) -> list[Finding]:
    """The findings a writer of ``kind`` must hear about, given the project as it is now
    (``catalog``: the project's, with its own parts; default the bundled one)."""
    catalog = catalog or load_catalog()
    out: list[Finding] = []
    if kind == "bom" and arts.bom is not None:
        out += check_bom(arts.bom, arts.wiring, catalog)
    elif kind == "wiring" and arts.wiring is not None:
        out += check_wiring(arts.wiring, catalog)
        if arts.bom is not None:
            out += [
                f for f in check_bom(arts.bom, arts.wiring, catalog) if f.rule.startswith("bom-")
            ]
        if arts.code:
            out += [
                f for f in check_code(arts.code, arts.wiring, catalog) if f.rule == "pin-mismatch"
            ]
    elif kind == "code" and arts.code:
        out += check_code(arts.code, arts.wiring, catalog)
        if arts.wiring is not None:
            out += rule_firmware_addresses(arts.code, arts.wiring, catalog)
    return sort_findings(dedupe(out))


def _concerns(f: Finding, v: VersionView) -> bool:
    """Code findings carry ``path:line``; keep each file's own (and the unlocated ones)."""
    if v.type != "code" or not f.location:
        return True
    return f.location.split(":", 1)[0] == v.path


def run_checks_after_write(
    store: ArtifactStore,
    project: str,
    written: list[VersionView],
    pending: Mapping[tuple[str, str], str] | None = None,
) -> list[dict[str, Any]]:
    """Check what was just written, store the findings on each version, return them all."""
    arts = current_artifacts(store, project, pending)
    catalog = project_catalog(store, project)
    everything: list[Finding] = []
    for kind in sorted({v.type for v in written if not v.deleted}):
        found = findings_for(kind, arts, catalog)
        everything += found
        for v in written:
            if v.type == kind and not v.deleted:
                store.set_findings(v.id, [f.model_dump() for f in found if _concerns(f, v)])
    return [f.model_dump() for f in sort_findings(dedupe(everything))]


def run_project_checks(store: ArtifactStore, project: str) -> dict[str, Any]:
    """Every check across the project's current artifacts (the debugger's tool)."""
    arts = current_artifacts(store, project)
    findings = check_project(arts.bom, arts.wiring, arts.code, project_catalog(store, project))
    return {
        "checked": {
            "bom": arts.bom is not None,
            "wiring": arts.wiring is not None,
            "code": [c.path for c in arts.code],
        },
        "unreadable": arts.unreadable,
        "findings": [f.model_dump() for f in findings],
        "errors": sum(1 for f in findings if f.severity == "error"),
    }
