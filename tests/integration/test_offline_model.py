"""The offline simulator speaks the chat-completions protocol that ChatOpenAI expects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from nodes.agents import AGENTS, load_prompt
from nodes.classifier import IntentDecision
from providers.factory import ModelFactory, ProviderSettings
from providers.keys import Secret
from providers.offline.server import Fault, OfflineServer


@pytest.fixture
def server() -> Iterator[OfflineServer]:
    with OfflineServer() as srv:
        yield srv


@pytest.fixture
def factory(server: OfflineServer) -> ModelFactory:
    return ModelFactory(
        ProviderSettings(
            base_url=server.base_url, keys=(Secret("sk-test-key-aaaa"),), offline=False
        )
    )


def test_plain_invoke_and_stream(factory: ModelFactory) -> None:
    model = factory.chat_model(AGENTS["conversational"])
    msgs = [SystemMessage(load_prompt("conversational")), HumanMessage("explain i2c please")]
    full = model.invoke(msgs)
    assert "SDA" in full.content
    chunks = list(model.stream(msgs))
    assert len(chunks) > 3
    assert "".join(str(c.content) for c in chunks) == full.content


async def test_tool_calls_arrive_whole_when_streamed(factory: ModelFactory) -> None:
    from tools.artifacts import build_tools

    tools = build_tools("project_initializer", AGENTS["project_initializer"].tools, lambda: None)  # type: ignore[arg-type,return-value]
    model = factory.chat_model(AGENTS["project_initializer"]).bind_tools(tools)
    msgs = [
        SystemMessage(load_prompt("project_initializer")),
        HumanMessage("a weather station with a BME280"),
    ]
    merged: Any = None
    async for chunk in model.astream(msgs):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    (tc,) = merged.tool_calls
    assert tc["name"] == "write_document" and tc["args"]["kind"] == "context"
    assert "Weather station" in tc["args"]["markdown"]


def test_structured_output_through_function_calling(factory: ModelFactory) -> None:
    model = factory.chat_model(AGENTS["orchestrator"])
    chain = model.with_structured_output(IntentDecision, method="function_calling")
    out = chain.invoke(
        [
            SystemMessage(load_prompt("orchestrator")),
            HumanMessage("New message:\nHow do I wire the sensor?"),
        ]
    )
    assert isinstance(out, IntentDecision) and out.intent == "WIRING"


def test_follow_up_stays_with_previous_intent(factory: ModelFactory) -> None:
    chain = factory.chat_model(AGENTS["orchestrator"]).with_structured_output(
        IntentDecision, method="function_calling"
    )
    prompt = (
        "Previous exchange:\nUser: parts?\nAssistant (agent: bom_generator, intent: BOM): "
        "Want me to add a shifter?\n\nNew message:\nyes, go ahead"
    )
    decision = chain.invoke([HumanMessage(prompt)])
    assert isinstance(decision, IntentDecision) and decision.intent == "BOM"


def test_faults_are_served_per_key(server: OfflineServer) -> None:
    server.faults.set(
        "sk-bad-key-bbbb",
        [
            Fault(
                status=429,
                headers={"Retry-After": "7"},
                body={"error": "Rate limit exceeded", "output": None},
                times=1,
            )
        ],
    )
    url = server.base_url + "/chat/completions"
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    with httpx2.Client() as c:
        r1 = c.post(url, json=body, headers={"Authorization": "Bearer sk-bad-key-bbbb"})
        r2 = c.post(url, json=body, headers={"Authorization": "Bearer sk-bad-key-bbbb"})
        r3 = c.post(url, json=body, headers={"Authorization": "Bearer sk-good-key-cccc"})
        r4 = c.post(url, json=body)
    assert (r1.status_code, r1.headers["retry-after"]) == (429, "7")
    assert r1.json() == {"error": "Rate limit exceeded", "output": None}
    assert r2.status_code == 200 and r3.status_code == 200
    assert r4.status_code == 401
    assert [r.status for r in server.requests_for("sk-bad-key-bbbb")] == [429, 200]
    assert all("sk-bad" not in json.dumps(r.as_dict()) for r in server.records)


def test_other_4xx_reaches_the_caller_unchanged(
    server: OfflineServer, factory: ModelFactory
) -> None:
    server.faults.set("*", [Fault(status=400, body={"error": "bad model name"}, times=1)])
    model = factory.chat_model(AGENTS["conversational"])
    with pytest.raises(openai.BadRequestError) as info:
        model.invoke([HumanMessage("hi")])
    assert info.value.status_code == 400
    assert "bad model name" in json.dumps(info.value.body)
    assert len(server.records) == 1  # no retry


def test_models_endpoint_lists_bytez_style_names(server: OfflineServer) -> None:
    with httpx2.Client() as c:
        data = c.get(server.base_url + "/models").json()
    assert "anthropic/claude-sonnet-4-5" in {m["id"] for m in data["data"]}
