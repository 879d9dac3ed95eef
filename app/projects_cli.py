"""``ohm projects`` and ``ohm threads``: what the data directory holds."""

from __future__ import annotations

from typing import Annotated

import typer

from .errors import fail, guard
from .options import DEFAULT_PROJECT, JsonOpt, ProjectOpt

projects_app = typer.Typer(help="List, create, rename and delete projects.")

ID_WIDTH = 24
NAME_WIDTH = 20
MIN_TITLE_WIDTH = 14


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut between words with an ellipsis."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut.strip():
        cut = cut.rstrip().rsplit(" ", 1)[0]
    return cut.rstrip(" .,;:") + "…"


@projects_app.callback(invoke_without_command=True)
def projects(ctx: typer.Context, json_mode: JsonOpt = False) -> None:
    """List projects (or use a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return

    def run() -> None:
        from .driver import open_store
        from .render import Table, escape, jprint, out

        rows = open_store().list_projects()
        if json_mode:
            jprint(
                [
                    {
                        "id": p.id,
                        "name": p.name,
                        "threads": p.thread_count,
                        "latest_thread": p.latest_thread,
                        "latest_title": p.latest_title,
                        "artifacts": p.artifact_count,
                        "updated_at": p.updated_at.isoformat(),
                    }
                    for p in rows
                ]
            )
            return
        if not rows:
            out.print('No projects yet. Start one with: ohm ask "I want to build ..."')
            return
        # The newest thread's title (`ohm threads` lists them all) gets what room the
        # other columns leave, shortened between words; the date alone leaves it more.
        ids = max(len(p.id) for p in rows)
        names = min(max(len(p.name) for p in rows), NAME_WIDTH)
        used = 2 + min(ids, ID_WIDTH) + names + len("threads") + len("artifacts") + 10 + 6 * 3
        room = max(out.width - used, MIN_TITLE_WIDTH)
        table = Table("id", "name")
        table.columns[0].max_width = ID_WIDTH
        table.columns[1].max_width = NAME_WIDTH
        for short in ("threads", "artifacts", "updated", "latest thread"):
            table.add_column(short, no_wrap=short != "latest thread")
        for p in rows:
            table.add_row(
                escape(p.id),
                escape(p.name),
                str(p.thread_count),
                str(p.artifact_count),
                p.updated_at.strftime("%Y-%m-%d"),
                escape(shorten(p.latest_title or ("untitled" if p.latest_thread else ""), room)),
            )
        out.print(table)

    guard(run)


@projects_app.command("create")
def projects_create(
    project_id: Annotated[str, typer.Argument(help="Project id: lowercase letters, digits, -_.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a project."""

    def run() -> None:
        from .driver import open_store
        from .render import out

        out.print(f"created project {open_store().create_project(project_id, name).id}")

    guard(run)


@projects_app.command("rename")
def projects_rename(
    project_id: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Argument(help="New display name.")],
) -> None:
    """Change a project's display name."""

    def run() -> None:
        from .driver import open_store
        from .render import out

        out.print(f"renamed {project_id} to {open_store().rename_project(project_id, name).name}")

    guard(run)


@projects_app.command("delete")
def projects_delete(
    project_id: Annotated[str, typer.Argument()],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a project with all its threads and artifact versions."""

    def run() -> None:
        from .driver import open_store
        from .render import out

        store = open_store()
        store.get_project(project_id)
        if not yes and not typer.confirm(f"Delete project {project_id!r} and all its artifacts?"):
            fail("not deleted", 1)
        store.delete_project(project_id)
        out.print(f"deleted project {project_id}")

    guard(run)


threads_app = typer.Typer(help="List a project's threads, or rename one.")


@threads_app.callback(invoke_without_command=True)
def threads(
    ctx: typer.Context, project: ProjectOpt = DEFAULT_PROJECT, json_mode: JsonOpt = False
) -> None:
    """List a project's threads (or use a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return

    def run() -> None:
        from .driver import open_store
        from .render import Table, escape, jprint, out

        store = open_store()
        store.get_project(project)
        rows = store.list_threads(project)
        if json_mode:
            jprint(
                [
                    {
                        "id": t.id,
                        "title": t.title,
                        "agent": t.current_agent,
                        "updated_at": t.updated_at.isoformat(),
                    }
                    for t in rows
                ]
            )
            return
        table = Table("thread", "title", "last agent", "updated")
        for t in rows:
            table.add_row(
                t.id,
                escape(t.title),
                t.current_agent or "",
                t.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
        out.print(table)

    guard(run)


@threads_app.command("rename")
def threads_rename(
    thread: Annotated[str, typer.Argument(help="Thread id or a unique prefix.")],
    title: Annotated[str, typer.Argument(help="The thread's new title (1-200 characters).")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Give a thread your own title; automatic titles never replace it."""

    def run() -> None:
        from .driver import open_store
        from .ids import resolve_thread
        from .render import out, safe

        store = open_store()
        store.get_project(project)
        renamed = store.rename_thread(resolve_thread(store, thread, project).id, title)
        out.print(f"renamed thread {renamed.id} to {safe(renamed.title)}")

    guard(run)
