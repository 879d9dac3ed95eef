"""Checkpoints: history, replay from an earlier step, and forks to another specialist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.base import BaseCheckpointSaver

from graph.assembly_line import AssemblyLine
from nodes.deps import Deps
from persistence.store import ArtifactStore, NotFoundError
from tests.fakes import ModelBook, assert_index_matches_langgraph, call, intent, tools_msg

BOM = {
    "project_name": "P",
    "components": [
        {
            "name": "ESP32",
            "part_number": "ESP32-DEVKITC-32E",
            "manufacturer": "Espressif Systems",
            "quantity": 1,
        }
    ],
}
WIRING = {"components": [{"id": "mcu", "part": "esp32-devkit-v1"}]}


def book() -> ModelBook:
    bom_write = tools_msg(call("write_bom", bom=BOM))
    return ModelBook(
        project_initializer=[AIMessage("Welcome!")],
        orchestrator=[intent("BOM")],
        bom_generator=[bom_write, AIMessage("BOM saved.")],
        wiring_diagram=[
            tools_msg(call("write_wiring", wiring=WIRING)),
            AIMessage("Wiring saved."),
        ],
    )


@pytest.fixture
async def line(tmp_path: Path):
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    b = book()
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=b, store=lambda: store))
    async with line:
        line.book = b  # type: ignore[attr-defined]
        await line.achat("A weather station", thread="t")
        await line.achat("parts please", thread="t")
        yield line


async def test_history_lists_steps_nodes_and_what_each_step_wrote(line: AssemblyLine) -> None:
    raw = [s async for s in line.graph.aget_state_history({"configurable": {"thread_id": "t"}})]
    hist = await line.ahistory("t")
    assert len(hist) == len(raw)
    assert [h.step for h in hist] == sorted(h.step for h in hist)
    nodes = [h.node for h in hist]
    assert nodes.count("input") == 2
    assert "classify" in nodes and "bom_generator_tools" in nodes
    tools_step = next(h for h in hist if h.node == "bom_generator_tools")
    assert [(a["type"], a["version"]) for a in tools_step.artifacts] == [("bom", 1)]
    classified = next(h for h in hist if h.node == "classify" and h.route != "initializer")
    assert (classified.intent, classified.agent) == ("BOM", "bom_generator")
    assert sum(len(h.artifacts) for h in hist) == 1


async def test_replay_from_an_earlier_checkpoint_runs_again_on_a_new_branch(
    line: AssemblyLine,
) -> None:
    b = line.book  # type: ignore[attr-defined]
    hist = await line.ahistory("t")
    before_bom = next(h for h in hist if h.node == "classify" and h.route != "initializer")
    b.add(
        "bom_generator",
        tools_msg(call("write_bom", bom=BOM)),
        AIMessage("BOM saved again."),
    )
    result = await line.areplay("t", before_bom.checkpoint_id)
    assert result.agent == "bom_generator" and result.reply == "BOM saved again."
    versions = line.store.history("default", "bom")
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].checkpoint_id != versions[1].checkpoint_id
    # Both branches stay in the history: the original final checkpoint is still there.
    ids = {h.checkpoint_id for h in await line.ahistory("t")}
    assert hist[-1].checkpoint_id in ids and result.checkpoint_id not in {
        h.checkpoint_id for h in hist
    }


async def test_fork_to_another_specialist_keeps_the_original_branch(line: AssemblyLine) -> None:
    hist = await line.ahistory("t")
    bom_step = next(h for h in hist if h.node == "bom_generator_tools")
    result = await line.areplay("t", bom_step.checkpoint_id, intent="WIRING")
    assert (result.agent, result.intent, result.route) == ("wiring_diagram", "WIRING", "forced")
    assert [a.type for a in result.artifacts] == ["wiring"]
    # The original BOM version is untouched and still readable.
    assert [v.version for v in line.store.history("default", "bom")] == [1]
    # As of the original branch's last checkpoint there is a BOM and no wiring; on the
    # forked branch, wiring exists and the BOM (written on the other branch) does not.
    original = await line.aartifacts_at("t", hist[-1].checkpoint_id)
    forked = await line.aartifacts_at("t", result.checkpoint_id or "")
    assert {v.type for v in original} == {"bom"}
    assert {v.type for v in forked} == {"wiring"}


async def test_fork_with_langgraph_update_state_as_classifier(line: AssemblyLine) -> None:
    """The raw LangGraph way: update_state(as_node="classify") continues to the new agent."""
    snaps = [s async for s in line.graph.aget_state_history({"configurable": {"thread_id": "t"}})]
    routed = next(s for s in snaps if s.next == ("classify",))
    cfg = await line.graph.aupdate_state(
        routed.config,
        {"intent": "WIRING", "agent": "wiring_diagram", "route": "forced"},
        as_node="classify",
    )
    branch = await line.graph.aget_state(cfg)
    assert branch.next == ("wiring_diagram",)
    out = await line.graph.ainvoke(
        None, cfg, context=line._context("default", "t", None, None, None)
    )
    assert out["agent"] == "wiring_diagram"
    assert out["messages"][-1].content == "Wiring saved."


async def test_unknown_checkpoint_and_bad_intent_are_clear_errors(line: AssemblyLine) -> None:
    with pytest.raises(NotFoundError, match="unknown checkpoint"):
        await line.areplay("t", "nope")
    hist = await line.ahistory("t")
    from nodes.agents import ConfigError

    with pytest.raises(ConfigError, match="unknown intent"):
        await line.areplay("t", hist[-1].checkpoint_id, intent="SHOPPING")
    with pytest.raises(NotFoundError):
        await line.ahistory("missing-thread")


async def test_resume_refuses_a_finished_thread(line: AssemblyLine) -> None:
    from persistence.store import StoreError

    with pytest.raises(StoreError, match="no unfinished turn"):
        await line.aresume("t")


async def test_a_fork_sees_the_project_as_it_was_at_its_checkpoint(tmp_path: Path) -> None:
    """Later writes on the original branch stay out of a fork's view; its own writes don't."""
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    v2 = {**BOM, "project_name": "P, revised"}
    b = ModelBook(
        project_initializer=[AIMessage("Welcome!")],
        orchestrator=[intent("BOM"), intent("BOM")],
        bom_generator=[
            tools_msg(call("write_bom", bom=BOM)),
            AIMessage("v1"),
            tools_msg(call("write_bom", bom=v2)),
            AIMessage("v2"),
        ],
        wiring_diagram=[
            tools_msg(call("read", artifact_type="bom")),
            tools_msg(call("write_wiring", wiring=WIRING)),
            tools_msg(call("list_artifacts")),
            AIMessage("Wired to the first parts list."),
        ],
    )
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=b, store=lambda: store))
    async with line:
        await line.achat("A weather station", thread="t")
        await line.achat("parts please", thread="t")
        await line.achat("revise the parts", thread="t")
        hist = await line.ahistory("t")
        third_turn = [h for h in hist if h.node == "classify"][-1]
        await line.areplay("t", third_turn.checkpoint_id, intent="WIRING")
    prompt = b.models["wiring_diagram"].prompts[-1]
    results = [json.loads(str(m.content)) for m in prompt if m.type == "tool"]
    read_bom, _written, listing = results
    assert read_bom["version"] == 1 and read_bom["content"]["project_name"] == "P"
    assert {(a["type"], a["version"]) for a in listing["artifacts"]} == {("bom", 1), ("wiring", 1)}
    system = prompt[0].content
    assert "as they were at the checkpoint" in system and "bom: v1" in system
    assert store.latest("default", "bom").version == 2  # type: ignore[union-attr]


async def test_the_light_index_agrees_with_langgraph_across_a_fork(line: AssemblyLine) -> None:
    hist = await line.ahistory("t")
    bom_step = next(h for h in hist if h.node == "bom_generator_tools")
    await line.areplay("t", bom_step.checkpoint_id, intent="WIRING")
    assert await assert_index_matches_langgraph(line, "t") > len(hist)


async def test_each_checkpoint_stores_only_what_its_step_added(line: AssemblyLine) -> None:
    """The conversation is not copied into every checkpoint (storage stays linear)."""
    saver = line.graph.checkpointer
    assert isinstance(saver, BaseCheckpointSaver)
    rows = [t async for t in saver.alist({"configurable": {"thread_id": "t"}})]
    assert rows and all("messages" not in t.checkpoint["channel_values"] for t in rows)
    state = await line.graph.aget_state({"configurable": {"thread_id": "t"}})
    texts = [m.content for m in state.values["messages"] if m.type in ("human", "ai")]
    assert texts[0] == "A weather station" and texts[-1] == "BOM saved."
    ids = [m.id for m in state.values["messages"]]
    again = await line.graph.aget_state({"configurable": {"thread_id": "t"}})
    assert [m.id for m in again.values["messages"]] == ids  # rebuilt the same way each load
