"""Full Ohm turns against a fake model server that answers the way real models do.

Each scenario ends with a valid artifact after the model corrects itself, or with one
clear message and nothing half-written. The key pool points at the server through the
same settings a user would set (``BYTEZ_API_KEY_1``, ``OHM_BASE_URL``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.assembly_line import AssemblyLine
from graph.events import ErrorEvent, OhmEvent, ToolResult, TurnFinished, TurnResult, WarningEvent
from nodes.agents import AGENTS
from nodes.deps import Deps, default_models
from persistence.store import VersionView
from providers.factory import reset_factory
from providers.keys import mask

from .server import (
    WRITES,
    WRONG_FIELDS,
    Answer,
    ModelServer,
    Shape,
    ToolCall,
    cut_call,
    events,
    serving,
    write_call,
    wrong_field_call,
)

pytestmark = [pytest.mark.integration, pytest.mark.allow_hosts(["127.0.0.1"])]

KEY = "bz-conformance-key-9z9z"
PROJECT = "garden"
CODE = "#include <Arduino.h>\n\nvoid setup() {\n  Serial.begin(115200);\n}\n\nvoid loop() {}\n"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with serving(monkeypatch, KEY) as srv:
        yield srv


@dataclass
class Turn:
    events: list[OhmEvent]
    result: TurnResult | None
    error: ErrorEvent | None
    artifacts: list[VersionView]

    def tool_results(self) -> list[ToolResult]:
        return [e for e in self.events if isinstance(e, ToolResult)]


async def turn(
    data_dir: Path, message: str, *, agent: str | None = "code", thread: str = "t1"
) -> Turn:
    async with AssemblyLine(data_dir=data_dir) as line:
        seen: list[OhmEvent] = []
        async for ev in line.astream(message, project=PROJECT, thread=thread, agent=agent):
            seen.append(ev)
        result = next((e.result for e in seen if isinstance(e, TurnFinished)), None)
        error = next((e for e in seen if isinstance(e, ErrorEvent)), None)
        return Turn(seen, result, error, line.store.all_versions(PROJECT))


def code_files(t: Turn) -> dict[str, str]:
    return {v.path: v.content for v in t.artifacts if v.type == "code"}


def assert_clean_failure(t: Turn, *words: str) -> None:
    """One line that names the cause and says the message is kept; nothing written."""
    assert t.result is None and t.error is not None, t.events
    assert t.error.kind == "provider", t.error
    assert "\n" not in t.error.message
    assert "ohm resume --thread t1" in t.error.message
    for w in words:
        assert w in t.error.message, t.error.message
    assert t.artifacts == []


def tool_messages(body: dict[str, object]) -> list[dict[str, object]]:
    msgs = body.get("messages")
    assert isinstance(msgs, list)
    return [m for m in msgs if isinstance(m, dict) and m.get("role") == "tool"]


# --------------------------------------------------------------- tool call shapes


async def test_parallel_tool_calls_both_run(server: ModelServer, tmp_path: Path) -> None:
    server.script(
        "code_generator",
        Answer(
            calls=[
                write_call("code", "src/main.cpp", CODE),
                write_call("code", "include/config.h", "#define SOIL_PIN 34\n"),
            ]
        ),
        Answer(text="Saved the sketch and its settings."),
    )
    t = await turn(tmp_path, "Write the firmware.")
    assert t.result is not None and t.result.reply == "Saved the sketch and its settings."
    assert code_files(t) == {"src/main.cpp": CODE, "include/config.h": "#define SOIL_PIN 34\n"}


async def test_arguments_sent_as_a_json_string_are_refused_then_corrected(
    server: ModelServer, tmp_path: Path
) -> None:
    good = write_call("context", "ESP32 soil monitor")
    doubled = ToolCall(good.name, json.dumps(good.arguments))  # a JSON string of the JSON
    server.script(
        "conversational",
        Answer(calls=[doubled]),
        Answer(calls=[write_call("context", "ESP32 soil monitor")]),
        Answer(text="Saved."),
    )
    t = await turn(tmp_path, "Note the brief.", agent="chat")
    assert t.result is not None
    assert [v.content for v in t.artifacts] == ["ESP32 soil monitor"]
    assert not t.tool_results()[0].ok


async def test_fenced_json_arguments_are_refused_then_corrected(
    server: ModelServer, tmp_path: Path
) -> None:
    good = write_call("code", "src/main.cpp", CODE)
    fenced = ToolCall(good.name, f"```json\n{good.arguments}\n```")
    server.script("code_generator", Answer(calls=[fenced]), Answer(calls=[good]))
    t = await turn(tmp_path, "Write the firmware.")
    assert t.result is not None and code_files(t) == {"src/main.cpp": CODE}
    refusal = json.loads(str(tool_messages(server.sent_to("code_generator")[1])[0]["content"]))
    assert refusal["ok"] is False and "not valid JSON" in refusal["error"]


async def test_wrong_field_names_get_a_validation_error_then_the_fix(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script(
        "conversational",
        Answer(calls=[wrong_field_call("context")]),
        Answer(calls=[write_call("context", "Soil monitor on an ESP32.")]),
    )
    t = await turn(tmp_path, "Note the brief.", agent="chat")
    assert t.result is not None
    assert [v.content for v in t.artifacts] == ["Soil monitor on an ESP32."]
    first = tool_messages(server.sent_to("conversational")[1])[0]
    assert WRONG_FIELDS["context"][1] in str(first["content"])


async def test_an_unknown_tool_is_answered_with_the_tools_that_exist(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script(
        "code_generator",
        Answer(calls=[ToolCall("save_file", '{"path": "src/main.cpp", "text": "x"}')]),
        Answer(calls=[write_call("code", "src/main.cpp", CODE)]),
    )
    t = await turn(tmp_path, "Write the firmware.")
    assert t.result is not None and code_files(t) == {"src/main.cpp": CODE}
    first = str(tool_messages(server.sent_to("code_generator")[1])[0]["content"])
    assert "save_file" in first and WRITES["code"][0] in first


async def test_reasoning_text_and_empty_content_before_a_call(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script(
        "code_generator",
        Answer(
            reasoning="The maker wants a sketch; I will write main.cpp.",
            calls=[write_call("code", "src/main.cpp", CODE)],
        ),
        Answer(text="", calls=[write_call("context", "ESP32")]),
        Answer(text="Let me explain: the sketch only opens the serial port."),
    )
    t = await turn(tmp_path, "Write the firmware.")
    assert t.result is not None and code_files(t) == {"src/main.cpp": CODE}
    assert t.result.reply.startswith("Let me explain")


# --------------------------------------------------------------- cut and broken answers


async def test_arguments_cut_at_the_token_limit_are_never_run(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script(
        "code_generator",
        Answer(calls=[cut_call("code", "src/main.cpp", CODE, marker="void s")], finish="length"),
        Answer(calls=[write_call("code", "src/main.cpp", CODE)]),
    )
    t = await turn(tmp_path, "Write the firmware.")
    assert t.result is not None
    history = [v.content for v in t.artifacts if v.type == "code"]
    assert history == [CODE]  # the cut "void s" version never existed
    refusal = json.loads(str(tool_messages(server.sent_to("code_generator")[1])[0]["content"]))
    assert "token limit" in refusal["error"] and "smaller pieces" in refusal["hint"]


async def test_cut_arguments_that_still_parse_are_not_run_either(
    server: ModelServer, tmp_path: Path
) -> None:
    # The client closes cut JSON itself; the call looks whole but must not run.
    server.script(
        "code_generator",
        Answer(calls=[write_call("context", "unterminated")], finish="length"),
        Answer(text="I will send it in smaller parts next time."),
    )
    t = await turn(tmp_path, "Note the brief.")
    assert t.result is not None and t.artifacts == []
    assert [r.ok for r in t.tool_results()] == [False]


async def test_a_stream_without_its_end_is_a_provider_error(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script("code_generator", Answer(text="All done, saved.", shape="no_end"))
    t = await turn(tmp_path, "Write the firmware.")
    assert_clean_failure(t, "stopped before its end", "[DONE]")


async def test_an_invalid_json_chunk_is_named(server: ModelServer, tmp_path: Path) -> None:
    server.script("code_generator", Answer(text="Hello there.", shape="bad_chunk"))
    t = await turn(tmp_path, "Write the firmware.")
    assert_clean_failure(t, "the model's answer could not be read", "not valid JSON")


async def test_a_json_body_for_a_streaming_request_is_named(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script("code_generator", Answer(text="Hello there.", shape="json_for_stream"))
    t = await turn(tmp_path, "Write the firmware.")
    assert_clean_failure(t, "the model's answer could not be read", "JSON body")


async def test_streams_cut_at_every_event_and_inside_events(
    server: ModelServer, tmp_path: Path
) -> None:
    answer = Answer(calls=[write_call("code", "src/main.cpp", CODE)], piece=60)
    chunks = events(answer, AGENTS["code_generator"].model)  # as long as the server's
    ends = [sum(len(c) for c in chunks[: i + 1]) for i in range(len(chunks))]
    finish_at = ends[-2]  # everything up to and including the finish reason
    cuts = sorted({*ends[:-2], *(e - len(c) // 2 for e, c in zip(ends, chunks, strict=True))})
    cuts = [c for c in cuts if 0 < c < finish_at]
    assert len(cuts) > 10
    for i, cut in enumerate(cuts):
        server.script(
            "code_generator",
            Answer(calls=answer.calls, piece=60, cut_at=cut, declare_length=i % 2 == 1),
        )
        t = await turn(tmp_path / f"cut{i}", "Write the firmware.")
        assert t.result is None and t.error is not None, (cut, t.events)
        assert t.error.kind == "provider" and "ohm resume" in t.error.message, t.error
        assert t.artifacts == [], cut


async def test_a_ten_megabyte_reply_is_cut_with_a_warning(
    server: ModelServer, tmp_path: Path
) -> None:
    big = ("The pump needs its own 5 V supply. " * 300_000)[:10_000_000]
    server.script("code_generator", Answer(text=big, piece=65_536))
    t = await turn(tmp_path, "Explain everything.")
    assert t.result is not None
    assert len(t.result.reply) < 250_000 and "Ohm cut this reply" in t.result.reply
    assert any(isinstance(e, WarningEvent) for e in t.events)


async def test_a_key_echoed_in_a_successful_answer_is_masked_everywhere(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script(
        "code_generator",
        Answer(calls=[write_call("context", f"debug: called with {KEY}")]),
        Answer(text=f"Your key is {KEY}, saved."),
    )
    t = await turn(tmp_path, "Note the brief.")
    assert t.result is not None and KEY not in t.result.reply and mask(KEY) in t.result.reply
    assert all(KEY not in v.content for v in t.artifacts)
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert KEY.encode() not in f.read_bytes(), f


# --------------------------------------------------------------- providers that are not OpenAI


async def test_classifier_reads_an_intent_word_when_tool_choice_is_ignored(
    server: ModelServer, tmp_path: Path
) -> None:
    server.script("project_initializer", Answer(text="Kickoff noted."))
    server.script("orchestrator", Answer(text="WIRING"))
    server.script("wiring_diagram", Answer(text="Wire the sensor to GPIO34."))
    await turn(tmp_path, "A soil monitor on an ESP32.", agent=None)
    t = await turn(tmp_path, "How do I wire it?", agent=None)
    assert t.result is not None and t.result.agent == "wiring_diagram"
    assert t.result.route == "classifier"


async def test_classifier_reads_a_fenced_json_decision(server: ModelServer, tmp_path: Path) -> None:
    server.script("project_initializer", Answer(text="Kickoff noted."))
    server.script(
        "orchestrator", Answer(text='Sure:\n```json\n{"intent": "BOM", "reason": "parts"}\n```')
    )
    server.script("bom_generator", Answer(text="Here are the parts."))
    await turn(tmp_path, "A soil monitor on an ESP32.", agent=None)
    t = await turn(tmp_path, "What parts do I need?", agent=None)
    assert t.result is not None and t.result.agent == "bom_generator"
    assert t.result.route_reason == "parts"


async def test_a_call_printed_as_text_is_sent_back_to_use_the_tool(
    server: ModelServer, tmp_path: Path
) -> None:
    printed = write_call("code", "src/main.cpp", CODE)
    server.script(
        "code_generator",
        Answer(text=f"```json\n{printed.arguments}\n```"),
        Answer(calls=[printed]),
    )
    t = await turn(tmp_path, "Write the firmware.")
    assert t.result is not None and code_files(t) == {"src/main.cpp": CODE}
    retry = server.sent_to("code_generator")[1]["messages"]
    assert isinstance(retry, list) and "tool interface" in str(retry[-1]["content"])


async def test_a_call_printed_as_text_is_recovered_where_configured(
    server: ModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_RECOVER_TEXT_CALLS", "code")
    printed = write_call("code", "src/main.cpp", CODE)
    server.script(
        "code_generator",
        Answer(text=json.dumps({"name": printed.name, "arguments": json.loads(printed.arguments)})),
    )
    t = await turn(tmp_path, "Write the firmware.")
    assert t.result is not None and code_files(t) == {"src/main.cpp": CODE}
    assert len(server.sent_to("code_generator")) == 2  # the call, then the final answer


async def test_a_parts_list_printed_as_text_is_saved_where_recovery_is_configured(
    server: ModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small local models often print the artifact itself, not a call: with recovery on,
    # the one tool whose object parameter it fits saves it.
    monkeypatch.setenv("OHM_RECOVER_TEXT_CALLS", "bom")
    bom = {
        "summary": "Soil monitor on USB power.",
        "components": [
            {
                "name": "ESP32 dev board",
                "part_number": "ESP32-DEVKITC-32E",
                "manufacturer": "Espressif Systems",
                "unit_cost": "$10",
            }
        ],
        "power_analysis": {"supply_voltage": "5 V"},
    }
    server.script(
        "bom_generator",
        Answer(text=f"Here is the list:\n```json\n{json.dumps(bom)}\n```"),
        Answer(text="Saved: one part, about 10 dollars."),
    )
    t = await turn(tmp_path, "What parts do I need?", agent="bom")
    assert t.result is not None and t.result.reply == "Saved: one part, about 10 dollars."
    (saved,) = [v for v in t.artifacts if v.type == "bom"]
    content = json.loads(saved.content)
    assert content["project_name"] == PROJECT and content["total_cost"] == 10.0
    assert content["power_analysis"]["supply_voltage"] == 5.0
    second = server.sent_to("bom_generator")[1]["messages"]
    assert isinstance(second, list) and second[-1]["role"] == "tool"


BOM_ARGS = {
    "bom": {
        "components": [
            {"name": "ESP32 dev board", "part_number": "ESP32-DEVKITC-32E", "manufacturer": "x"}
        ]
    }
}


async def test_a_tool_call_is_required_until_the_turn_has_saved_where_configured(
    server: ModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_REQUIRE_TOOL_CALLS", "bom")
    server.script(
        "bom_generator",
        Answer(calls=[ToolCall("read", json.dumps({"artifact_type": "context"}))]),
        Answer(calls=[ToolCall("write_bom", json.dumps({"bom": {"components": []}}))]),
        Answer(calls=[ToolCall("write_bom", json.dumps(BOM_ARGS))]),
        Answer(text="Saved the parts list."),
    )
    t = await turn(tmp_path, "What parts do I need?", agent="bom")
    assert t.result is not None and t.result.reply == "Saved the parts list."
    assert [v.type for v in t.artifacts] == ["bom"]
    choices = [b.get("tool_choice") for b in server.sent_to("bom_generator")]
    # Required while nothing is saved (a failed write saves nothing), free after the save.
    assert choices == ["required", "required", "required", None]


async def test_the_last_step_is_free_and_other_agents_are_not_asked(
    server: ModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_REQUIRE_TOOL_CALLS", "bom")
    budget = AGENTS["bom_generator"].max_steps
    reading = Answer(calls=[ToolCall("read", json.dumps({"artifact_type": "context"}))])
    server.script("bom_generator", *[reading] * (budget - 1), Answer(text="No list yet."))
    server.script("code_generator", Answer(text="Firmware later."))
    t = await turn(tmp_path, "What parts do I need?", agent="bom")
    assert t.result is not None and t.result.reply == "No list yet."
    choices = [b.get("tool_choice") for b in server.sent_to("bom_generator")]
    assert choices == ["required"] * (budget - 1) + [None]
    await turn(tmp_path, "Write the firmware.", agent="code")
    assert [b.get("tool_choice") for b in server.sent_to("code_generator")] == [None]


async def test_a_slow_stream_is_not_cut_and_a_stalled_one_is(
    server: ModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_TIMEOUT_S", "1")
    reset_factory()
    text = "Slow but steady: " + "word " * 12
    server.script("code_generator", Answer(text=text, piece=5, delay_s=0.25))  # ~3.5 s in all
    slow = await turn(tmp_path / "slow", "Explain.")
    assert slow.result is not None and slow.result.reply == text
    server.script("code_generator", Answer(text=text, piece=5, stall_after=3, stall_s=2.5))
    stalled = await turn(tmp_path / "stalled", "Explain.")
    assert_clean_failure(stalled, "sent nothing for 1 s")


async def test_a_pause_longer_than_the_clients_own_limit_is_waited_for(
    server: ModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A local model reading a long prompt sends nothing for a while (llama-server sends
    # its first chunk only then): OHM_TIMEOUT_S, not the OpenAI client's own chunk limit,
    # decides how long that may be.
    monkeypatch.setenv("LANGCHAIN_OPENAI_STREAM_CHUNK_TIMEOUT_S", "0.5")
    monkeypatch.setenv("OHM_TIMEOUT_S", "5")
    reset_factory()
    server.script("code_generator", Answer(text="Thought about it.", stall_after=1, stall_s=1.5))
    t = await turn(tmp_path, "Explain.")
    assert t.error is None
    assert t.result is not None and t.result.reply == "Thought about it."


# --------------------------------------------------------------- the dashboard


@pytest.mark.parametrize("shape", ["bad_chunk", "json_for_stream"])
def test_the_dashboard_answers_502_for_an_unreadable_answer(
    server: ModelServer, tmp_path: Path, shape: Shape
) -> None:
    from fastapi.testclient import TestClient

    from app.web import WebConfig, create_app
    from persistence.store import ArtifactStore

    store = ArtifactStore(f"sqlite:///{tmp_path / 'web.db'}")
    line = AssemblyLine(
        data_dir=tmp_path / "data", deps=Deps(models=default_models, store=lambda: store)
    )
    app = create_app(WebConfig(data_dir=tmp_path / "data"), store=store, line=line)
    server.script("project_initializer", Answer(text="Hello.", shape=shape))
    try:
        store.ensure_project(PROJECT)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            r = client.post(
                f"/api/projects/{PROJECT}/turns",
                json={"message": "A soil monitor", "stream": False},
                headers={"X-Ohm-Client": "test"},
            )
        assert r.status_code == 502, r.text
        detail = r.json()["detail"]
        assert detail.startswith("the model's answer could not be read: ")
        assert "ohm resume" in detail
    finally:
        store.close()


async def test_a_stream_cut_at_every_byte_is_never_taken_as_an_answer(
    server: ModelServer,
) -> None:
    import openai
    from langchain_core.messages import AIMessageChunk, HumanMessage

    from providers.errors import ProviderError
    from providers.factory import get_factory

    answer = Answer(text="Saving.", calls=[write_call("context", "ESP32 soil monitor")], piece=16)
    spec = AGENTS["code_generator"]
    whole = b"".join(events(answer, spec.model))  # the same length as the server's
    model = get_factory().chat_model(spec)
    expected_args = json.loads(answer.calls[0].arguments)
    complete = 0
    # Every byte near the end, where a cut is hardest to tell apart; every 7th elsewhere
    # (the unit tests of the stream check cut a stream at every byte without a server).
    cuts = sorted({*range(0, len(whole), 7), *range(len(whole) - 60, len(whole) + 1)})
    for cut in cuts:
        server.script("code_generator", Answer(**{**answer.__dict__, "cut_at": cut}))
        got: AIMessageChunk | None = None
        try:
            async for chunk in model.astream([HumanMessage("Note the brief.")]):
                assert isinstance(chunk, AIMessageChunk)
                got = chunk if got is None else got + chunk
        except (ProviderError, openai.APIConnectionError):
            continue
        # Only an answer whose finish reason arrived is accepted, and then it is whole.
        assert got is not None, cut
        assert got.content == "Saving." and got.tool_calls[0]["args"] == expected_args, cut
        complete += 1
    # Accepted exactly from the end of the finish event's JSON on: [DONE] itself may be cut.
    finish_at = len(whole) - len(b"data: [DONE]\n\n") - 2
    assert complete == len(whole) - finish_at + 1
