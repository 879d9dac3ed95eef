"""``ohm parts``: a project's own parts, which the checks use beside the bundled catalog.

The datasheet analyst adds parts from datasheets; ``ohm parts add FILE`` adds one from a
JSON or YAML file in the same schema (``tools.project_parts.ProjectPart``). The bundled
catalog is never changed, and a project part cannot take a bundled part's id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import EXIT_USAGE, fail, guard
from .options import DEFAULT_PROJECT, JsonOpt, ProjectOpt

parts_app = typer.Typer(
    help="List, show, add and remove this project's own parts (made from datasheets).",
    no_args_is_help=True,
)


def _store(project: str) -> Any:
    from .driver import open_store, require_project

    store = open_store()
    require_project(store, project)
    return store


@parts_app.command("list")
def list_parts(project: ProjectOpt = DEFAULT_PROJECT, json_mode: JsonOpt = False) -> None:
    """The project's parts: id, part number, supply range and where each came from."""

    def run() -> None:
        from persistence.attachments import list_project_parts

        from .render import escape, out

        rows = list_project_parts(_store(project), project)
        if json_mode:
            for r in rows:
                typer.echo(json.dumps({"part_id": r.part_id, "source": r.source, **r.data}))
            return
        if not rows:
            out.print(f"project {project} has no parts of its own")
            return
        for r in rows:
            s = r.data.get("supply") or {}
            out.print(
                f"[bold]{escape(r.part_id)}[/]  {escape(str(r.data.get('part_number')))}  "
                f"{escape(str(r.data.get('name')))}  supply {s.get('min_v')}-{s.get('max_v')} V"
                f"  [dim]from {escape(r.source or 'a file')} by {escape(r.agent or 'user')}[/]"
            )

    guard(run)


@parts_app.command("show")
def show_part(
    part_id: Annotated[str, typer.Argument(help="The project part's id.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    json_mode: JsonOpt = False,
) -> None:
    """Every fact of one project part, with the datasheet page it came from."""

    def run() -> None:
        from persistence.attachments import get_project_part

        from .render import escape, out

        rec = get_project_part(_store(project), project, part_id.strip().lower())
        if rec is None:
            fail(f"project {project} has no part {part_id!r}; see `ohm parts list`")
        if json_mode:
            typer.echo(json.dumps(rec.data))
            return
        d = rec.data
        out.print(f"[bold]{escape(d['id'])}[/]: {escape(d['name'])}")
        out.print(f"  {escape(d['manufacturer'])} {escape(d['part_number'])} ({d['category']})")
        s = d["supply"]
        out.print(f"  supply {s['min_v']}-{s['max_v']} V{_page(s)}")
        if d.get("logic_v") is not None:
            out.print(f"  logic {d['logic_v']} V, 5 V tolerant: {d.get('five_v_tolerant')}")
        c = d["current"]
        out.print(f"  current {c['typical_ma']} mA typical, {c['peak_ma']} mA peak{_page(c)}")
        if d.get("i2c"):
            i = d["i2c"]
            extra = f", select with {', '.join(i['select_pins'])}" if i.get("select_pins") else ""
            out.print(
                f"  I2C {i['default']} {' '.join(i.get('selectable') or [])}{extra}{_page(i)}"
            )
        for p in d["pins"]:
            limit = f", max {p['vmax']} V" if p.get("vmax") is not None else ""
            out.print(f"  pin {escape(p['name'])}: {p['dir']}, {', '.join(p['roles'])}{limit}")
        for a in d.get("absolute_max") or []:
            out.print(
                f"  absolute max {escape(a['parameter'])}: {a['value']} {a['unit']}{_page(a)}"
            )

    guard(run)


def _page(d: dict[str, Any]) -> str:
    return f" (page {d['page']})" if d.get("page") else ""


@parts_app.command("add")
def add_part(
    file: Annotated[Path, typer.Argument(help="A JSON or YAML file with one part.")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Add (or replace) a project part from a file in the ProjectPart schema."""

    def run() -> None:
        import yaml
        from pydantic import ValidationError

        from tools.project_parts import ProjectPart, ProjectPartError, save_part

        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}", EXIT_USAGE)
        try:
            data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
            part = ProjectPart.model_validate(data)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            fail(f"{file.name} is not valid JSON or YAML: {str(exc).splitlines()[0]}", EXIT_USAGE)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ())) or "part"
            fail(f"{file.name}: {where}: {first.get('msg')}", EXIT_USAGE)
        store = _store(project)
        try:
            created = save_part(store, project, part)
        except ProjectPartError as exc:
            fail(f"{file.name}: {exc}", EXIT_USAGE)
        typer.echo(f"{'added' if created else 'replaced'} project part {part.id} in {project}")

    guard(run)


@parts_app.command("remove")
def remove_part(
    part_id: Annotated[str, typer.Argument(help="The project part's id.")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Remove a project part; wirings that use it report ``unknown-part`` again."""

    def run() -> None:
        from persistence.attachments import delete_project_part

        if not delete_project_part(_store(project), project, part_id.strip().lower()):
            fail(f"project {project} has no part {part_id!r}; see `ohm parts list`")
        typer.echo(f"removed project part {part_id} from {project}")

    guard(run)
