"""Server-rendered pages: projects, the project workspace, artifacts, versions and diffs."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.requests import Request

from graph.assembly_line import CheckpointInfo
from nodes.agents import AGENT_TO_INTENT, AGENTS, INTENT_TO_AGENT, INTENTS
from persistence.store import InvalidIdError, NotFoundError, StoreError
from tools.schemas import ArtifactContentError, parse_wiring

from .data import (
    checked_checkpoint,
    checked_history,
    checked_project,
    checked_thread,
    checked_timeline,
    checked_type,
    checked_version,
    thread_messages,
    transcript,
)
from .diagram import render_wiring_svg, wiring_svg_renderer
from .diffview import semantic_view
from .drawers import build_drawer, build_drawers, panel_for
from .render import diff_lines, markdown_html, readable_text
from .security import login_page, require_form_csrf, set_login_cookie
from .services import Services, services
from .templating import DOC_TITLES, page
from .timeline import thread_timeline

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Csrf = Depends(require_form_csrf)
PathQuery = Annotated[str, Query()]

FORCE_CHOICES = [("", "Auto (classifier)")] + [
    (AGENT_TO_INTENT[a].lower(), AGENTS[a].title) for a in INTENT_TO_AGENT.values()
]
INTENT_CHOICES = [(i, AGENTS[INTENT_TO_AGENT[i]].title) for i in INTENTS]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def artifact_url(project_id: str, artifact_type: str, path: str = "", **params: Any) -> str:
    query = {k: v for k, v in {"path": path, **params}.items() if v not in ("", None)}
    base = f"/projects/{quote(project_id)}/artifacts/{quote(artifact_type)}"
    return base + (f"?{urlencode(query)}" if query else "")


# ----------------------------------------------------------------------- login


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    if request.app.state.ohm.config.token is None:
        return _see_other("/")
    return login_page(request, next, failed=False)


@router.post("/login", dependencies=[Csrf])
async def login(
    request: Request,
    svc: Svc,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if svc.config.token is None:
        return _see_other("/")
    if not svc.config.token_matches(token.strip()):
        return login_page(request, next, failed=True)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = _see_other(target)
    set_login_cookie(response, svc.config)
    return response


# -------------------------------------------------------------------- projects


def projects_page(
    request: Request, svc: Services, error: str | None = None, status_code: int = 200, **form: str
) -> HTMLResponse:
    projects = svc.store.list_projects()
    threads = {p.id: svc.store.list_threads(p.id) for p in projects}
    return page(
        request,
        "projects.html",
        status_code,
        projects=projects,
        threads=threads,
        error=error,
        form=form,
    )


@router.get("/")
async def home(request: Request, svc: Svc) -> HTMLResponse:
    return projects_page(request, svc)


@router.post("/projects", dependencies=[Csrf])
async def create_project(
    request: Request,
    svc: Svc,
    project_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    pid = project_id.strip()
    try:
        svc.store.create_project(pid, name.strip() or None)
    except (InvalidIdError, StoreError) as exc:
        return projects_page(request, svc, str(exc), 400, project_id=pid, name=name)
    return _see_other(f"/projects/{quote(pid)}")


@router.post("/projects/{project_id}/rename", dependencies=[Csrf])
async def rename_project(
    request: Request, project_id: str, svc: Svc, name: Annotated[str, Form()] = ""
) -> Response:
    checked_project(svc.store, project_id)
    try:
        svc.store.rename_project(project_id, name)
    except StoreError as exc:
        return projects_page(request, svc, str(exc), 400)
    return _see_other("/")


@router.get("/projects/{project_id}/delete")
async def confirm_delete(request: Request, project_id: str, svc: Svc) -> HTMLResponse:
    project = checked_project(svc.store, project_id)
    return page(request, "delete.html", project=project, error=None)


@router.post("/projects/{project_id}/delete", dependencies=[Csrf])
async def delete_project(
    request: Request, project_id: str, svc: Svc, confirm: Annotated[str, Form()] = ""
) -> Response:
    project = checked_project(svc.store, project_id)
    if confirm.strip() != project_id:
        return page(
            request,
            "delete.html",
            400,
            project=project,
            error=f"type the project id '{project_id}' to confirm",
        )
    svc.store.delete_project(project_id)
    return _see_other("/")


# ------------------------------------------------------------------- workspace


def can_fork(cp: CheckpointInfo) -> bool:
    """Inside a turn (after routing), where forking to another specialist makes sense."""
    return cp.node not in ("input", "__start__", "?")


async def workspace(
    request: Request,
    svc: Services,
    project_id: str,
    thread_id: str,
    *,
    draft: bool = False,
    checkpoint_id: str | None = None,
) -> HTMLResponse:
    project = checked_project(svc.store, project_id)
    timeline: list[CheckpointInfo] = []
    checkpoint: CheckpointInfo | None = None
    thread = None
    if not draft:
        thread = checked_thread(svc.store, project_id, thread_id)
        if checkpoint_id:
            checkpoint, timeline = await checked_checkpoint(
                svc.line, svc.store, project_id, thread_id, checkpoint_id
            )
        else:
            timeline = await checked_timeline(svc.line, svc.store, project_id, thread_id)
    if checkpoint is not None:
        versions = await svc.line.aartifacts_at(thread_id, checkpoint.checkpoint_id)
    else:
        versions = svc.store.list_latest(project_id)
    turns = transcript(await thread_messages(svc.line, thread_id, checkpoint_id)) if thread else []
    return page(
        request,
        "project.html",
        project=project,
        threads=svc.store.list_threads(project_id),
        thread=thread,
        thread_id=thread_id,
        turns=turns,
        timeline=thread_timeline(
            svc.store,
            project_id,
            thread_id,
            timeline,
            checkpoint.checkpoint_id if checkpoint else None,
        ),
        checkpoint=checkpoint,
        can_fork=can_fork(checkpoint) if checkpoint else False,
        drawers=build_drawers(svc.store, versions),
        force_choices=FORCE_CHOICES,
        intent_choices=INTENT_CHOICES,
        busy=svc.runner.busy(thread_id),
    )


@router.get("/projects/{project_id}")
async def project_home(project_id: str, svc: Svc) -> Response:
    checked_project(svc.store, project_id)
    threads = svc.store.list_threads(project_id)
    if threads:
        return _see_other(f"/projects/{quote(project_id)}/threads/{quote(threads[0].id)}")
    return _see_other(f"/projects/{quote(project_id)}/new")


@router.get("/projects/{project_id}/new")
async def new_thread(request: Request, project_id: str, svc: Svc) -> HTMLResponse:
    return await workspace(request, svc, project_id, uuid.uuid4().hex[:12], draft=True)


@router.get("/projects/{project_id}/threads/{thread_id}")
async def thread_page(request: Request, project_id: str, thread_id: str, svc: Svc) -> HTMLResponse:
    return await workspace(request, svc, project_id, thread_id)


@router.get("/projects/{project_id}/threads/{thread_id}/checkpoints/{checkpoint_id}")
async def checkpoint_page(
    request: Request, project_id: str, thread_id: str, checkpoint_id: str, svc: Svc
) -> HTMLResponse:
    return await workspace(request, svc, project_id, thread_id, checkpoint_id=checkpoint_id)


@router.get("/projects/{project_id}/threads/{thread_id}/sidebar")
async def sidebar_fragment(
    request: Request, project_id: str, thread_id: str, svc: Svc
) -> HTMLResponse:
    """The thread list and timeline, refreshed by the page after each turn."""
    project = checked_project(svc.store, project_id)
    thread = checked_thread(svc.store, project_id, thread_id)
    timeline = await checked_timeline(svc.line, svc.store, project_id, thread_id)
    return page(
        request,
        "_sidebar.html",
        project=project,
        threads=svc.store.list_threads(project_id),
        thread=thread,
        thread_id=thread_id,
        timeline=thread_timeline(svc.store, project_id, thread_id, timeline),
        checkpoint=None,
    )


@router.get("/projects/{project_id}/drawers/{artifact_type}")
async def drawer_fragment(
    request: Request, project_id: str, artifact_type: str, svc: Svc
) -> HTMLResponse:
    project = checked_project(svc.store, project_id)
    checked_type(artifact_type)
    versions = [v for v in svc.store.list_latest(project_id) if v.type == artifact_type]
    drawer = build_drawer(svc.store, artifact_type, versions)
    return page(request, "_drawer.html", project=project, drawer=drawer, checkpoint=None)


# ------------------------------------------------------------------- artifacts


@router.get("/projects/{project_id}/artifacts/{artifact_type}")
async def artifact_page(
    request: Request,
    project_id: str,
    artifact_type: str,
    svc: Svc,
    path: PathQuery = "",
    version: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    project = checked_project(svc.store, project_id)
    v = checked_version(svc.store, project_id, artifact_type, path, version)
    panel = panel_for(svc.store, v)
    return page(
        request,
        "artifact.html",
        project=project,
        panel=panel,
        title=DOC_TITLES.get(artifact_type, artifact_type),
        diagram=artifact_type == "wiring" and not v.deleted and wiring_svg_renderer() is not None,
    )


@router.get("/projects/{project_id}/artifacts/{artifact_type}/diff")
async def diff_page(
    request: Request,
    project_id: str,
    artifact_type: str,
    svc: Svc,
    a: Annotated[int, Query(ge=1)],
    b: Annotated[int, Query(ge=1)],
    path: PathQuery = "",
) -> HTMLResponse:
    project = checked_project(svc.store, project_id)
    old = checked_version(svc.store, project_id, artifact_type, path, a)
    new = checked_version(svc.store, project_id, artifact_type, path, b)
    lines = diff_lines(readable_text(old), readable_text(new), f"v{a}", f"v{b}")
    semantic = semantic_view(artifact_type, old.content, new.content, path)
    return page(
        request,
        "diff.html",
        project=project,
        old=old,
        new=new,
        lines=[ln for ln in lines if ln.kind != "file"],
        added=sum(1 for ln in lines if ln.kind == "add"),
        removed=sum(1 for ln in lines if ln.kind == "del"),
        semantic=semantic,
        history=checked_history(svc.store, project_id, artifact_type, path),
        title=DOC_TITLES.get(artifact_type, artifact_type),
    )


@router.get("/projects/{project_id}/artifacts/{artifact_type}/download")
async def download(
    project_id: str,
    artifact_type: str,
    svc: Svc,
    path: PathQuery = "",
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    v = checked_version(svc.store, project_id, artifact_type, path, version)
    if v.deleted:
        raise NotFoundError(f"{artifact_type} {path} v{v.version} is a deletion")
    name = (path.rsplit("/", 1)[-1] if path else f"{artifact_type}") or artifact_type
    if not path:
        name += ".json" if artifact_type in ("bom", "wiring") else ".md"
    return Response(
        readable_text(v),
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/projects/{project_id}/code.zip")
async def code_zip(project_id: str, svc: Svc) -> Response:
    checked_project(svc.store, project_id)
    files = [v for v in svc.store.list_latest(project_id) if v.type == "code"]
    if not files:
        raise NotFoundError(f"project {project_id!r} has no code yet")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for v in files:
            zf.writestr(f"{project_id}/{v.path}", v.content)
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{project_id}-firmware.zip"'},
    )


@router.get("/projects/{project_id}/artifacts/wiring/diagram.svg")
async def wiring_diagram(
    project_id: str,
    svc: Svc,
    version: Annotated[int | None, Query(ge=1)] = None,
    pins: Annotated[Literal["used", "all"], Query()] = "used",
) -> Response:
    v = checked_version(svc.store, project_id, "wiring", "", version)
    svg = None
    if not v.deleted:
        try:
            svg = render_wiring_svg(parse_wiring(v.content), v.findings, pins=pins)
        except ArtifactContentError:
            svg = None
    if svg is None:
        raise NotFoundError("no wiring diagram is available for this version")
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


@router.get("/docs/api")
async def api_docs(request: Request) -> HTMLResponse:
    spec = request.app.openapi()
    intro = markdown_html(spec.get("info", {}).get("description", ""))
    return page(request, "api_docs.html", spec=spec, intro=intro)
