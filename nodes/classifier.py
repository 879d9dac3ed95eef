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


def bind_decision(model: Any) -> Any:
    """The model with the decision tool forced: the request ``with_structured_output(
    IntentDecision, method="function_calling")`` sends, without its parsing chain.

    That chain (with ``include_raw``) wraps the parser in lambdas, an item getter and a
    fallback, and LangChain inspects the signature of each of them on every call, which
    cost more CPU than the rest of the routing; ``parse_decision`` does the same parsing
    directly."""
    kwargs: dict[str, Any] = {
        "tool_choice": IntentDecision.__name__,
        "parallel_tool_calls": False,
        "ls_structured_output_format": {
            "kwargs": {"method": "function_calling", "strict": None},
            "schema": IntentDecision,
        },
    }
    drop = getattr(model, "_filter_disabled_params", None)  # ChatOpenAI's per-model switches
    if callable(drop):
        kwargs = drop(**kwargs)
    return model.bind_tools([IntentDecision], **kwargs)


def parse_decision(raw: Any) -> dict[str, Any]:
    """``{"raw", "parsed", "parsing_error"}`` as ``include_raw=True`` gives them: the
    first tool call validated as an :class:`IntentDecision`, else None with the reason."""
    out: dict[str, Any] = {"raw": raw, "parsed": None, "parsing_error": None}
    if not isinstance(raw, AIMessage):
        out["parsing_error"] = f"the model answered with {type(raw).__name__}"
        return out
    if raw.additional_kwargs.get("refusal"):
        out["parsing_error"] = f"the model refused: {raw.additional_kwargs['refusal']}"
        return out
    if not raw.tool_calls:
        return out
    first = raw.tool_calls[0]
    if first.get("name") != IntentDecision.__name__:
        out["parsing_error"] = f"the model called {first.get('name')!r}, not the decision tool"
        return out
    try:
        out["parsed"] = IntentDecision.model_validate(first.get("args") or {})
    except ValidationError as exc:
        out["parsing_error"] = exc
    return out


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
    chain = derived("intent", (model,), lambda: bind_decision(model))
    prompt = [SystemMessage(system), HumanMessage(classifier_input(messages, previous_agent))]
    problem: str
    try:
        out = parse_decision(await chain.ainvoke(prompt))
        parsed = out.get("parsed")
        if isinstance(parsed, IntentDecision):
            return {
                "intent": parsed.intent,
                "agent": INTENT_TO_AGENT[parsed.intent],
                "route": "classifier",
                "route_reason": parsed.reason or f"classified as {parsed.intent}",
            }
        raw = out.get("raw")
        decided = decision_from_raw(raw) if isinstance(raw, BaseMessage) else None
        if decided is not None:
            intent, reason = decided
            return {
                "intent": intent,
                "agent": INTENT_TO_AGENT[intent],
                "route": "classifier",
                "route_reason": reason or f"classified as {intent} (read from the reply text)",
            }
        err = out.get("parsing_error")
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
