"""The graph's routing, tool loops and limits, driven by scripted models (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from graph.assembly_line import AssemblyLine, TurnError
from graph.events import AgentSelected, ArtifactWritten, ToolResult, TurnFinished
from nodes.agents import AGENTS
from nodes.deps import Deps
from persistence.store import ArtifactStore
from tests.fakes import ModelBook, call, intent, tools_msg

BOM = {
    "project_name": "Weather station",
    "summary": "ESP32 and BME280",
    "components": [
        {
            "name": "ESP32 dev board",
            "part_number": "ESP32-DEVKITC-32E",
            "manufacturer": "Espressif Systems",
            "quantity": 1,
            "unit_cost": 10.0,
        },
        {
            "name": "BME280 breakout",
            "part_number": "BME280",
            "manufacturer": "Bosch Sensortec",
            "quantity": 1,
            "unit_cost": 8.5,
        },
    ],
}


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")


def line_for(book: ModelBook, store: ArtifactStore, tmp_path: Path) -> AssemblyLine:
    return AssemblyLine(data_dir=tmp_path / "data", deps=Deps(models=book, store=lambda: store))


def kickoff_script() -> list[AIMessage]:
    return [
        tools_msg(call("write_document", kind="context", markdown="# Weather station\nGoal")),
        AIMessage("Exciting! Here are three ways to build it."),
    ]


async def test_first_message_goes_to_initializer_then_classifier_routes(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_ROUTER", "off")  # the orchestrator model decides every message
    book = ModelBook(
        project_initializer=kickoff_script(),
        orchestrator=[intent("BOM", "asks for parts")],
        bom_generator=[
            tools_msg(call("write_bom", bom=BOM)),
            AIMessage("Parts list saved: $18.50."),
        ],
    )
    async with line_for(book, store, tmp_path) as line:
        first = await line.achat("A weather station on an ESP32", thread="t1")
        second = await line.achat("What parts do I need?", thread="t1")

    assert (first.agent, first.route, first.intent) == ("project_initializer", "initializer", None)
    assert [a.type for a in first.artifacts] == ["context"]
    assert (second.agent, second.route, second.intent) == ("bom_generator", "classifier", "BOM")
    assert second.route_reason == "asks for parts"
    assert second.reply == "Parts list saved: $18.50."
    bom = store.latest("default", "bom")
    assert bom is not None and bom.agent == "bom_generator" and bom.thread_id == "t1"
    assert json.loads(bom.content)["total_cost"] == 18.5
    # The classifier ran once (not for the kickoff) and saw the last exchange.
    prompts = book.models["orchestrator"].prompts
    assert len(prompts) == 1
    seen = str(prompts[0][-1].content)
    assert "A weather station on an ESP32" in seen
    assert "agent: project_initializer" in seen
    assert seen.rstrip().endswith("What parts do I need?")


async def test_follow_up_sees_the_agent_that_answered_last(
    store: ArtifactStore, tmp_path: Path
) -> None:
    book = ModelBook(
        project_initializer=kickoff_script(),
        orchestrator=[intent("WIRING"), intent("WIRING", "follow-up")],
        wiring_diagram=[AIMessage("Shall I write the wiring?"), AIMessage("Done.")],
    )
    async with line_for(book, store, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        await line.achat("How do I wire it?", thread="t")
        r = await line.achat("yes, go ahead", thread="t")
    assert r.agent == "wiring_diagram"
    prompt = book.models["orchestrator"].prompts[-1][-1].content
    assert "agent: wiring_diagram, intent: WIRING" in prompt
    assert "Shall I write the wiring?" in prompt


async def test_forced_agent_skips_the_classifier(store: ArtifactStore, tmp_path: Path) -> None:
    book = ModelBook(project_initializer=kickoff_script(), debugger=[AIMessage("Check VCC.")])
    async with line_for(book, store, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        r = await line.achat("It reads NaN", thread="t", agent="debug")
    assert (r.agent, r.route, r.intent) == ("debugger", "forced", "DEBUG")
    assert "orchestrator" not in book.models  # never asked


async def test_unusable_classifier_output_falls_back_to_chat(
    store: ArtifactStore, tmp_path: Path
) -> None:
    book = ModelBook(
        project_initializer=kickoff_script(),
        orchestrator=[AIMessage("I think this is about parts")],  # no structured answer
        conversational=[AIMessage("Happy to help.")],
    )
    async with line_for(book, store, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        r = await line.achat("hmm", thread="t")
    assert (r.agent, r.route, r.intent) == ("conversational", "fallback", "CHAT")
    assert "defaulted to CHAT" in (r.route_reason or "")


async def test_classifier_intent_outside_the_five_falls_back(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_ROUTER", "off")
    book = ModelBook(
        project_initializer=kickoff_script(),
        orchestrator=[intent("SHOPPING")],
        conversational=[AIMessage("ok")],
    )
    async with line_for(book, store, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        r = await line.achat("buy stuff", thread="t")
    assert r.route == "fallback" and r.agent == "conversational"


async def test_step_limit_ends_the_turn_with_a_message(
    store: ArtifactStore, tmp_path: Path
) -> None:
    looping = tools_msg(call("list_artifacts"))
    book = ModelBook(
        project_initializer=kickoff_script(), orchestrator=[intent("DEBUG")], debugger=[looping]
    )
    book.models["debugger"].repeat_last = True
    async with line_for(book, store, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        r = await line.achat("why is it broken", thread="t")
        state = await line.graph.aget_state({"configurable": {"thread_id": "t"}})
    limit = AGENTS["debugger"].max_steps
    assert r.limited is True
    assert f"stopped after {limit} model steps" in r.reply
    assert len(book.models["debugger"].prompts) == limit
    assert state.values["steps"] == limit
    # The history stays valid for the next turn: no tool call is left without its result.
    last = state.values["messages"][-1]
    assert isinstance(last, AIMessage) and not last.tool_calls


async def test_invalid_bom_reaches_the_model_and_the_turn_still_replies(
    store: ArtifactStore, tmp_path: Path
) -> None:
    bad = {"project_name": "x", "components": [{"name": "ESP32", "quantity": 0}]}
    book = ModelBook(
        project_initializer=kickoff_script(),
        orchestrator=[intent("BOM")],
        bom_generator=[
            tools_msg(call("write_bom", bom=bad)),
            lambda msgs: (
                AIMessage("Fixed it.")
                if "part_number" in str(msgs[-1].content)
                else AIMessage("did not see the error")
            ),
        ],
    )
    async with line_for(book, store, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        events = [e async for e in line.astream("parts please", thread="t")]
    results = [e for e in events if isinstance(e, ToolResult)]
    assert len(results) == 1 and results[0].ok is False
    tool_msg = book.models["bom_generator"].prompts[-1][-1]
    assert isinstance(tool_msg, ToolMessage)
    err = json.loads(str(tool_msg.content))
    assert err["ok"] is False
    assert "bom.components.0.part_number" in err["error"]
    assert "bom.components.0.quantity" in err["error"]
    done = events[-1]
    assert isinstance(done, TurnFinished) and done.result.reply == "Fixed it."
    assert store.latest("default", "bom") is None  # nothing invalid was saved


async def test_invalid_tool_arguments_are_returned_to_the_model(
    store: ArtifactStore, tmp_path: Path
) -> None:
    book = ModelBook(
        project_initializer=[
            tools_msg(call("write_document", kind="schematic", markdown="x")),
            AIMessage("Sorry, retrying later."),
        ]
    )
    async with line_for(book, store, tmp_path) as line:
        r = await line.achat("A robot", thread="t")
    tool_msg = book.models["project_initializer"].prompts[-1][-1]
    assert isinstance(tool_msg, ToolMessage)
    assert "kind" in tool_msg.content
    assert r.reply == "Sorry, retrying later."


async def test_tools_act_on_the_context_project_only(store: ArtifactStore, tmp_path: Path) -> None:
    book = ModelBook(
        project_initializer=[
            tools_msg(call("write_document", kind="context", markdown="# Secret plan")),
            AIMessage("saved"),
            # In another project the same agent tries to read it: it must not exist there.
            tools_msg(call("read", artifact_type="context")),
            AIMessage("read done"),
        ]
    )
    async with line_for(book, store, tmp_path) as line:
        await line.achat("plan A", project="alpha", thread="a1")
        await line.achat("plan B", project="beta", thread="b1")
    read_result = json.loads(str(book.models["project_initializer"].prompts[-1][-1].content))
    assert read_result == {"ok": True, "exists": False, "type": "context", "path": None}
    assert store.latest("alpha", "context") is not None
    assert store.latest("beta", "context") is None


async def test_a_thread_cannot_move_to_another_project(
    store: ArtifactStore, tmp_path: Path
) -> None:
    book = ModelBook(project_initializer=kickoff_script())
    async with line_for(book, store, tmp_path) as line:
        await line.achat("plan", project="alpha", thread="shared")
        with pytest.raises(Exception, match="belongs to project 'alpha'"):
            await line.achat("sneak", project="beta", thread="shared")


async def test_events_arrive_in_turn_order(store: ArtifactStore, tmp_path: Path) -> None:
    book = ModelBook(project_initializer=kickoff_script())
    async with line_for(book, store, tmp_path) as line:
        events = [e async for e in line.astream("A weather station", thread="t")]
    kinds = [e.type for e in events]
    assert kinds[0] == "turn_started"
    assert kinds.index("agent") < kinds.index("tool_call") < kinds.index("artifact")
    assert kinds[-1] == "done"
    sel = next(e for e in events if isinstance(e, AgentSelected))
    assert sel.route == "initializer"
    art = next(e for e in events if isinstance(e, ArtifactWritten))
    assert (art.artifact_type, art.version, art.agent) == ("context", 1, "project_initializer")


async def test_empty_message_is_refused_before_anything_is_saved(
    store: ArtifactStore, tmp_path: Path
) -> None:
    async with line_for(ModelBook(), store, tmp_path) as line:
        with pytest.raises(ValueError, match="empty"):
            await line.achat("   ", thread="t")
    assert store.find_thread("t") is None


async def test_provider_failure_keeps_the_message_and_resume_finishes(
    store: ArtifactStore, tmp_path: Path
) -> None:
    from providers.keypool import KeysUnavailableError

    def down(_msgs: object) -> AIMessage:
        raise KeysUnavailableError(total=2, counts={"cooling": 2}, retry_in_s=30.0)

    book = ModelBook(
        project_initializer=kickoff_script(),
        orchestrator=[down, intent("CHAT")],
        conversational=[AIMessage("Back online.")],
    )
    async with line_for(book, store, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        with pytest.raises(TurnError) as info:
            await line.achat("tell me more", thread="t")
        assert "ohm resume --thread t" in str(info.value)
        state = await line.graph.aget_state({"configurable": {"thread_id": "t"}})
        assert isinstance(state.values["messages"][-1], HumanMessage)
        assert state.next == ("classify",)
        r = await line.aresume("t")
    assert r.reply == "Back online." and r.agent == "conversational"
