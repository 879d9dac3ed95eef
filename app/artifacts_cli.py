"""``ohm artifacts``: look at a project's artifacts, their versions, and export them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .errors import EXIT_USAGE, fail, guard
from .options import DEFAULT_PROJECT, JsonOpt, ProjectOpt

if TYPE_CHECKING:
    from persistence.store import ArtifactStore

artifacts_app = typer.Typer(
    help="Look at, and export, a project's artifacts.", no_args_is_help=True
)


def _check_type(artifact_type: str) -> str:
    from tools.schemas import ARTIFACT_TYPES

    if artifact_type not in ARTIFACT_TYPES:
        fail(
            f"unknown artifact type {artifact_type!r}; choose one of: {', '.join(ARTIFACT_TYPES)}",
            EXIT_USAGE,
        )
    return artifact_type


PathOpt = Annotated[
    str | None,
    typer.Option(
        "--path",
        metavar="PATH",
        help="For code: the file's path, a unique prefix of it or its file name.",
    ),
]


def _code_path(store: ArtifactStore, project: str, artifact_type: str, path: str | None) -> str:
    """The whole stored path ``path`` names (as given for other types)."""
    if not path or artifact_type != "code":
        return path or ""
    from .ids import resolve_path

    known = {v.path for v in store.all_versions(project) if v.type == "code"}
    return resolve_path(path, known) if known else path


@artifacts_app.command("list")
def artifacts_list(project: ProjectOpt = DEFAULT_PROJECT, json_mode: JsonOpt = False) -> None:
    """List the latest version of each artifact."""

    def run() -> None:
        from .driver import open_store
        from .render import Table, jprint, out, safe

        store = open_store()
        store.get_project(project)
        rows = store.list_latest(project)
        if json_mode:
            jprint(
                [
                    {
                        "type": v.type,
                        "path": v.path or None,
                        "version": v.version,
                        "agent": v.agent,
                        "thread_id": v.thread_id,
                        "created_at": v.created_at.isoformat(),
                        "findings": v.findings,
                    }
                    for v in rows
                ]
            )
            return
        if not rows:
            out.print(f"Project {project} has no artifacts yet.")
            return
        table = Table("type", "path", "version", "by", "checks", "saved")
        for v in rows:
            errors = sum(1 for f in v.findings if f.get("severity") == "error")
            table.add_row(
                v.type,
                safe(v.path),
                str(v.version),
                v.agent or "user",
                f"[red]{errors} error(s)[/]"
                if errors
                else ("ok" if v.type in ("bom", "wiring", "code") else ""),
                v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            )
        out.print(table)

    guard(run)


def _structured(artifact_type: str, content: str) -> Any:
    """The content for ``--json``: parsed where the artifact is stored as JSON."""
    if artifact_type in ("bom", "wiring", "budget") and content:
        try:
            return json.loads(content)
        except ValueError:  # a budget saved as a plain document before it was typed
            return content
    return content


@artifacts_app.command("show")
def artifacts_show(
    artifact_type: Annotated[
        str,
        typer.Argument(metavar="TYPE", help="context, mvp, prd, bom, code, wiring ..."),
    ],
    project: ProjectOpt = DEFAULT_PROJECT,
    path: PathOpt = None,
    version_text: Annotated[
        str | None,
        typer.Option("--version", metavar="VERSION", help="A past version: 3, v3 or latest."),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Print an artifact (the latest version unless --version is given)."""

    def run() -> None:
        from . import terminal
        from .driver import open_store
        from .ids import parse_version
        from .render import err, jprint
        from .terminal import clean

        _check_type(artifact_type)
        version = parse_version(version_text)
        store = open_store()
        store.get_project(project)
        p = _code_path(store, project, artifact_type, path)
        if artifact_type == "code" and not p:
            files = [v for v in store.list_latest(project) if v.type == "code"]
            if not files:
                fail(f"project {project} has no code yet")
            paths = ", ".join(f.path for f in files)
            fail(f"code has several files; choose one with --path ({paths})", EXIT_USAGE)
        v = (
            store.get_version(project, artifact_type, version, p)
            if version
            else store.latest(project, artifact_type, p)
        )
        if v is None:
            what = f"{artifact_type}{' ' + p if p else ''}"
            fail(f"project {project} has no {what}{f' version {version}' if version else ''}")
        if json_mode:
            jprint(
                {
                    "type": v.type,
                    "path": v.path or None,
                    "version": v.version,
                    "agent": v.agent,
                    "thread_id": v.thread_id,
                    "deleted": v.deleted,
                    "language": v.language,
                    "content": _structured(v.type, v.content),
                    "findings": v.findings,
                }
            )
            return
        err.print(
            f"[dim]{artifact_type}{' ' + p if p else ''} v{v.version} by {v.agent or 'user'}[/]"
        )
        shown = v.content
        if v.type == "budget":  # stored as JSON; people read it as its Markdown
            from tools.budget import budget_markdown

            shown = budget_markdown(v.content)
        text = shown if shown.endswith("\n") else shown + "\n"
        # On a terminal, control sequences in the content are removed; redirected to a
        # file (ohm artifacts show code --path main.cpp > main.cpp) it stays exact.
        sys.stdout.write(clean(text) if terminal.stdout_is_terminal() else text)

    guard(run)


@artifacts_app.command("versions")
def artifacts_versions(
    artifact_type: Annotated[str, typer.Argument(metavar="TYPE")],
    project: ProjectOpt = DEFAULT_PROJECT,
    path: PathOpt = None,
    json_mode: JsonOpt = False,
) -> None:
    """List every version of one artifact, with who wrote it."""

    def run() -> None:
        from .driver import open_store
        from .render import Table, jprint, out

        _check_type(artifact_type)
        store = open_store()
        store.get_project(project)
        rows = store.history(
            project, artifact_type, _code_path(store, project, artifact_type, path)
        )
        if json_mode:
            jprint(
                [
                    {
                        **v.summary(),
                        "thread_id": v.thread_id,
                        "checkpoint_id": v.checkpoint_id,
                        "created_at": v.created_at.isoformat(),
                    }
                    for v in rows
                ]
            )
            return
        table = Table("version", "by", "thread", "saved", "note")
        for v in rows:
            table.add_row(
                str(v.version),
                v.agent or "user",
                v.thread_id or "",
                v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                "deleted" if v.deleted else "",
            )
        out.print(table)

    guard(run)


@artifacts_app.command("diff")
def artifacts_diff(
    artifact_type: Annotated[str, typer.Argument(metavar="TYPE", help="bom, wiring, code, ...")],
    old: Annotated[str, typer.Argument(metavar="A", help="The older version: 3 or v3.")],
    new: Annotated[
        str, typer.Argument(metavar="B", help="The newer version (3, v3 or latest).")
    ] = "latest",
    project: ProjectOpt = DEFAULT_PROJECT,
    path: PathOpt = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="A unified diff of the stored text instead.")
    ] = False,
    json_mode: JsonOpt = False,
) -> None:
    """What changed between two versions: parts added, removed and changed with the cost
    delta; wiring components and connections; code per file; documents by section."""

    def run() -> None:
        from tools.diffs import semantic_diff, unified

        from .driver import open_store
        from .ids import resolve_version
        from .render import jprint, out, safe

        _check_type(artifact_type)
        store = open_store()
        store.get_project(project)
        p = _code_path(store, project, artifact_type, path)
        if artifact_type == "code" and not p:
            fail("choose the code file with --path", EXIT_USAGE)
        rows = store.history(project, artifact_type, p)
        what = f"{artifact_type}{' ' + p if p else ''} in project {project}"
        a, b = resolve_version(rows, old, what), resolve_version(rows, new, what)
        raw_diff = unified(
            _readable(a.type, a.content),
            _readable(b.type, b.content),
            f"v{a.version}",
            f"v{b.version}",
        )
        if json_mode:
            result = semantic_diff(artifact_type, a.content, b.content, p).as_dict()
            jprint(
                {
                    "type": artifact_type,
                    "path": p or None,
                    "a": a.version,
                    "b": b.version,
                    **result,
                    "raw": raw_diff,
                }
            )
            return
        if raw:
            shown = clean(raw_diff) if terminal.stdout_is_terminal() else raw_diff
            sys.stdout.write(shown + "\n")
            return
        result_lines = semantic_diff(artifact_type, a.content, b.content, p).lines()
        out.print(f"[dim]{safe(what)}: v{a.version} → v{b.version}[/]")
        for line in result_lines:
            out.print(safe(line))

    from . import terminal
    from .terminal import clean

    guard(run)


def _readable(artifact_type: str, content: str) -> str:
    """Structured content pretty-printed, as the raw diff compares it."""
    if artifact_type in ("bom", "wiring") and content.strip():
        try:
            return json.dumps(json.loads(content), indent=2, ensure_ascii=False)
        except json.JSONDecodeError:
            return content
    return content


@artifacts_app.command("export")
def artifacts_export(
    project: ProjectOpt = DEFAULT_PROJECT,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write into.")
    ] = Path("ohm-export"),
) -> None:
    """Write the project's artifacts to a folder (documents, parts list, wiring, code)."""

    def run() -> None:
        from .driver import open_store
        from .export import export_artifacts
        from .render import escape, out

        store = open_store()
        store.get_project(project)
        written = export_artifacts(store, project, out_dir)
        for p in written:
            out.print(f"wrote {escape(str(p))}")
        out.print(f"[green]{len(written)} file(s) in {escape(str(out_dir))}[/]")

    guard(run)
