"""The factory's models skip the OpenAI SDK's body transform; the request must not change."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from providers.factory import OhmChatOpenAI


@tool
def read_part(part_id: str, fields: list[str] | None = None) -> str:
    """Read a part from the catalog."""
    return part_id


class Decision(BaseModel):
    """Which specialist answers."""

    intent: str = Field(description="BOM, CODE, WIRING, DEBUG or CHAT")


REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "Decision", "arguments": '{"intent": "BOM"}'},
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
}

CONVERSATION = [
    SystemMessage("You help makers. Ünïcode stays as it is: 3.3 V ± 5 %"),
    HumanMessage("What parts do I need?"),
    AIMessage("", tool_calls=[{"name": "read_part", "args": {"part_id": "bme280"}, "id": "c1"}]),
    ToolMessage("bme280: 1.71–3.6 V", tool_call_id="c1"),
    HumanMessage([{"type": "text", "text": "and this?"}]),
]


def _client(bodies: list[dict[str, Any]]) -> httpx2.AsyncClient:
    def handler(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return httpx2.Response(200, json=REPLY)

    return httpx2.AsyncClient(transport=httpx2.MockTransport(handler))


def _model(cls: type[ChatOpenAI], bodies: list[dict[str, Any]], **extra: Any) -> ChatOpenAI:
    return cls(
        model="m",
        base_url="http://127.0.0.1:9/v1",
        api_key="k",
        max_retries=0,
        http_async_client=_client(bodies),
        **extra,
    )


@pytest.mark.parametrize("extra", [{}, {"extra_body": {"top_k": 5}}])
async def test_tool_bound_request_is_byte_for_byte_the_sdk_one(extra: dict[str, Any]) -> None:
    plain: list[dict[str, Any]] = []
    ours: list[dict[str, Any]] = []
    for cls, bodies in ((ChatOpenAI, plain), (OhmChatOpenAI, ours)):
        model = _model(cls, bodies, **extra).bind_tools([read_part, Decision])
        await model.ainvoke(CONVERSATION)
    assert ours == plain
    assert ours[0]["messages"][0]["content"].startswith("You help makers")
    assert {t["function"]["name"] for t in ours[0]["tools"]} == {"read_part", "Decision"}
    if extra:
        assert ours[0]["top_k"] == 5


async def test_structured_output_by_function_calling_still_parses() -> None:
    plain: list[dict[str, Any]] = []
    ours: list[dict[str, Any]] = []
    got = []
    for cls, bodies in ((ChatOpenAI, plain), (OhmChatOpenAI, ours)):
        chooser = _model(cls, bodies).with_structured_output(Decision, method="function_calling")
        got.append(await chooser.ainvoke(CONVERSATION[:2]))
    assert ours == plain
    assert got[1] == got[0] == Decision(intent="BOM")
    assert ours[0]["tool_choice"]["function"]["name"] == "Decision"


def test_transform_skipped_only_where_the_sdk_does_not_read_the_body_back() -> None:
    model = OhmChatOpenAI(model="m", base_url="http://127.0.0.1:9/v1", api_key="k")
    payload = model._get_request_payload(CONVERSATION[:2])
    assert payload["messages"] == [] and len(payload["extra_body"]["messages"]) == 2
    schema = model._get_request_payload(CONVERSATION[:2], response_format=Decision)
    assert len(schema["messages"]) == 2 and "messages" not in (schema.get("extra_body") or {})


async def test_structured_output_schema_is_converted_once_per_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langchain_core.language_models import chat_models

    import providers.factory as factory

    class Verdict(BaseModel):
        """Pass or fail."""

        ok: bool = Field(description="True when it passes")

    converted: list[Any] = []
    real = chat_models.convert_to_json_schema

    def counting(schema: Any, **kw: Any) -> dict[str, Any]:
        converted.append(schema)
        return real(schema, **kw)

    monkeypatch.setattr(chat_models, "convert_to_json_schema", counting)
    monkeypatch.setattr(factory, "convert_to_json_schema", counting)
    factory._json_schema.cache_clear()
    bodies: list[dict[str, Any]] = []
    chooser = _model(OhmChatOpenAI, bodies).with_structured_output(
        Verdict, method="function_calling", include_raw=True
    )
    for _ in range(3):
        await chooser.ainvoke(CONVERSATION[:2])
    # The class itself is converted once; every call then hands LangChain the dict.
    assert [s for s in converted if s is Verdict] == [Verdict]
    assert all(isinstance(s, dict) for s in converted if s is not Verdict)
    assert len(bodies) == 3
    assert bodies[2]["tools"][0]["function"]["parameters"]["properties"]["ok"]["type"] == "boolean"


def _answer(tool_calls: list[dict[str, Any]], content: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {**REPLY, "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def _call(name: str, arguments: str) -> dict[str, Any]:
    return {"id": "call_9", "type": "function", "function": {"name": name, "arguments": arguments}}


@pytest.mark.parametrize(
    "answer",
    [
        _answer([_call("IntentDecision", '{"intent": "WIRING", "reason": "pins"}')]),
        _answer([_call("IntentDecision", '{"intent": "SOLDER"}')]),  # not an intent
        _answer([_call("IntentDecision", '{"intent": "BOM"')]),  # cut-off arguments
        _answer([_call("read_part", '{"part_id": "x"}')]),  # another tool
        _answer([], content="BOM"),  # a provider that ignored the forced tool
    ],
)
async def test_classifier_request_and_parsing_match_structured_output(
    answer: dict[str, Any],
) -> None:
    from nodes.classifier import IntentDecision, bind_decision, parse_decision

    def client(bodies: list[dict[str, Any]]) -> httpx2.AsyncClient:
        def handler(request: httpx2.Request) -> httpx2.Response:
            bodies.append(json.loads(request.content))
            return httpx2.Response(200, json=answer)

        return httpx2.AsyncClient(transport=httpx2.MockTransport(handler))

    ref_bodies: list[dict[str, Any]] = []
    ours_bodies: list[dict[str, Any]] = []
    base = {"model": "m", "base_url": "http://127.0.0.1:9/v1", "api_key": "k", "max_retries": 0}
    ref = OhmChatOpenAI(**base, http_async_client=client(ref_bodies)).with_structured_output(
        IntentDecision, method="function_calling", include_raw=True
    )
    ours = bind_decision(OhmChatOpenAI(**base, http_async_client=client(ours_bodies)))
    want = await ref.ainvoke(CONVERSATION[:2])
    got = parse_decision(await ours.ainvoke(CONVERSATION[:2]))
    assert ours_bodies == ref_bodies
    assert got["parsed"] == want["parsed"]
    assert (got["parsing_error"] is None) == (want["parsing_error"] is None)
    assert got["raw"].content == want["raw"].content
    assert got["raw"].tool_calls == want["raw"].tool_calls
