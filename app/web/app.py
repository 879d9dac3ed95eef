"""The ASGI application: pages, the JSON API, static files and the guards around them."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

from graph.assembly_line import AssemblyLine
from graph.failures import FAILURES, http_failure
from persistence.store import ArtifactStore

from . import api, attachments_api, pages
from .config import WebConfig
from .render import pygments_css
from .security import Guard, wants_json
from .services import Services
from .templating import STATIC_DIR, error_page
from .turns import TurnRunner

API_DESCRIPTION = """
Ohm's dashboard API: projects, threads, their messages, artifacts and versions, and
turns of the assembly line streamed as server-sent events.

**Authentication.** On 127.0.0.1 no token is needed. When the server was started with
`OHM_DASHBOARD_TOKEN`, send `Authorization: Bearer <token>` on every request.

**Cross-site protection.** Requests that change data (POST, PATCH, DELETE) must send the
header `X-Ohm-Client` with any value, and must not come from another origin.

**Streaming.** `POST .../turns` and `POST .../fork` answer with `text/event-stream`: one
`event:`/`data:` frame per event, `data` being the event as JSON. Event types:
`turn_started`, `agent` (agent, intent, route, reason), `text` (reply text as it arrives),
`tool_call`, `tool_result`, `artifact` (type, path, version, errors), `key_rotation`
(masked keys only), `error` (kind, message) and `done` (the turn's result, with the reply
also as sanitized HTML in `reply_html`). Send `"stream": false` to get the result as one
JSON object instead.
"""


def _one_line_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
        parts.append(f"{loc or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def _failure_classes() -> list[type[Exception]]:
    """The exception classes of :data:`graph.failures.FAILURES` (their modules imported)."""
    found: list[type[Exception]] = []
    for rule in FAILURES:
        cls = getattr(importlib.import_module(rule.module), rule.name)
        if cls not in found:
            found.append(cls)
    return found


def create_app(
    config: WebConfig | None = None,
    *,
    store: ArtifactStore | None = None,
    line: AssemblyLine | None = None,
) -> FastAPI:
    """The dashboard app; ``store`` and ``line`` default to ones opened on the data dir.

    The app opens ``line`` on startup and closes it on shutdown, on its own event loop.
    """
    config = config or WebConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_store = store is None
        st = store or ArtifactStore.open(config.data_dir)
        ln = line or AssemblyLine(data_dir=config.data_dir, store=st)
        await ln.open()
        runner = TurnRunner(ln)
        app.state.ohm = Services(config=config, store=st, line=ln, runner=runner)
        try:
            yield
        finally:
            await runner.shutdown()
            # Closed here even when passed in: its saver lives on this event loop.
            await ln.aclose()
            if own_store:
                st.close()

    app = FastAPI(
        title="Ohm dashboard",
        version="1",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )

    def problem(request: Request, status: int, title: str, message: str) -> Response:
        if wants_json(request.url.path):
            return JSONResponse({"detail": message}, status_code=status)
        return error_page(request, status, title, message)

    # Errors a person can act on: their status, title and message come from the one
    # table the CLI and the embedding API use too (graph.failures).
    for exc_type in _failure_classes():

        async def handle(request: Request, exc: Exception) -> Response:
            known = http_failure(exc)
            if known is None:  # pragma: no cover - every registered class is in the table
                raise exc
            return problem(request, *known)

        app.add_exception_handler(exc_type, handle)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return problem(request, 422, "Bad request", _one_line_validation(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed", 403: "Refused", 401: "Sign in"}
        message = str(exc.detail) if exc.detail else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"there is nothing at {request.url.path}"
        response = problem(request, exc.status_code, titles.get(exc.status_code, "Error"), message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.get("/static/pygments.css", include_in_schema=False)
    async def code_styles() -> Response:
        return PlainTextResponse(
            pygments_css(),
            media_type="text/css",
            headers={"cache-control": "public, max-age=3600"},
        )

    app.include_router(api.router)
    app.include_router(attachments_api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(Guard, config=config)
    return app
