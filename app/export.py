"""Writing a project's artifacts to a folder a maker can open, print and build from:
the documents as Markdown, the parts list as CSV and Markdown, the wiring as an SVG
diagram (and its JSON), the firmware as a PlatformIO project, and the check findings."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from exports import export_project
from exports.paths import ExportPathError, safe_target
from exports.platformio import exportable
from persistence.store import ArtifactStore, StoreError
from tools.budget import budget_markdown
from tools.checks.integration import current_artifacts

log = logging.getLogger(__name__)

DOC_FILES = {
    "context": "docs/context.md",
    "mvp": "docs/mvp.md",
    "prd": "docs/prd.md",
    "budget": "docs/budget.md",
    "conversation_summary": "docs/conversation_summary.md",
}


def export_artifacts(store: ArtifactStore, project: str, out_dir: Path) -> list[Path]:
    """Write every current artifact under ``out_dir``; nothing lands outside it. A code
    file whose stored path cannot be exported is skipped with a one-line warning."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        root = out_dir.resolve()
        arts = current_artifacts(store, project)
        code, skipped = exportable(list(arts.code))
        for what in arts.unreadable:  # "bom", or "code src/x.cpp" for a code file
            kind, _, path = what.partition(" ")
            shown = path.encode("unicode_escape").decode("ascii")
            label = f"{kind} file '{shown}'" if path else kind
            skipped.append(f"skipped {label}: its stored path or content cannot be exported")
        for line in skipped:
            log.warning(line)
        written = export_project(
            root, arts.bom, arts.wiring, code, project_name=store.get_project(project).name
        )
        for v in store.list_latest(project):
            if v.type in DOC_FILES:
                target = safe_target(root, DOC_FILES[v.type])
            elif v.type in ("bom", "wiring"):
                target = safe_target(root, f"{v.type}.json")
            else:
                continue
            text = budget_markdown(v.content) + "\n" if v.type == "budget" else v.content
            if v.type in ("bom", "wiring"):
                text = json.dumps(json.loads(v.content), indent=2, ensure_ascii=False) + "\n"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append(target)
    except ExportPathError as exc:
        raise StoreError(str(exc)) from None
    except OSError as exc:
        raise StoreError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    return sorted(written)
