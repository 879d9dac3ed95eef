"""``ohm``: talk to the assembly line and look at what it made, from a terminal.

Output is for people by default; ``--json`` prints one JSON object per line for
programs. Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.check_cli import check_app
from app.route_cli import route_command
from graph.assembly_line import AssemblyLine, TurnError
from graph.events import (
    AgentSelected,
    ArtifactWritten,
    ErrorEvent,
    KeyRotation,
    OhmEvent,
    TextDelta,
    ToolCalled,
    ToolResult,
    TurnFinished,
    TurnResult,
)
from nodes.agents import ConfigError, resolve_agent, resolve_intent
from persistence.store import (
    DEFAULT_PROJECT,
    ArtifactStore,
    StoreError,
    default_data_dir,
    validate_project_id,
)
from providers.keypool import ProviderError
from tools.schemas import ARTIFACT_TYPES

app = typer.Typer(
    name="ohm",
    help="Ohm: an assistant for people who build hardware. Describe a project, keep "
    "talking, and a line of specialists plans parts, wiring and firmware as versioned "
    "artifacts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
projects_app = typer.Typer(help="List, create, rename and delete projects.")
artifacts_app = typer.Typer(
    help="Look at, and export, a project's artifacts.", no_args_is_help=True
)
app.add_typer(projects_app, name="projects")
app.add_typer(artifacts_app, name="artifacts")
app.add_typer(check_app, name="check")
app.command("route")(route_command)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

ProjectOpt = Annotated[str, typer.Option("--project", "-p", help="Project id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
ThreadOpt = Annotated[str, typer.Option("--thread", "-t", help="Thread id.")]

_offline_noted = False


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _guard(fn: Callable[[], T]) -> T:
    """Run ``fn`` and turn every expected failure into one line and an exit code."""
    try:
        return fn()
    except typer.Exit:
        raise
    except TurnError as exc:
        fail(exc.event.message)
    except (StoreError, ConfigError, ProviderError, ValueError, OSError) as exc:
        fail(str(exc) or type(exc).__name__)
    except KeyboardInterrupt:
        fail("interrupted; everything already saved is kept", 130)


def _store() -> ArtifactStore:
    return ArtifactStore.open()


def _note_offline(json_mode: bool) -> None:
    global _offline_noted
    from providers.factory import get_factory

    factory = get_factory()
    if factory.offline and not _offline_noted:
        _offline_noted = True
        err.print(
            "[yellow]offline:[/] no Bytez key set (or OHM_OFFLINE=1); answers come from Ohm's "
            "built-in simulator, not a language model."
        )


def _require_project(store: ArtifactStore, project: str) -> None:
    validate_project_id(project)
    if project == DEFAULT_PROJECT:
        store.ensure_project(project)
        return
    if not store.has_project(project):
        fail(f"unknown project {project!r}; create it with `ohm projects create {project}`")


def _jprint(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------- rendering


class TurnPrinter:
    """Shows a turn's events as they arrive: who answers, the text, tools, artifacts."""

    def __init__(self, verbose: bool = True) -> None:
        self.verbose = verbose
        self._in_text = False

    def _end_text(self) -> None:
        if self._in_text:
            out.print()
            self._in_text = False

    def __call__(self, ev: OhmEvent) -> None:
        if isinstance(ev, AgentSelected):
            self._end_text()
            why = f" - {ev.reason}" if ev.reason else ""
            label = f"{ev.intent or 'kickoff'}, {ev.route}{why}"
            out.print(f"[bold cyan]{ev.agent}[/] [dim]({escape(label)})[/]")
        elif isinstance(ev, TextDelta):
            self._in_text = True
            out.print(escape(ev.text), end="")
        elif isinstance(ev, ToolCalled) and self.verbose:
            self._end_text()
            args = ", ".join(f"{k}={v}" for k, v in ev.args.items() if k != "content")
            out.print(f"  [dim]→ {ev.tool}({escape(args)})[/]")
        elif isinstance(ev, ToolResult) and self.verbose and not ev.ok:
            self._end_text()
            out.print(f"  [yellow]✗ {ev.tool}: {escape(ev.summary)}[/]")
        elif isinstance(ev, ArtifactWritten):
            self._end_text()
            name = ev.artifact_type + (f" {ev.path}" if ev.path else "")
            what = "deleted" if ev.deleted else f"saved v{ev.version}"
            flag = f" [red]({ev.errors} check error(s))[/]" if ev.errors else ""
            out.print(f"  [green]✓ {escape(name)} {what}[/]{flag}")
        elif isinstance(ev, KeyRotation):
            self._end_text()
            out.print(
                f"  [dim]key {ev.from_key} → {ev.to_key or 'another key'} ({escape(ev.reason)})[/]"
            )
        elif isinstance(ev, TurnFinished):
            self._end_text()
            if ev.result.limited:
                out.print("[yellow]The specialist reached its step limit this turn.[/]")
        elif isinstance(ev, ErrorEvent):
            self._end_text()


async def _drive(
    stream: AsyncIterator[OhmEvent], json_mode: bool, printer: TurnPrinter | None
) -> TurnResult:
    result: TurnResult | None = None
    async for ev in stream:
        if printer is not None and not json_mode:
            printer(ev)
        if isinstance(ev, ErrorEvent):
            raise TurnError(ev, "")
        if isinstance(ev, TurnFinished):
            result = ev.result
    if result is None:
        raise TurnError(ErrorEvent(kind="internal", message="the turn ended early"), "")
    return result


def _emit_result(result: TurnResult, json_mode: bool) -> None:
    if json_mode:
        _jprint(result.model_dump(mode="json"))


# ---------------------------------------------------------------------- commands


@app.command()
def ask(
    messages: Annotated[list[str], typer.Argument(help="One or more messages, one turn each.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    thread: Annotated[
        str | None, typer.Option("--thread", "-t", help="Thread id (new if omitted).")
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--agent", "-a", help="Force a specialist: bom, code, wiring, debug, chat."),
    ] = None,
    json_mode: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide tool calls.")] = False,
) -> None:
    """Send messages to the assembly line, one turn each, in one thread."""

    def run() -> None:
        if any(not m.strip() for m in messages):
            fail("a message is empty", 2)
        if agent:
            resolve_agent(agent)
        store = _store()
        _require_project(store, project)
        _note_offline(json_mode)
        asyncio.run(_ask(messages, project, thread, agent, json_mode, not quiet, store))

    _guard(run)


async def _ask(
    messages: list[str],
    project: str,
    thread: str | None,
    agent: str | None,
    json_mode: bool,
    verbose: bool,
    store: ArtifactStore,
) -> None:
    thread_id = thread or uuid.uuid4().hex[:12]
    async with AssemblyLine(store=store) as line:
        for msg in messages:
            if not json_mode:
                out.print(f"[bold]you[/] [dim]({project}/{thread_id})[/]: {escape(msg)}")
            try:
                result = await _drive(
                    line.astream(msg, project=project, thread=thread_id, agent=agent),
                    json_mode,
                    TurnPrinter(verbose),
                )
            except TurnError as exc:
                raise TurnError(exc.event, thread_id) from None
            _emit_result(result, json_mode)
            if not json_mode:
                out.print()


@app.command()
def chat(
    project: ProjectOpt = DEFAULT_PROJECT,
    thread: Annotated[str | None, typer.Option("--thread", "-t", help="Thread id.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", "-a", help="Force a specialist.")] = None,
) -> None:
    """Talk with the assembly line interactively (Ctrl-D or 'exit' to leave)."""

    def run() -> None:
        if agent:
            resolve_agent(agent)
        store = _store()
        _require_project(store, project)
        _note_offline(False)
        asyncio.run(_chat(project, thread, agent, store))

    _guard(run)


async def _chat(project: str, thread: str | None, agent: str | None, store: ArtifactStore) -> None:
    thread_id = thread or uuid.uuid4().hex[:12]
    out.print(f"[dim]project {project}, thread {thread_id}. Type 'exit' to leave.[/]")
    async with AssemblyLine(store=store) as line:
        while True:
            try:
                msg = await asyncio.to_thread(input, "you> ")
            except EOFError:
                out.print()
                return
            if msg.strip().lower() in ("exit", "quit"):
                return
            if not msg.strip():
                continue
            try:
                await _drive(
                    line.astream(msg, project=project, thread=thread_id, agent=agent),
                    False,
                    TurnPrinter(True),
                )
            except TurnError as exc:
                err.print(f"[bold red]error:[/] {escape(exc.event.message)}")
            out.print()


@projects_app.callback(invoke_without_command=True)
def projects(ctx: typer.Context, json_mode: JsonOpt = False) -> None:
    """List projects (or use a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return

    def run() -> None:
        rows = _store().list_projects()
        if json_mode:
            _jprint(
                [
                    {
                        "id": p.id,
                        "name": p.name,
                        "threads": p.thread_count,
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
        table = Table("id", "name", "threads", "artifacts", "updated")
        for p in rows:
            table.add_row(
                escape(p.id),
                escape(p.name),
                str(p.thread_count),
                str(p.artifact_count),
                p.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
        out.print(table)

    _guard(run)


@projects_app.command("create")
def projects_create(
    project_id: Annotated[str, typer.Argument(help="Project id: lowercase letters, digits, -_.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a project."""
    _guard(lambda: out.print(f"created project {_store().create_project(project_id, name).id}"))


@projects_app.command("rename")
def projects_rename(
    project_id: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Argument(help="New display name.")],
) -> None:
    """Change a project's display name."""
    _guard(
        lambda: out.print(
            f"renamed {project_id} to {_store().rename_project(project_id, name).name}"
        )
    )


@projects_app.command("delete")
def projects_delete(
    project_id: Annotated[str, typer.Argument()],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a project with all its threads and artifact versions."""

    def run() -> None:
        store = _store()
        store.get_project(project_id)
        if not yes and not typer.confirm(f"Delete project {project_id!r} and all its artifacts?"):
            fail("not deleted", 1)
        store.delete_project(project_id)
        out.print(f"deleted project {project_id}")

    _guard(run)


@app.command()
def threads(project: ProjectOpt = DEFAULT_PROJECT, json_mode: JsonOpt = False) -> None:
    """List a project's threads."""

    def run() -> None:
        store = _store()
        store.get_project(project)
        rows = store.list_threads(project)
        if json_mode:
            _jprint(
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

    _guard(run)


# -------------------------------------------------------------------- artifacts


def _check_type(artifact_type: str) -> str:
    if artifact_type not in ARTIFACT_TYPES:
        fail(
            f"unknown artifact type {artifact_type!r}; choose one of: {', '.join(ARTIFACT_TYPES)}",
            2,
        )
    return artifact_type


@artifacts_app.command("list")
def artifacts_list(project: ProjectOpt = DEFAULT_PROJECT, json_mode: JsonOpt = False) -> None:
    """List the latest version of each artifact."""

    def run() -> None:
        store = _store()
        store.get_project(project)
        rows = store.list_latest(project)
        if json_mode:
            _jprint(
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

    _guard(run)


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
        _check_type(artifact_type)
        store = _store()
        store.get_project(project)
        p = path or ""
        if artifact_type == "code" and not p:
            files = [v for v in store.list_latest(project) if v.type == "code"]
            if not files:
                fail(f"project {project} has no code yet")
            paths = ", ".join(f.path for f in files)
            fail(f"code has several files; choose one with --path ({paths})", 2)
        v = (
            store.get_version(project, artifact_type, version, p)
            if version
            else store.latest(project, artifact_type, p)
        )
        if v is None:
            what = f"{artifact_type}{' ' + p if p else ''}"
            fail(f"project {project} has no {what}{f' version {version}' if version else ''}")
        if json_mode:
            _jprint(
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

    _guard(run)


@artifacts_app.command("versions")
def artifacts_versions(
    artifact_type: Annotated[str, typer.Argument()],
    project: ProjectOpt = DEFAULT_PROJECT,
    path: Annotated[str | None, typer.Option(help="For code: the file path.")] = None,
    json_mode: JsonOpt = False,
) -> None:
    """List every version of one artifact, with who wrote it."""

    def run() -> None:
        _check_type(artifact_type)
        store = _store()
        store.get_project(project)
        rows = store.history(project, artifact_type, path or "")
        if json_mode:
            _jprint(
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

    _guard(run)


@artifacts_app.command("export")
def artifacts_export(
    project: ProjectOpt = DEFAULT_PROJECT,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.")] = Path(
        "ohm-export"
    ),
) -> None:
    """Write the project's artifacts to a folder (documents, parts list, wiring, code)."""

    def run() -> None:
        from app.export import export_artifacts

        store = _store()
        store.get_project(project)
        written = export_artifacts(store, project, out_dir)
        for p in written:
            out.print(f"wrote {escape(str(p))}")
        out.print(f"[green]{len(written)} file(s) in {escape(str(out_dir))}[/]")

    _guard(run)


# ----------------------------------------------------------------- time travel


@app.command()
def history(
    thread: ThreadOpt,
    checkpoint: Annotated[
        str | None,
        typer.Option(
            "--checkpoint",
            "-c",
            help="List the project's artifacts as they were at this checkpoint instead.",
        ),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Show a thread's checkpoints: step, node, intent, agent and artifacts written.

    With --checkpoint, show the artifacts as they were when that checkpoint was saved: the
    versions on its own branch up to it, plus other threads' versions written before it.
    """

    def run() -> None:
        if checkpoint:
            _show_artifacts_at(thread, checkpoint, json_mode)
            return
        rows = asyncio.run(_history(thread))
        if json_mode:
            _jprint([r.as_dict() for r in rows])
            return
        table = Table("step", "checkpoint", "node", "intent", "agent", "wrote", "message")
        for r in rows:
            wrote = ", ".join(
                f"{a['type']}{' ' + a['path'] if a.get('path') else ''} v{a['version']}"
                for a in r.artifacts
            )
            table.add_row(
                str(r.step),
                r.checkpoint_id,
                r.node,
                (r.intent or "")
                + (f" (local {r.route_confidence:.2f})" if r.route == "local" else ""),
                r.agent or "",
                escape(wrote),
                escape(r.message[:60]),
            )
        out.print(table)

    _guard(run)


async def _history(thread: str) -> list[Any]:
    async with AssemblyLine() as line:
        return await line.ahistory(thread)


def _show_artifacts_at(thread: str, checkpoint: str, json_mode: bool) -> None:
    async def go() -> list[Any]:
        async with AssemblyLine() as line:
            return await line.aartifacts_at(thread, checkpoint)

    rows = asyncio.run(go())
    if json_mode:
        _jprint(
            [
                {
                    **v.summary(),
                    "thread_id": v.thread_id,
                    "checkpoint_id": v.checkpoint_id,
                    "created_at": v.created_at.isoformat(),
                    "content": json.loads(v.content)
                    if v.type in ("bom", "wiring") and v.content
                    else v.content,
                }
                for v in rows
            ]
        )
        return
    if not rows:
        out.print(f"No artifacts existed at checkpoint {escape(checkpoint)}.")
        return
    table = Table("type", "path", "version", "by", "thread", "saved")
    for v in rows:
        table.add_row(
            v.type,
            escape(v.path),
            str(v.version),
            v.agent or "user",
            v.thread_id or "",
            v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    out.print(table)


@app.command()
def replay(
    thread: ThreadOpt,
    checkpoint: Annotated[str, typer.Option("--checkpoint", "-c", help="Checkpoint id.")],
    intent: Annotated[
        str | None,
        typer.Option(
            "--intent", "-i", help="Fork as if the classifier had said BOM/CODE/WIRING/DEBUG/CHAT."
        ),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Run a thread again from a checkpoint, or fork it to another specialist."""

    def run() -> None:
        if intent:
            resolve_intent(intent)
        _note_offline(json_mode)

        async def go() -> TurnResult:
            async with AssemblyLine() as line:
                return await _drive(
                    line.areplay_stream(thread, checkpoint, intent=intent), json_mode, TurnPrinter()
                )

        _emit_result(asyncio.run(go()), json_mode)

    _guard(run)


@app.command()
def resume(thread: ThreadOpt, json_mode: JsonOpt = False) -> None:
    """Finish a turn that stopped part way (for example when no key was available)."""

    def run() -> None:
        _note_offline(json_mode)

        async def go() -> TurnResult:
            async with AssemblyLine() as line:
                return await line.aresume(thread)

        result = asyncio.run(go())
        if json_mode:
            _emit_result(result, True)
        else:
            out.print(f"[bold cyan]{result.agent}[/]: {escape(result.reply)}")

    _guard(run)


# ------------------------------------------------------------------------- demo


DEMO_SCRIPT = (
    "I want to build a soil-moisture monitor on an ESP32 that waters my plants when the "
    "soil gets dry.",
    "What parts do I need?",
    "How do I wire it all up?",
    "Great, now write the firmware.",
    "The OLED stays blank and the moisture reading is always 0. What's wrong?",
)


@app.command()
def demo(
    project: ProjectOpt = "demo",
    json_mode: JsonOpt = False,
) -> None:
    """Run an offline multi-turn session (idea, parts, wiring, code, a debugging question)."""

    def run() -> None:
        os.environ.setdefault("OHM_OFFLINE", "1")
        store = _store()
        store.ensure_project(project, "Demo: plant watering monitor")
        _note_offline(json_mode)
        thread_id = "demo-" + uuid.uuid4().hex[:8]

        async def go() -> list[TurnResult]:
            results = []
            async with AssemblyLine(store=store) as line:
                for msg in DEMO_SCRIPT:
                    if not json_mode:
                        out.rule(f"[bold]you[/]: {escape(msg)}", align="left")
                    try:
                        r = await _drive(
                            line.astream(msg, project=project, thread=thread_id),
                            json_mode,
                            TurnPrinter(verbose=False),
                        )
                    except TurnError as exc:
                        raise TurnError(exc.event, thread_id) from None
                    _emit_result(r, json_mode)
                    results.append(r)
            return results

        results = asyncio.run(go())
        if json_mode:
            return
        out.rule("[bold]what each agent did[/]", align="left")
        table = Table("turn", "agent", "route", "artifacts written")
        for n, r in enumerate(results, 1):
            arts = ", ".join(
                f"{a.type}{' ' + a.path if a.path else ''} v{a.version}" for a in r.artifacts
            )
            table.add_row(str(n), r.agent or "", r.route or "", arts or "-")
        out.print(table)
        where = escape(store.url)
        out.print(f"Artifacts are in {where} (project [bold]{project}[/], thread {thread_id}).")
        out.print(f"Look at them with: ohm artifacts list --project {project}")
        out.print(
            f"Export them (diagram, BOM CSV, PlatformIO folder) with: "
            f"ohm artifacts export --project {project} --out {project}-export"
        )
        out.print(f"Replay a step with: ohm history --thread {thread_id}")

    _guard(run)


@app.command()
def keys(json_mode: JsonOpt = False) -> None:
    """Show the Bytez key pool: each key masked, its state, cooldown and counters."""
    from app.keys_cli import show_keys

    _guard(lambda: show_keys(json_mode, out))


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; anything but loopback needs OHM_DASHBOARD_TOKEN."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Open the dashboard: chat with the assembly line and see every artifact in a browser."""
    from app.serve_cli import serve as run_dashboard

    _guard(lambda: run_dashboard(host, port))


class _OneLine(logging.Formatter):
    """Warnings for the terminal: one line, never a traceback (those go to the log file)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage().splitlines()[0]}"


def setup_logging() -> None:
    """Warnings to stderr as one line each; details with tracebacks to ``<data dir>/ohm.log``
    when the data directory is usable (never required)."""
    root = logging.getLogger()
    if any(getattr(h, "_ohm", False) for h in root.handlers):
        return
    root.setLevel(logging.INFO)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.WARNING)
    terminal.setFormatter(_OneLine())
    terminal._ohm = True  # type: ignore[attr-defined]
    root.addHandler(terminal)
    try:
        data_dir = default_data_dir()
        if data_dir.is_dir() and os.access(data_dir, os.W_OK):
            detail = logging.FileHandler(data_dir / "ohm.log", encoding="utf-8")
            detail.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            root.addHandler(detail)
    except OSError:
        pass
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main() -> None:
    setup_logging()
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
