"""The running summary: every few turns one cheap model call rewrites the project's
``conversation_summary`` artifact (goal, constraints, decisions, parts, files, open
questions), and every specialist is shown the latest one beside the recent turns.

The specialists see only the last few exchanges (``HISTORY_MESSAGES``); the summary is
what carries an early constraint to a late turn. How often it is written comes from
``OHM_SUMMARY_EVERY`` (turns; ``0`` turns it off). A failed summary call costs nothing but
the summary: the turn's reply is already in the state, and the old summary stays.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage

from persistence.store import VersionView, WriteMeta, parse_as_of
from persistence.visibility import context_cut
from providers.answers import scrub_text

from .agents import ConfigError, agent_spec
from .classifier import message_text
from .deps import Deps

log = logging.getLogger(__name__)

SUMMARY_TYPE = "conversation_summary"
SUMMARIZER = "summarizer"
DEFAULT_EVERY = 4
RECENT_MESSAGES = 16
"""Exchanges (user and reply texts) the summarizer is sent besides the old summary."""
MAX_SUMMARY_CHARS = 6000

SUMMARY_INTRO = (
    "Summary of this conversation so far (rewritten every few turns from the earlier "
    "exchanges). These are constraints and decisions the maker already settled: honour "
    "them unless the maker changes them in the recent messages."
)


def summary_every() -> int:
    """Turns between two summaries, from ``OHM_SUMMARY_EVERY``; 0 means never."""
    raw = os.environ.get("OHM_SUMMARY_EVERY", "").strip()
    if not raw:
        return DEFAULT_EVERY
    try:
        every = int(raw)
    except ValueError:
        every = -1
    if every < 0:
        raise ConfigError(
            f"OHM_SUMMARY_EVERY must be a whole number of turns (0 turns it off), got {raw!r}"
        )
    return every


def summary_due(state: dict[str, Any]) -> bool:
    """True when the turn that just ended is one after which the summary is rewritten."""
    try:
        every = summary_every()
    except ConfigError as exc:  # checked when the turn began; never fail a finished reply
        log.warning("%s", exc)
        return False
    turn = int(state.get("turn") or 0)
    return every > 0 and turn > 0 and turn % every == 0


def latest_summary(versions: list[VersionView]) -> VersionView | None:
    for v in versions:
        if v.type == SUMMARY_TYPE and not v.deleted and v.content.strip():
            return v
    return None


def summary_section(versions: list[VersionView]) -> str:
    """The part of a specialist's system prompt that shows the latest summary, or ""."""
    found = latest_summary(versions)
    if found is None:
        return ""
    return f"{SUMMARY_INTRO}\n\n{found.content.strip()}"


def _recent_lines(messages: list[AnyMessage], limit: int = RECENT_MESSAGES) -> list[str]:
    lines: list[str] = []
    for m in messages:
        if isinstance(m, HumanMessage):
            lines.append(f"User: {message_text(m).strip()}")
        elif isinstance(m, AIMessage) and not m.tool_calls and message_text(m).strip():
            agent = (m.response_metadata.get("ohm") or {}).get("agent") or "assistant"
            lines.append(f"Assistant ({agent}): {message_text(m).strip()}")
    return lines[-limit:]


def _artifact_lines(versions: list[VersionView]) -> list[str]:
    lines: list[str] = []
    for v in versions:
        if v.deleted or v.type == SUMMARY_TYPE:
            continue
        name = f"code {v.path}" if v.type == "code" else v.type
        lines.append(f"- {name} (v{v.version})")
        if v.type == "bom":
            for part in _bom_parts(v.content):
                lines.append(f"  - part: {part}")
    return lines


def _bom_parts(content: str) -> list[str]:
    try:
        data = json.loads(content)
    except ValueError:
        return []
    out: list[str] = []
    for c in (data.get("components") if isinstance(data, dict) else None) or []:
        if isinstance(c, dict) and c.get("name"):
            number = f" ({c['part_number']})" if c.get("part_number") else ""
            out.append(f"{c['name']}{number}")
    return out[:40]


def summary_request(messages: list[AnyMessage], versions: list[VersionView]) -> str:
    """The user message the summarizer is sent: old summary, artifacts, recent turns."""
    previous = latest_summary(versions)
    artifacts = _artifact_lines(versions)
    parts = [
        "Previous summary:",
        previous.content.strip() if previous else "(none yet)",
        "",
        "Saved artifacts:",
        *(artifacts or ["(none yet)"]),
        "",
        "Recent exchanges, oldest first:",
        *_recent_lines(messages),
    ]
    return "\n".join(parts)


async def write_summary(
    deps: Deps,
    state: dict[str, Any],
    project: str,
    models: dict[str, str] | None,
    temperatures: dict[str, float] | None,
    meta: WriteMeta,
    as_of: str | None = None,
    as_of_lineage: list[str] | None = None,
) -> VersionView | None:
    """Rewrite the summary with one model call; None (and a warning) when it fails.

    A replayed or forked turn (``as_of`` and ``as_of_lineage`` set, as for the
    specialists) starts from the summary and artifacts visible at its checkpoint, not from
    the latest ones, which may belong to another branch or to later turns."""
    try:

        def prepare() -> tuple[Any, str, str]:
            spec = agent_spec(SUMMARIZER, models, temperatures)
            cut = context_cut(parse_as_of(as_of), meta.thread_id, as_of_lineage)
            st = deps.store()
            versions = (
                st.list_latest(project) if cut is None else st.visible_at(project, cut, meta.run_id)
            )
            request = summary_request(list(state.get("messages") or []), versions)
            return deps.models(spec), spec.prompt, request

        model, prompt, request = await asyncio.to_thread(prepare)
        answer = await model.ainvoke([SystemMessage(prompt), HumanMessage(request)])
        text = scrub_text(message_text(answer)).strip()[:MAX_SUMMARY_CHARS]
        if not text:
            raise ValueError("the summarizer answered with no text")
        outcome = await asyncio.to_thread(
            deps.store().write, project, SUMMARY_TYPE, lambda _prev: text + "\n", meta=meta
        )
        return outcome.version
    except Exception as exc:  # the reply is already saved; only the summary is skipped
        log.warning("the conversation summary was not updated: %s", _describe(exc))
        return None


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {scrub_text(text)[:200]}" if text else type(exc).__name__
