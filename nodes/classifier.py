"""The orchestrator: one structured-output call that picks the specialist for a message."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, SystemMessage
from openai import APIResponseValidationError
from pydantic import BaseModel, Field, ValidationError

from .agents import (
    AGENT_TO_INTENT,
    FALLBACK_INTENT,
    INTENT_TO_AGENT,
    INTENTS,
    Intent,
    agent_spec,
)
from .deps import ModelProvider
from .memo import derived

log = logging.getLogger(__name__)


class IntentDecision(BaseModel):
    """Which specialist should answer the maker's new message."""

    intent: Intent = Field(description=f"One of {', '.join(INTENTS)}.")
    reason: str = Field(default="", description="One short sentence saying why.", max_length=300)


def message_text(msg: BaseMessage) -> str:
    content = msg.content
    if isinstance(content, str):
        return content
    parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content if p is not None]
    return "".join(parts)


def last_exchange(messages: list[AnyMessage]) -> tuple[str | None, str | None]:
    """The previous user message and the final reply to it (before the newest message)."""
    human_idx = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if len(human_idx) < 2:
        return None, None
    start, end = human_idx[-2], human_idx[-1]
    user = message_text(messages[start])
    reply = None
    for m in reversed(messages[start + 1 : end]):
        if isinstance(m, AIMessage) and not m.tool_calls and message_text(m).strip():
            reply = message_text(m)
            break
    return user, reply


def classifier_input(messages: list[AnyMessage], previous_agent: str | None) -> str:
    new = message_text(messages[-1]) if messages else ""
    user, reply = last_exchange(messages)
    lines: list[str] = []
    if user is not None:
        who = previous_agent or "unknown"
        intent = AGENT_TO_INTENT.get(previous_agent or "", "none (project kickoff)")
        lines += [
            "Previous exchange:",
            f"User: {_clip(user, 600)}",
            f"Assistant (agent: {who}, intent: {intent}): {_clip(reply or '', 600)}",
            "",
        ]
    lines += ["New message:", new]
    return "\n".join(lines)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def decision_from_raw(raw: BaseMessage) -> tuple[str, str] | None:
    """(intent, reason) from an answer that did not use the decision tool as asked:
    some providers ignore a forced tool choice and answer in text (a JSON object, bare or
    fenced, or a plain intent word), and some send the call with a lower-case intent."""
    from .text_calls import text_intent

    for tc in getattr(raw, "tool_calls", None) or []:
        value = (tc.get("args") or {}).get("intent")
        if isinstance(value, str) and value.strip().upper() in INTENT_TO_AGENT:
            reason = (tc.get("args") or {}).get("reason")
            return value.strip().upper(), str(reason or "")[:300]
    return text_intent(message_text(raw), tuple(INTENT_TO_AGENT))


async def classify_intent(
    models: ModelProvider,
    messages: list[AnyMessage],
    previous_agent: str | None,
    model_overrides: dict[str, str] | None = None,
    temperature_overrides: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The state update for the routing decision; unusable output falls back to CHAT.

    Provider failures (no key available, network down) are not "unusable output": they
    propagate, because no specialist could answer either.
    """

    def prepare() -> tuple[str, Any]:
        spec = agent_spec("orchestrator", model_overrides, temperature_overrides)
        return spec.prompt, models(spec)

    system, model = await asyncio.to_thread(prepare)
    chain = derived(
        "intent",
        (model,),
        lambda: model.with_structured_output(
            IntentDecision, method="function_calling", include_raw=True
        ),
    )
    prompt = [SystemMessage(system), HumanMessage(classifier_input(messages, previous_agent))]
    problem: str
    try:
        out = await chain.ainvoke(prompt)
        parsed = out.get("parsed") if isinstance(out, dict) else None
        if isinstance(parsed, IntentDecision):
            return {
                "intent": parsed.intent,
                "agent": INTENT_TO_AGENT[parsed.intent],
                "route": "classifier",
                "route_reason": parsed.reason or f"classified as {parsed.intent}",
            }
        raw = out.get("raw") if isinstance(out, dict) else None
        decided = decision_from_raw(raw) if isinstance(raw, BaseMessage) else None
        if decided is not None:
            intent, reason = decided
            return {
                "intent": intent,
                "agent": INTENT_TO_AGENT[intent],
                "route": "classifier",
                "route_reason": reason or f"classified as {intent} (read from the reply text)",
            }
        err = out.get("parsing_error") if isinstance(out, dict) else None
        problem = f"unusable classification ({err or 'no intent returned'})"
    except (OutputParserException, ValidationError, ValueError, APIResponseValidationError) as exc:
        problem = f"unusable classification ({type(exc).__name__})"
    # Recorded in the state and on the reply (route "fallback"); not worth a warning.
    log.info("classifier fell back to %s: %s", FALLBACK_INTENT, problem)
    return {
        "intent": FALLBACK_INTENT,
        "agent": INTENT_TO_AGENT[FALLBACK_INTENT],
        "route": "fallback",
        "route_reason": f"{problem}; defaulted to {FALLBACK_INTENT}",
    }
