"""The Jinja environment: autoescaping on for every template, plus a few display filters.

Everything a model or a person wrote reaches a template as plain text and is escaped
there; the only HTML passed through is what ``render`` produced and sanitized.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from nodes.agents import AGENTS
from nodes.limits import MAX_MESSAGE_CHARS
from tools.attachments import describe_ref

from .render import safe_link

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

DOC_TITLES = {
    "context": "Project brief",
    "mvp": "MVP",
    "prd": "PRD",
    "bom": "Parts list",
    "wiring": "Wiring",
    "code": "Firmware",
    "budget": "Budget",
    "conversation_summary": "Conversation summary",
    "inspection": "Inspection",
}


def when(value: datetime | str | None) -> str:
    """A timestamp short enough for a table cell, in UTC."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M:%S")


def agent_title(name: str | None) -> str:
    if not name:
        return "you"
    spec = AGENTS.get(name)
    return spec.title if spec else name


def step_label(node: str) -> str:
    """A checkpoint's node in words: which part of the turn produced it."""
    kind, _, name = node.rpartition(":")
    fixed = {"input": "message in", "__start__": "start", "entry": "route", "classify": "classify"}
    if name in fixed:
        label = fixed[name]
    elif name.endswith("_tools"):
        label = f"{agent_title(name.removesuffix('_tools')).lower()} tools"
    elif name in AGENTS:
        label = agent_title(name)
    else:
        label = name
    return f"{kind} → {label}" if kind else label


def money(value: float | None) -> str:
    return "" if value is None else f"${value:,.2f}"


def _context(request: Request) -> dict[str, Any]:
    from .services import provider_status

    return {
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "status": provider_status(),
    }


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = when
env.filters["agent_title"] = agent_title
env.filters["money"] = money
env.filters["step_label"] = step_label
env.filters["safe_link"] = safe_link
env.filters["attachment_label"] = describe_ref
env.globals["DOC_TITLES"] = DOC_TITLES
env.globals["MAX_MESSAGE_CHARS"] = MAX_MESSAGE_CHARS
env.globals["AGENT_TITLES"] = {name: spec.title for name, spec in AGENTS.items()}

templates = Jinja2Templates(env=env, context_processors=[_context])


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return page(request, "error.html", status_code, title=title, message=message)
