"""``ohm artifacts``: look at a project's artifacts, their versions, and export them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .errors import EXIT_USAGE, fail, guard
from .options import DEFAULT_PROJECT, JsonOpt, ProjectOpt

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


@artifacts_app.command("list")
def artifacts_list(project: ProjectOpt = DEFAULT_PROJECT, json_mode: JsonOpt = False) -> None:
    """List the latest version of each artifact."""

    def run() -> None:
        from .driver import open_store
        from .render import Table, escape, jprint, out

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
                escape(v.path),
                str(v.version),
                v.agent or "user",
                f"[red]{errors} error(s)[/]"
                if errors
                else ("ok" if v.type in ("bom", "wiring", "code") else ""),
                v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            )
        out.print(table)

    guard(run)


@artifacts_app.command("show")
def artifacts_show(
    artifact_type: Annotated[str, typer.Argument(help="context, mvp, prd, bom, code, wiring ...")],
    project: ProjectOpt = DEFAULT_PROJECT,
    path: Annotated[str | None, typer.Option(help="For code: the file path.")] = None,
    version: Annotated[int | None, typer.Option(help="A past version number.")] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Print an artifact (the latest version unless --version is given)."""

    def run() -> None:
        from .driver import open_store
        from .render import err, jprint

        _check_type(artifact_type)
        store = open_store()
        store.get_project(project)
        p = path or ""
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
                    "content": json.loads(v.content)
                    if v.type in ("bom", "wiring") and v.content
                    else v.content,
                    "findings": v.findings,
                }
            )
            return
        err.print(
            f"[dim]{artifact_type}{' ' + p if p else ''} v{v.version} by {v.agent or 'user'}[/]"
        )
        sys.stdout.write(v.content if v.content.endswith("\n") else v.content + "\n")

    guard(run)


@artifacts_app.command("versions")
def artifacts_versions(
    artifact_type: Annotated[str, typer.Argument()],
    project: ProjectOpt = DEFAULT_PROJECT,
    path: Annotated[str | None, typer.Option(help="For code: the file path.")] = None,
    json_mode: JsonOpt = False,
) -> None:
    """List every version of one artifact, with who wrote it."""

    def run() -> None:
        from .driver import open_store
        from .render import Table, jprint, out

        _check_type(artifact_type)
        store = open_store()
        store.get_project(project)
        rows = store.history(project, artifact_type, path or "")
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


@artifacts_app.command("export")
def artifacts_export(
    project: ProjectOpt = DEFAULT_PROJECT,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.")] = Path(
        "ohm-export"
    ),
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
