"""Turning artifact content into HTML that is safe to put in the page.

Markdown goes through markdown-it with raw HTML switched off and then through nh3, so a
``<script>``, an ``onerror`` attribute or a ``javascript:`` link written by a model comes
out as text or not at all. Code is highlighted by Pygments, which escapes everything.
Structured artifacts are parsed into their schemas and laid out by templates, which
escape every field.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from persistence.store import VersionView
from tools.schemas import (
    STRUCTURED_TYPES,
    ArtifactContentError,
    Bom,
    Wiring,
    guess_language,
    parse_bom,
    parse_wiring,
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _markdown(breaks: bool) -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "breaks": breaks}).enable(
        ["table", "strikethrough"]
    )


def sanitize_html(html: str) -> Markup:
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(cleaned)  # nh3 output is the sanitized form


def markdown_html(text: str, *, breaks: bool = False) -> Markup:
    """Markdown written by a model or a person, as HTML that can run nothing."""
    return sanitize_html(_markdown(breaks).render(text or ""))


def safe_link(url: str | None) -> str | None:
    """An address fit for ``href``: http(s) only, anything else is shown as text."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


# ------------------------------------------------------------------------ code

FORMATTER = HtmlFormatter(cssclass="hl", linenos="table", lineanchors="", wrapcode=True)


def code_language(v: VersionView) -> str:
    return v.language or guess_language(v.path)


def highlight_code(content: str, language: str | None) -> Markup:
    try:
        lexer = get_lexer_by_name(language or "text", stripnl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False)
    return Markup(highlight(content, lexer, FORMATTER))  # Pygments escapes its input


@cache
def pygments_css() -> str:
    return str(FORMATTER.get_style_defs(".hl"))


# ------------------------------------------------------------------ structured


@dataclass(frozen=True)
class Parsed:
    """Structured content parsed into its schema, or the reason it could not be."""

    bom: Bom | None = None
    wiring: Wiring | None = None
    error: str | None = None


def parse_structured(v: VersionView) -> Parsed:
    try:
        if v.type == "bom":
            return Parsed(bom=parse_bom(v.content))
        if v.type == "wiring":
            return Parsed(wiring=parse_wiring(v.content))
    except ArtifactContentError as exc:
        head, *problems = str(exc).splitlines()
        first = problems[0].removeprefix("- ") if problems else ""
        return Parsed(error=f"{head.rstrip(':')}: {first}" if first else head)
    return Parsed()


def readable_text(v: VersionView) -> str:
    """The content as a person would diff it: structured JSON pretty-printed."""
    if v.type in STRUCTURED_TYPES and v.content.strip():
        try:
            return json.dumps(json.loads(v.content), indent=2, ensure_ascii=False)
        except json.JSONDecodeError:
            return v.content
    return v.content


def json_content(v: VersionView) -> Any:
    """Content for the JSON API: parsed JSON for structured types when it parses."""
    if v.type in STRUCTURED_TYPES and v.content.strip():
        try:
            return json.loads(v.content)
        except json.JSONDecodeError:
            return v.content
    return v.content


# ------------------------------------------------------------------------ diff

DiffKind = Literal["file", "hunk", "add", "del", "ctx"]


@dataclass(frozen=True)
class DiffLine:
    kind: DiffKind
    text: str
    old: int | None = None
    new: int | None = None


def diff_lines(old: str, new: str, old_name: str, new_name: str) -> list[DiffLine]:
    """A unified diff split into typed lines, numbered on both sides."""
    out: list[DiffLine] = []
    a, b = old.splitlines(), new.splitlines()
    o = n = 0
    for raw in difflib.unified_diff(a, b, old_name, new_name, n=3, lineterm=""):
        if raw.startswith(("--- ", "+++ ")):
            out.append(DiffLine("file", raw))
        elif raw.startswith("@@"):
            head = raw.split()
            o = abs(int(head[1].split(",")[0])) if len(head) > 1 else 0
            n = int(head[2].split(",")[0]) if len(head) > 2 else 0
            out.append(DiffLine("hunk", raw))
        elif raw.startswith("+"):
            out.append(DiffLine("add", raw[1:], None, n))
            n += 1
        elif raw.startswith("-"):
            out.append(DiffLine("del", raw[1:], o, None))
            o += 1
        else:
            out.append(DiffLine("ctx", raw[1:], o, n))
            o += 1
            n += 1
    return out


def unified_diff_text(old: str, new: str, old_name: str, new_name: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), old_name, new_name, n=3, lineterm=""
        )
    )


# -------------------------------------------------------------------- findings

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def sorted_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(str(f.get("severity")), 3))


def error_count(v: VersionView) -> int:
    return sum(1 for f in v.findings if f.get("severity") == "error")


def warning_count(v: VersionView) -> int:
    return sum(1 for f in v.findings if f.get("severity") == "warning")
