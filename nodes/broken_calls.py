"""Tool calls that must not run, and calls a model printed as text.

* An answer that stopped at the model's token limit (``finish_reason: "length"``) may
  carry tool calls whose arguments were cut; the client "repairs" such JSON by closing
  it, which would save a truncated file as if it were whole. None of them runs: each gets
  an error result telling the model its arguments were cut and to send smaller pieces.
  Calls recovered from the reply's text are the exception: each is a JSON object read
  whole by a strict parser (a cut one does not parse and is never recovered), so it runs
  even when the model then went on writing until its limit, as small models do.
* Arguments that are not JSON at all get an error result naming the parse error.
* A call printed as JSON in the reply's text is either recovered as a native call (when
  the agent is configured for it and the object fits exactly one offered tool) or the
  model is asked once to send it through the tool interface instead.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from .agents import AgentSpec
from .classifier import message_text
from .text_calls import looks_like_text_call, text_tool_calls, without_calls

CUT_ERROR = (
    "your answer reached its token limit ({tokens} tokens) while you were writing the "
    "arguments of this call, so they were cut off; Ohm did not run it and nothing was saved"
)
CUT_HINT = (
    "Send smaller pieces: one code file per call, or a short first version and then "
    "'append' or 'merge' writes that add the rest."
)
NEVER_RECOVERED = frozenset({"delete"})
"""Tools whose calls printed as text are never run: a model that prints calls also prints
them in examples and plans, and a removal read from prose is not worth that risk. The
model is asked to send such a call through the tool interface instead."""
RECOVERED = "ohm_recovered_calls"
"""Set in an answer's metadata when its tool calls were recovered from its text."""
BAD_JSON_ERROR = "the arguments of this call are not valid JSON ({detail}); Ohm did not run it"
BAD_JSON_HINT = "Call the tool again with a JSON object as its arguments."
TEXT_CALL_NOTE = (
    "[Ohm] Your last answer printed a tool call as JSON text, so nothing was run or saved. "
    "Do not print tool calls: call the tool through the tool interface."
)


def finish_reason(msg: AIMessage) -> str | None:
    value = msg.response_metadata.get("finish_reason")
    return str(value) if value else None


def _result(error: str, hint: str) -> str:
    return json.dumps({"ok": False, "error": error, "hint": hint})


def refused_calls(response: AIMessage, max_tokens: int) -> list[ToolMessage]:
    """Error results for the calls in ``response`` that must not run (empty when all may).

    Every call of an answer cut at its token limit is refused, even one whose arguments
    happen to parse: the model may have meant more. Calls recovered from the text
    (``native_calls``) are not: each was printed and parsed whole. Calls whose arguments
    are not JSON are refused always. Calls without an id get one, so the results can
    answer them."""
    cut = finish_reason(response) == "length"
    whole = bool(response.response_metadata.get(RECOVERED))
    out: list[ToolMessage] = []
    for i, tc in enumerate(response.invalid_tool_calls):
        if not tc.get("id"):
            tc["id"] = f"call_invalid_{i}"
        error = (
            CUT_ERROR.format(tokens=max_tokens)
            if cut
            else BAD_JSON_ERROR.format(detail=tc.get("error") or "unreadable")
        )
        hint = CUT_HINT if cut else BAD_JSON_HINT
        out.append(_message(str(tc["id"]), tc.get("name") or "unknown", error, hint))
    if cut and not whole:
        for call in response.tool_calls:
            error = CUT_ERROR.format(tokens=max_tokens)
            out.append(_message(str(call.get("id") or ""), call["name"], error, CUT_HINT))
    return out


def _message(call_id: str, name: str, error: str, hint: str) -> ToolMessage:
    return ToolMessage(_result(error, hint), tool_call_id=call_id, name=name, status="error")


Ask = Callable[[list[BaseMessage]], Awaitable[Any]]


async def native_calls(
    response: AIMessage, spec: AgentSpec, tools: Sequence[Any], steps: int, ask: Ask
) -> tuple[AIMessage, int]:
    """``response`` with tool calls printed as text dealt with: recovered as native calls
    when ``spec.recover_text_tool_calls`` is set and every printed object fits exactly one
    tool, else (while the step budget allows) the model is asked once more with a note,
    and its new answer replaces the printed one. Returns the answer and the step count."""
    if response.tool_calls or response.invalid_tool_calls or not tools:
        return response, steps
    text = message_text(response)
    if "{" not in text:
        return response, steps
    if spec.recover_text_tool_calls:
        recoverable = [t for t in tools if getattr(t, "name", None) not in NEVER_RECOVERED]
        calls = text_tool_calls(text, recoverable)
        if calls:
            recovered = AIMessage(
                content=without_calls(text),
                tool_calls=[c.as_tool_call() for c in calls],
                id=response.id,
                response_metadata={**response.response_metadata, RECOVERED: True},
            )
            return recovered, steps
    if steps >= spec.max_steps or not looks_like_text_call(text, tools):
        return response, steps
    again = await ask([AIMessage(text), HumanMessage(TEXT_CALL_NOTE)])
    if not isinstance(again, AIMessage):
        again = AIMessage(message_text(again))
    return again, steps + 1
