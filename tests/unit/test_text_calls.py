"""Decisions and tool calls written as text, and calls that must not run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

from nodes.agents import AGENTS, agent_spec
from nodes.broken_calls import native_calls, refused_calls
from nodes.classifier import decision_from_raw
from nodes.text_calls import json_objects, text_intent, text_tool_calls, without_calls

INTENTS = ("BOM", "CODE", "WIRING", "DEBUG", "CHAT")


@tool("write")
def write_tool(artifact_type: str, content: str, path: str | None = None) -> str:
    """Write an artifact."""
    return "ok"


@tool("read")
def read_tool(artifact_type: str, version: int | None = None) -> str:
    """Read an artifact."""
    return "ok"


@tool("delete")
def delete_tool(artifact_type: str) -> str:
    """Delete an artifact."""
    return "ok"


TOOLS = [write_tool, read_tool, delete_tool]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("WIRING", "WIRING"),
        ("wiring.", "WIRING"),
        ("Intent: bom", "BOM"),
        ("**CODE**", "CODE"),
        ('{"intent": "debug", "reason": "it resets"}', "DEBUG"),
        ('Here you go:\n```json\n{"intent": "CHAT"}\n```', "CHAT"),
        ('{"name": "IntentDecision", "arguments": {"intent": "BOM"}}', "BOM"),
    ],
)
def test_an_intent_is_read_from_text(text: str, intent: str) -> None:
    decided = text_intent(text, INTENTS)
    assert decided is not None and decided[0] == intent


@pytest.mark.parametrize(
    "text",
    ["I think this is about code and wiring.", "BANANA", '{"intent": "PARTS"}', ""],
)
def test_text_that_decides_nothing_is_not_guessed(text: str) -> None:
    assert text_intent(text, INTENTS) is None


def test_a_lower_case_intent_in_the_decision_call_is_accepted() -> None:
    raw = AIMessage(
        "",
        tool_calls=[{"name": "IntentDecision", "args": {"intent": "wiring"}, "id": "c1"}],
    )
    assert decision_from_raw(raw) == ("WIRING", "")
    assert decision_from_raw(AIMessage("Sure, let me help.")) is None


def test_fenced_blocks_win_over_bare_objects() -> None:
    text = 'Use {"a": 1} or\n```json\n{"b": 2}\n```\n'
    assert json_objects(text) == [{"b": 2}]
    assert json_objects('prefix {"a": {"x": 1}} and {broken') == [{"a": {"x": 1}}]


def test_a_call_naming_a_tool_is_recovered_with_string_arguments() -> None:
    args = {"artifact_type": "context", "content": "hello"}
    text = json.dumps({"name": "write", "arguments": json.dumps(args)})
    calls = text_tool_calls(text, TOOLS)
    assert [(c.name, c.args) for c in calls] == [("write", args)]
    nested = {"type": "function", "function": {"name": "write", "arguments": args}}
    assert [c.name for c in text_tool_calls(json.dumps(nested), TOOLS)] == ["write"]


def test_bare_arguments_are_recovered_only_when_one_tool_fits() -> None:
    fits_write = '```json\n{"artifact_type": "code", "content": "x", "path": "a.cpp"}\n```'
    assert [c.name for c in text_tool_calls(fits_write, TOOLS)] == ["write"]
    # read and delete both take exactly artifact_type: ambiguous, nothing is guessed.
    assert text_tool_calls('{"artifact_type": "bom"}', TOOLS) == []
    # a BOM printed as text is not a call to anything
    assert text_tool_calls('{"project_name": "x", "components": []}', TOOLS) == []
    # an unknown tool name is not recovered
    assert text_tool_calls('{"name": "save_file", "arguments": {}}', TOOLS) == []


def test_the_printed_call_is_removed_from_the_reply() -> None:
    text = 'Saving now.\n```json\n{"artifact_type": "context", "content": "x"}\n```'
    assert without_calls(text) == "Saving now."
    assert without_calls('{"a": 1} done') == "done"


def _cut(**kw: Any) -> AIMessage:
    return AIMessage("", response_metadata={"finish_reason": "length"}, **kw)


def test_every_call_of_a_cut_answer_is_refused() -> None:
    msg = _cut(
        tool_calls=[{"name": "write", "args": {"artifact_type": "context"}, "id": "c1"}],
        invalid_tool_calls=[{"name": "write", "args": '{"a": "x', "id": None, "error": "bad"}],
    )
    refused = refused_calls(msg, 4000)
    assert sorted(m.tool_call_id for m in refused) == ["c1", "call_invalid_0"]
    assert msg.invalid_tool_calls[0]["id"] == "call_invalid_0"  # answered ids match
    body = json.loads(str(refused[0].content))
    assert body["ok"] is False and "4000 tokens" in body["error"]
    assert all(m.status == "error" for m in refused)


async def test_a_whole_printed_call_runs_even_when_the_answer_then_ran_to_its_limit() -> None:
    from dataclasses import replace

    async def never(extra: list[Any]) -> AIMessage:
        raise AssertionError("a recoverable call needs no second request")

    spec = replace(AGENTS["code_generator"], recover_text_tool_calls=True)
    call = '{"name": "write", "arguments": {"artifact_type": "context", "content": "x"}}'
    # What small models do: the call in a fenced block, then blank lines up to the limit.
    printed = AIMessage(
        f"```json\n{call}\n```" + "\n" * 300, response_metadata={"finish_reason": "length"}
    )
    got, _ = await native_calls(printed, spec, TOOLS, 1, never)
    assert [c["name"] for c in got.tool_calls] == ["write"]
    assert refused_calls(got, 1536) == []
    # A printed call cut inside its arguments parses as nothing: nothing to run.
    cut_text = AIMessage(call[:-12], response_metadata={"finish_reason": "length"})
    same, _ = await native_calls(cut_text, spec, TOOLS, spec.max_steps, never)
    assert same.tool_calls == [] and refused_calls(same, 1536) == []
    # Native calls of an answer at its limit are still refused (their JSON may be repaired).
    native = _cut(tool_calls=[{"name": "write", "args": {"artifact_type": "context"}, "id": "n"}])
    assert [m.tool_call_id for m in refused_calls(native, 1536)] == ["n"]


async def test_a_printed_delete_is_never_run_even_with_recovery_on() -> None:
    from dataclasses import replace

    asked: list[Any] = []

    async def ask(extra: list[Any]) -> AIMessage:
        asked.append(extra)
        return AIMessage("sent natively", tool_calls=[{"name": "read", "args": {}, "id": "r"}])

    spec = replace(AGENTS["code_generator"], recover_text_tool_calls=True)
    printed = AIMessage('{"name": "delete", "arguments": {"artifact_type": "context"}}')
    got, steps = await native_calls(printed, spec, TOOLS, 1, ask)
    assert [c["name"] for c in got.tool_calls] == ["read"] and steps == 2
    assert "tool interface" in str(asked[0][-1].content)
    # The other tools are still recovered from the same kind of text.
    write = AIMessage(
        '{"name": "write", "arguments": {"artifact_type": "context", "content": "x"}}'
    )
    got, steps = await native_calls(write, spec, TOOLS, 1, ask)
    assert [c["name"] for c in got.tool_calls] == ["write"] and steps == 1 and len(asked) == 1


def test_unreadable_arguments_are_refused_and_good_calls_run() -> None:
    bad = AIMessage(
        "",
        invalid_tool_calls=[{"name": "write", "args": "```{}```", "id": "c9", "error": "oops"}],
        response_metadata={"finish_reason": "tool_calls"},
    )
    [msg] = refused_calls(bad, 100)
    assert "not valid JSON (oops)" in json.loads(str(msg.content))["error"]
    good = AIMessage(
        "",
        tool_calls=[{"name": "write", "args": {}, "id": "c1"}],
        response_metadata={"finish_reason": "tool_calls"},
    )
    assert refused_calls(good, 100) == []


async def test_a_printed_call_asks_again_unless_recovery_is_on() -> None:
    printed = AIMessage('{"artifact_type": "context", "content": "x"}')
    asked: list[Any] = []

    async def ask(extra: list[Any]) -> AIMessage:
        asked.append(extra)
        return AIMessage("native now", tool_calls=[{"name": "write", "args": {}, "id": "n1"}])

    spec = AGENTS["code_generator"]
    again, steps = await native_calls(printed, spec, TOOLS, 1, ask)
    assert again.content == "native now" and steps == 2 and len(asked) == 1
    assert "tool interface" in str(asked[0][-1].content)

    from dataclasses import replace

    recovering = replace(spec, recover_text_tool_calls=True)
    got, steps = await native_calls(printed, recovering, TOOLS, 1, ask)
    assert steps == 1 and len(asked) == 1
    assert [(c["name"], c["args"]) for c in got.tool_calls] == [
        ("write", {"artifact_type": "context", "content": "x"})
    ]
    # at the step limit the model is not asked again
    last, steps = await native_calls(printed, spec, TOOLS, spec.max_steps, ask)
    assert last is printed and len(asked) == 1


def test_the_recovery_flag_comes_from_the_environment_and_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    assert not agent_spec("code_generator").recover_text_tool_calls
    monkeypatch.setenv("OHM_RECOVER_TEXT_CALLS", "code, wiring")
    assert agent_spec("code_generator").recover_text_tool_calls
    assert agent_spec("wiring_diagram").recover_text_tool_calls
    assert not agent_spec("bom_generator").recover_text_tool_calls
    monkeypatch.setenv("OHM_RECOVER_TEXT_CALLS", "1")
    assert agent_spec("bom_generator").recover_text_tool_calls
    monkeypatch.delenv("OHM_RECOVER_TEXT_CALLS")
    conf = tmp_path / "ohm.toml"
    conf.write_text("[agents.debugger]\nrecover_text_tool_calls = true\n")
    monkeypatch.setenv("OHM_CONFIG", str(conf))
    assert agent_spec("debugger").recover_text_tool_calls
    assert not agent_spec("code_generator").recover_text_tool_calls


def _agent_tools(agent: str) -> list[Any]:
    from tools.artifacts import build_tools

    return build_tools(agent, AGENTS[agent].tools, lambda: None)  # type: ignore[arg-type,return-value]


BOM_FIELDS = {
    "summary": "Soil monitor",
    "components": [{"name": "ESP32", "part_number": "ESP32-DEVKITC-32E", "manufacturer": "x"}],
}


def test_a_printed_artifact_is_the_value_of_the_one_tool_that_takes_it() -> None:
    bom_tools = _agent_tools("bom_generator")
    (call,) = text_tool_calls(f"```json\n{json.dumps(BOM_FIELDS)}\n```", bom_tools)
    assert (call.name, call.args) == ("write_bom", {"bom": BOM_FIELDS})
    # The whole call printed as its arguments is read as it is.
    wrapped = {"bom": BOM_FIELDS, "merge": "merge"}
    (call,) = text_tool_calls(json.dumps(wrapped), bom_tools)
    assert (call.name, call.args) == ("write_bom", wrapped)
    wiring = {"components": [{"id": "mcu", "part": "esp32-devkit-v1"}], "connections": []}
    (call,) = text_tool_calls(json.dumps(wiring), _agent_tools("wiring_diagram"))
    assert (call.name, call.args) == ("write_wiring", {"wiring": wiring})


def test_a_printed_artifact_is_not_guessed_when_it_is_small_or_fits_two_tools() -> None:
    bom_tools = _agent_tools("bom_generator")
    assert text_tool_calls('{"warnings": ["hot"]}', bom_tools) == []
    assert text_tool_calls('{"summary": "x", "colour": "red"}', bom_tools) == []
    both = [*bom_tools, *_agent_tools("wiring_diagram")]
    shared = {"components": [], "warnings": ["x"]}  # a field set both kinds have
    assert text_tool_calls(json.dumps(shared), both) == []
