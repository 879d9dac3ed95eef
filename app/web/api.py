"""The JSON API, documented by the app's OpenAPI schema at /openapi.json."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator

from graph.events import ErrorEvent, OhmEvent, TurnFinished
from graph.failures import event_status
from nodes.agents import INTENTS, resolve_agent, resolve_intent
from nodes.limits import MAX_MESSAGE_CHARS
from persistence.store import (
    InvalidIdError,
    NotFoundError,
    ProjectView,
    StoreError,
    ThreadView,
    VersionView,
    validate_project_id,
    validate_thread_id,
)
from tools.diffs import semantic_diff

from .data import (
    checked_checkpoint,
    checked_history,
    checked_project,
    checked_thread,
    checked_timeline,
    checked_version,
    thread_messages,
    transcript,
)
from .render import error_count, json_content, readable_text, unified_diff_text
from .services import Services, provider_status, services
from .uploads import AttachmentIn, uploaded

Svc = Annotated[Services, Depends(services)]
PathQuery = Annotated[str, Query(description="For code: the file path, e.g. src/main.cpp.")]


def client_header(
    x_ohm_client: Annotated[
        str, Header(description="Any value; required on requests that change data.")
    ],
) -> None:
    """Declared so the schema shows the header; the guard middleware enforces it."""


router = APIRouter(prefix="/api", tags=["api"])
changes = [Depends(client_header)]


# ----------------------------------------------------------------------- models


class ProjectOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    thread_count: int
    artifact_count: int

    @classmethod
    def of(cls, p: ProjectView) -> ProjectOut:
        return cls(**p.__dict__)


class ProjectIn(BaseModel):
    id: str = Field(description="1-64 lowercase letters, digits, '.', '_' or '-'.")
    name: str | None = Field(default=None, max_length=200)


class ProjectRename(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class ThreadOut(BaseModel):
    id: str
    project_id: str
    title: str
    current_agent: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, t: ThreadView) -> ThreadOut:
        return cls(**t.__dict__)


class ThreadRename(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class ThreadIn(BaseModel):
    id: str | None = Field(default=None, description="Leave empty for a new random id.")


class ToolOut(BaseModel):
    tool: str
    label: str
    ok: bool | None


class MessageOut(BaseModel):
    """One exchange: the person's message and the specialist's answer."""

    message: str
    agent: str | None
    intent: str | None
    route: str | None
    route_reason: str | None
    tools: list[ToolOut]
    artifacts: list[dict[str, Any]]
    reply: str
    limited: bool


class CheckpointOut(BaseModel):
    checkpoint_id: str
    parent_id: str | None
    step: int
    node: str
    next: list[str]
    intent: str | None
    agent: str | None
    route: str | None
    created_at: str | None
    message: str
    artifacts: list[dict[str, Any]]


class VersionMeta(BaseModel):
    type: str
    path: str | None
    version: int
    agent: str | None
    thread_id: str | None
    checkpoint_id: str | None
    created_at: datetime
    deleted: bool
    language: str | None
    errors: int = Field(description="Check findings of severity error.")

    @classmethod
    def of(cls, v: VersionView) -> VersionMeta:
        return cls(
            type=v.type,
            path=v.path or None,
            version=v.version,
            agent=v.agent,
            thread_id=v.thread_id,
            checkpoint_id=v.checkpoint_id,
            created_at=v.created_at,
            deleted=v.deleted,
            language=v.language,
            errors=error_count(v),
        )


class VersionOut(VersionMeta):
    content: Any = Field(description="Parsed JSON for bom and wiring, text otherwise.")
    findings: list[dict[str, Any]]

    @classmethod
    def full(cls, v: VersionView) -> VersionOut:
        return cls(**VersionMeta.of(v).model_dump(), content=json_content(v), findings=v.findings)


class DiffOut(BaseModel):
    type: str
    path: str | None
    a: int
    b: int
    diff: str = Field(description="A unified diff; empty when the versions are equal.")
    semantic: dict[str, Any] = Field(
        description="What changed in the maker's terms (tools.diffs): `kind` (bom, wiring, "
        "code or document), `same`, a one-line `summary`, then by kind: bom `parts` "
        "{added, removed, changed[{key, name, changes[{field, old, new}]}]}, `fields`, "
        "`cost` {old, new, delta}; wiring `components` {added, removed, changed}, "
        "`connections` {added[{from, to}], removed, rerouted[{kept, old, new}], changed}; "
        "code `files` [{path, status, diff}]; document `sections` [{heading, status, diff}]."
    )


class TurnIn(BaseModel):
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    agent: str | None = Field(
        default=None, description="Force a specialist: bom, code, wiring, debug or chat."
    )
    stream: bool = Field(default=True, description="False: answer with the result only.")
    attachments: list[AttachmentIn] = Field(
        default_factory=list,
        max_length=8,
        description="Files uploaded with POST .../attachments to send with this message.",
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the message is empty")
        return v


class NewTurnIn(TurnIn):
    thread_id: str | None = Field(default=None, description="Continue this thread.")


class ResumeIn(BaseModel):
    stream: bool = True


class ForkIn(BaseModel):
    intent: str | None = Field(
        default=None,
        description=f"Fork as if the classifier chose this ({', '.join(INTENTS)}); "
        "leave empty to replay the step as it was.",
    )
    stream: bool = True


class StatusOut(BaseModel):
    offline: bool
    keys: list[str] = Field(description="Bytez keys in masked form (last four characters).")


STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events, one per turn event (see the API description); "
        "or the turn's result as JSON when `stream` is false.",
        "content": {
            "text/event-stream": {
                "schema": {"type": "string"},
                "example": 'event: agent\ndata: {"type": "agent", "agent": "bom_generator", '
                '"intent": "BOM", "route": "classifier", "reason": "asks about parts"}\n\n',
            },
            "application/json": {"schema": {"type": "object"}},
        },
    },
    404: {"description": "Unknown project, thread or checkpoint."},
    409: {"description": "A turn is already running in this thread."},
}


# --------------------------------------------------------------------- projects


@router.get("/status", response_model=StatusOut, summary="Which model service answers")
async def status() -> dict[str, Any]:
    return provider_status()


@router.get("/projects", response_model=list[ProjectOut], summary="List projects")
async def list_projects(svc: Svc) -> list[ProjectOut]:
    return [ProjectOut.of(p) for p in svc.store.list_projects()]


@router.post(
    "/projects",
    response_model=ProjectOut,
    status_code=201,
    dependencies=changes,
    summary="Create a project",
)
async def create_project(body: ProjectIn, svc: Svc) -> ProjectOut:
    try:
        validate_project_id(body.id)
    except InvalidIdError as exc:
        raise StoreError(str(exc)) from None
    return ProjectOut.of(svc.store.create_project(body.id, (body.name or "").strip() or None))


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="One project")
async def get_project(project_id: str, svc: Svc) -> ProjectOut:
    return ProjectOut.of(checked_project(svc.store, project_id))


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectOut,
    dependencies=changes,
    summary="Rename a project",
)
async def rename_project(project_id: str, body: ProjectRename, svc: Svc) -> ProjectOut:
    checked_project(svc.store, project_id)
    return ProjectOut.of(svc.store.rename_project(project_id, body.name))


@router.delete(
    "/projects/{project_id}",
    status_code=204,
    dependencies=changes,
    summary="Delete a project with its threads and artifacts",
)
async def delete_project(project_id: str, svc: Svc) -> Response:
    checked_project(svc.store, project_id)
    svc.store.delete_project(project_id)
    return Response(status_code=204)


# ---------------------------------------------------------------------- threads


@router.get(
    "/projects/{project_id}/threads", response_model=list[ThreadOut], summary="List threads"
)
async def list_threads(project_id: str, svc: Svc) -> list[ThreadOut]:
    checked_project(svc.store, project_id)
    return [ThreadOut.of(t) for t in svc.store.list_threads(project_id)]


@router.post(
    "/projects/{project_id}/threads",
    response_model=ThreadOut,
    status_code=201,
    dependencies=changes,
    summary="Start a thread",
)
async def create_thread(project_id: str, body: ThreadIn, svc: Svc) -> ThreadOut:
    checked_project(svc.store, project_id)
    thread_id = body.id or uuid.uuid4().hex[:12]
    validate_thread_id(thread_id)
    if svc.store.find_thread(thread_id) is not None:
        raise StoreError(f"thread {thread_id!r} already exists")
    return ThreadOut.of(svc.store.ensure_thread(thread_id, project_id))


@router.get(
    "/projects/{project_id}/threads/{thread_id}", response_model=ThreadOut, summary="One thread"
)
async def get_thread(project_id: str, thread_id: str, svc: Svc) -> ThreadOut:
    return ThreadOut.of(checked_thread(svc.store, project_id, thread_id))


@router.patch(
    "/projects/{project_id}/threads/{thread_id}",
    response_model=ThreadOut,
    dependencies=changes,
    summary="Rename a thread (an automatic title never replaces this name)",
)
async def rename_thread(project_id: str, thread_id: str, body: ThreadRename, svc: Svc) -> ThreadOut:
    checked_thread(svc.store, project_id, thread_id)
    return ThreadOut.of(svc.store.rename_thread(thread_id, body.title))


@router.get(
    "/projects/{project_id}/threads/{thread_id}/messages",
    response_model=list[MessageOut],
    summary="The thread's conversation, one entry per exchange",
)
async def get_messages(project_id: str, thread_id: str, svc: Svc) -> list[dict[str, Any]]:
    checked_thread(svc.store, project_id, thread_id)
    return [t.as_dict() for t in transcript(await thread_messages(svc.line, thread_id))]


@router.get(
    "/projects/{project_id}/threads/{thread_id}/checkpoints",
    response_model=list[CheckpointOut],
    summary="The thread's timeline of checkpoints, oldest first",
)
async def get_checkpoints(project_id: str, thread_id: str, svc: Svc) -> list[dict[str, Any]]:
    return [
        cp.as_dict() for cp in await checked_timeline(svc.line, svc.store, project_id, thread_id)
    ]


@router.get(
    "/projects/{project_id}/threads/{thread_id}/checkpoints/{checkpoint_id}/artifacts",
    response_model=list[VersionOut],
    summary="The project's artifacts as they were at a checkpoint",
)
async def artifacts_at(
    project_id: str, thread_id: str, checkpoint_id: str, svc: Svc
) -> list[VersionOut]:
    cp, _ = await checked_checkpoint(svc.line, svc.store, project_id, thread_id, checkpoint_id)
    return [VersionOut.full(v) for v in await svc.line.aartifacts_at(thread_id, cp.checkpoint_id)]


# ------------------------------------------------------------------------ turns


async def _respond(
    svc: Services, thread_id: str, stream: bool, source: Callable[[], AsyncIterator[OhmEvent]]
) -> Response:
    queue = svc.runner.start(thread_id, source)
    head = await svc.runner.first(queue)
    if stream:
        return StreamingResponse(
            svc.runner.sse(queue, head),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )
    events = await svc.runner.collect(queue, head)
    for ev in events:
        if isinstance(ev, TurnFinished):
            return JSONResponse(ev.result.model_dump(mode="json"))
    error = next((e for e in events if isinstance(e, ErrorEvent)), None)
    message = error.message if error else "the turn ended early"
    code = event_status(error.kind if error else "")
    return JSONResponse({"detail": message}, status_code=code)


def _turn_thread(svc: Services, project_id: str, thread_id: str) -> None:
    """A thread a turn may run in: this project's, or a new id no other project uses."""
    checked_project(svc.store, project_id)
    try:
        validate_thread_id(thread_id)
    except InvalidIdError:
        raise NotFoundError(f"unknown thread {thread_id!r}") from None
    existing = svc.store.find_thread(thread_id)
    if existing is not None and existing.project_id != project_id:
        raise NotFoundError(f"unknown thread {thread_id!r} in project {project_id!r}")


async def run_turn(
    svc: Services,
    project_id: str,
    thread_id: str,
    message: str,
    agent: str | None,
    stream: bool,
    attachments: list[AttachmentIn] | None = None,
) -> Response:
    _turn_thread(svc, project_id, thread_id)
    forced = resolve_agent(agent) if agent else None
    files = await asyncio.to_thread(uploaded, svc.store, attachments) if attachments else None
    return await _respond(
        svc,
        thread_id,
        stream,
        lambda: svc.line.astream(
            message, project=project_id, thread=thread_id, agent=forced, attachments=files
        ),
    )


@router.post(
    "/projects/{project_id}/threads/{thread_id}/turns",
    dependencies=changes,
    response_model=None,
    responses=STREAM_DOC,
    summary="Send a message and stream the turn",
)
async def post_turn(project_id: str, thread_id: str, body: TurnIn, svc: Svc) -> Response:
    """Runs one turn of the assembly line in this thread (created if the id is new)."""
    return await run_turn(
        svc, project_id, thread_id, body.message, body.agent, body.stream, body.attachments
    )


@router.post(
    "/projects/{project_id}/turns",
    dependencies=changes,
    response_model=None,
    responses=STREAM_DOC,
    summary="Send a message in a new (or given) thread and stream the turn",
)
async def post_project_turn(project_id: str, body: NewTurnIn, svc: Svc) -> Response:
    """The thread id appears in the first event (`turn_started`)."""
    thread_id = body.thread_id or uuid.uuid4().hex[:12]
    return await run_turn(
        svc, project_id, thread_id, body.message, body.agent, body.stream, body.attachments
    )


@router.post(
    "/projects/{project_id}/threads/{thread_id}/checkpoints/{checkpoint_id}/fork",
    dependencies=changes,
    response_model=None,
    responses=STREAM_DOC,
    summary="Replay from a checkpoint, or fork it to another specialist",
)
async def post_fork(
    project_id: str, thread_id: str, checkpoint_id: str, body: ForkIn, svc: Svc
) -> Response:
    """Writes a new branch of the thread; nothing already saved is overwritten."""
    intent = resolve_intent(body.intent) if body.intent else None
    cp, _ = await checked_checkpoint(svc.line, svc.store, project_id, thread_id, checkpoint_id)
    return await _respond(
        svc,
        thread_id,
        body.stream,
        lambda: svc.line.areplay_stream(thread_id, cp.checkpoint_id, intent=intent),
    )


@router.post(
    "/projects/{project_id}/threads/{thread_id}/resume",
    dependencies=changes,
    response_model=None,
    responses=STREAM_DOC,
    summary="Finish a turn that stopped part way",
)
async def post_resume(project_id: str, thread_id: str, body: ResumeIn, svc: Svc) -> Response:
    """Runs the thread's unfinished turn from its last checkpoint (its message is saved),
    for example after every model key was rate-limited; 400 when nothing is unfinished."""
    checked_thread(svc.store, project_id, thread_id)
    try:
        unfinished = await svc.line.aunfinished(thread_id)
    except NotFoundError:
        unfinished = False
    if not unfinished:
        raise StoreError(f"thread {thread_id!r} has no unfinished turn")
    return await _respond(svc, thread_id, body.stream, lambda: svc.line.aresume_stream(thread_id))


# -------------------------------------------------------------------- artifacts


@router.get(
    "/projects/{project_id}/artifacts",
    response_model=list[VersionMeta],
    summary="The newest version of each artifact",
)
async def list_artifacts(project_id: str, svc: Svc) -> list[VersionMeta]:
    checked_project(svc.store, project_id)
    return [VersionMeta.of(v) for v in svc.store.list_latest(project_id)]


@router.get(
    "/projects/{project_id}/artifacts/{artifact_type}",
    response_model=VersionOut,
    summary="One artifact: the newest version, or the one asked for",
)
async def get_artifact(
    project_id: str,
    artifact_type: str,
    svc: Svc,
    path: PathQuery = "",
    version: Annotated[int | None, Query(ge=1)] = None,
) -> VersionOut:
    return VersionOut.full(checked_version(svc.store, project_id, artifact_type, path, version))


@router.get(
    "/projects/{project_id}/artifacts/{artifact_type}/versions",
    response_model=list[VersionMeta],
    summary="Every version of an artifact, with who wrote it",
)
async def list_versions(
    project_id: str, artifact_type: str, svc: Svc, path: PathQuery = ""
) -> list[VersionMeta]:
    return [VersionMeta.of(v) for v in checked_history(svc.store, project_id, artifact_type, path)]


@router.get(
    "/projects/{project_id}/artifacts/{artifact_type}/versions/{version}",
    response_model=VersionOut,
    summary="One version of an artifact",
)
async def get_version(
    project_id: str, artifact_type: str, version: int, svc: Svc, path: PathQuery = ""
) -> VersionOut:
    return VersionOut.full(checked_version(svc.store, project_id, artifact_type, path, version))


@router.get(
    "/projects/{project_id}/artifacts/{artifact_type}/diff",
    response_model=DiffOut,
    summary="A unified diff between two versions of an artifact",
)
async def get_diff(
    project_id: str,
    artifact_type: str,
    a: Annotated[int, Query(ge=1)],
    b: Annotated[int, Query(ge=1)],
    svc: Svc,
    path: PathQuery = "",
) -> DiffOut:
    old = checked_version(svc.store, project_id, artifact_type, path, a)
    new = checked_version(svc.store, project_id, artifact_type, path, b)
    return DiffOut(
        type=artifact_type,
        path=path or None,
        a=a,
        b=b,
        diff=unified_diff_text(readable_text(old), readable_text(new), f"v{a}", f"v{b}"),
        semantic=semantic_diff(artifact_type, old.content, new.content, path).as_dict(),
    )
