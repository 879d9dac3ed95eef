"""What each artifact drawer shows, built from one set of versions.

The same builder serves the live project page (the newest versions) and a checkpoint in
the timeline (the versions as they were then), so both look alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from persistence.store import ArtifactStore, VersionView
from tools.budget import budget_markdown
from tools.checks.coverage import rules_run
from tools.checks.findings import RULES
from tools.inspection import inspection_markdown
from tools.schemas import TEXT_TYPES

from .diagram import inline_wiring_svg, wiring_svg_renderer
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
    svg: Markup | None = None
    """The wiring diagram, inline, when Ohm's own renderer draws it."""
    rules: tuple[str, ...] = ()
    """The check rules that ran when this version was written (none for documents)."""

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
    def rule_list(self) -> list[tuple[str, str]]:
        """The rules that ran, each with what it looks for."""
        return [(r, RULES.get(r, "")) for r in self.rules]

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

    @property
    def rules(self) -> int:
        """How many rules looked at the drawer's newest versions (0: not checked)."""
        return max((len(p.rules) for p in self.panels if not p.version.deleted), default=0)

    @property
    def clean(self) -> bool:
        """Checked, and no rule found anything."""
        return self.rules > 0 and all(not p.version.findings for p in self.panels)


CHECKED_TYPES = ("bom", "wiring", "code")


def rules_for(
    store: ArtifactStore, v: VersionView, everything: list[VersionView] | None = None
) -> tuple[str, ...]:
    """The rules that ran when ``v`` was written, judged from what the project held then
    (``everything``: all the project's versions, read from the store when not given)."""
    if v.type not in CHECKED_TYPES or v.deleted:
        return ()
    rows = everything if everything is not None else store.all_versions(v.project_id)
    state: dict[tuple[str, str], VersionView] = {}
    for r in sorted(rows, key=lambda r: (r.created_at, r.id)):
        if (r.created_at, r.id) <= (v.created_at, v.id):
            state[(r.type, r.path)] = r
    live = [r for r in state.values() if not r.deleted]
    return rules_run(
        v.type,
        has_bom=any(r.type == "bom" for r in live),
        has_wiring=any(r.type == "wiring" for r in live),
        has_code=any(r.type == "code" for r in live),
        board_known=any(r.type == "code" and r.path.endswith("platformio.ini") for r in live),
    )


def panel_for(
    store: ArtifactStore, v: VersionView, everything: list[VersionView] | None = None
) -> ArtifactPanel:
    panel = ArtifactPanel(version=v, history=store.history(v.project_id, v.type, v.path))
    if v.deleted:
        return panel
    panel.rules = rules_for(store, v, everything)
    if v.type in TEXT_TYPES:
        panel.body = markdown_html(v.content)
    elif v.type == "inspection":
        panel.body = markdown_html(inspection_markdown(v.content))
    elif v.type == "budget":
        panel.body = markdown_html(budget_markdown(v.content))
    elif v.type == "code":
        panel.language = code_language(v)
        panel.body = highlight_code(v.content, panel.language)
    else:
        panel.parsed = parse_structured(v)
        if panel.parsed.wiring is not None:
            panel.svg = inline_wiring_svg(panel.parsed.wiring, v.findings)
    return panel


def build_drawers(store: ArtifactStore, versions: list[VersionView]) -> list[Drawer]:
    """Drawers for ``versions`` (one current version per artifact), in a fixed order."""
    by_type: dict[str, list[VersionView]] = {}
    for v in versions:
        if not v.deleted:
            by_type.setdefault(v.type, []).append(v)
    types = [t for t in ORDER if t in ALWAYS_SHOWN or t in by_type]
    types += sorted(t for t in by_type if t not in ORDER)
    everything = store.all_versions(versions[0].project_id) if versions else []
    return [build_drawer(store, t, by_type.get(t, []), everything) for t in types]


def build_drawer(
    store: ArtifactStore,
    artifact_type: str,
    versions: list[VersionView],
    everything: list[VersionView] | None = None,
) -> Drawer:
    if everything is None and artifact_type in CHECKED_TYPES and versions:
        everything = store.all_versions(versions[0].project_id)
    panels = [panel_for(store, v, everything) for v in sorted(versions, key=lambda v: v.path)]
    return Drawer(
        type=artifact_type,
        title=DOC_TITLES.get(artifact_type, artifact_type),
        panels=panels,
        empty_hint=EMPTY_HINTS.get(artifact_type, "Nothing here yet."),
        diagram=artifact_type == "wiring" and wiring_svg_renderer() is not None,
    )
