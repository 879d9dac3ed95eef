"""What each artifact drawer shows, built from one set of versions.

The same builder serves the live project page (the newest versions) and a checkpoint in
the timeline (the versions as they were then), so both look alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from persistence.store import ArtifactStore, VersionView
from tools.inspection import inspection_markdown
from tools.schemas import TEXT_TYPES

from .diagram import wiring_svg_renderer
from .render import (
    Parsed,
    code_language,
    error_count,
    highlight_code,
    markdown_html,
    parse_structured,
    sorted_findings,
    warning_count,
)
from .templating import DOC_TITLES

# Drawers shown even when empty, in this order; other types appear once they exist.
ALWAYS_SHOWN = ("context", "bom", "wiring", "code", "mvp", "prd")
ORDER = (*ALWAYS_SHOWN, "budget", "conversation_summary")

EMPTY_HINTS = {
    "context": "Describe your idea in the chat: the kickoff writes a project brief here.",
    "bom": "Ask for the parts you need and the parts list appears here.",
    "wiring": "Ask how to wire it up and the connections appear here.",
    "code": "Ask for the firmware and its files appear here.",
    "mvp": "Ask for an MVP plan to see it here.",
    "prd": "Ask for a product requirements document to see it here.",
}


@dataclass
class ArtifactPanel:
    """One artifact (one code file, or one document) inside a drawer."""

    version: VersionView
    history: list[VersionView]
    body: Markup | None = None
    parsed: Parsed = field(default_factory=Parsed)
    language: str | None = None

    @property
    def errors(self) -> int:
        return error_count(self.version)

    @property
    def warnings(self) -> int:
        return warning_count(self.version)

    @property
    def findings(self) -> list[dict[str, object]]:
        return sorted_findings(self.version.findings)

    @property
    def path_query(self) -> str:
        return f"?path={self.version.path}" if self.version.path else ""


@dataclass
class Drawer:
    type: str
    title: str
    panels: list[ArtifactPanel]
    empty_hint: str = ""
    diagram: bool = False

    @property
    def newest(self) -> VersionView | None:
        if not self.panels:
            return None
        return max((p.version for p in self.panels), key=lambda v: v.created_at)

    @property
    def errors(self) -> int:
        return sum(p.errors for p in self.panels)

    @property
    def warnings(self) -> int:
        return sum(p.warnings for p in self.panels)


def panel_for(store: ArtifactStore, v: VersionView) -> ArtifactPanel:
    panel = ArtifactPanel(version=v, history=store.history(v.project_id, v.type, v.path))
    if v.deleted:
        return panel
    if v.type in TEXT_TYPES:
        panel.body = markdown_html(v.content)
    elif v.type == "inspection":
        panel.body = markdown_html(inspection_markdown(v.content))
    elif v.type == "code":
        panel.language = code_language(v)
        panel.body = highlight_code(v.content, panel.language)
    else:
        panel.parsed = parse_structured(v)
    return panel


def build_drawers(store: ArtifactStore, versions: list[VersionView]) -> list[Drawer]:
    """Drawers for ``versions`` (one current version per artifact), in a fixed order."""
    by_type: dict[str, list[VersionView]] = {}
    for v in versions:
        if not v.deleted:
            by_type.setdefault(v.type, []).append(v)
    types = [t for t in ORDER if t in ALWAYS_SHOWN or t in by_type]
    types += sorted(t for t in by_type if t not in ORDER)
    return [build_drawer(store, t, by_type.get(t, [])) for t in types]


def build_drawer(store: ArtifactStore, artifact_type: str, versions: list[VersionView]) -> Drawer:
    panels = [panel_for(store, v) for v in sorted(versions, key=lambda v: v.path)]
    return Drawer(
        type=artifact_type,
        title=DOC_TITLES.get(artifact_type, artifact_type),
        panels=panels,
        empty_hint=EMPTY_HINTS.get(artifact_type, "Nothing here yet."),
        diagram=artifact_type == "wiring" and wiring_svg_renderer() is not None,
    )
