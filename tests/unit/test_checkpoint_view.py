"""One answer to "which artifacts were there at checkpoint C": the agents of a replay or a
fork, ``aartifacts_at``, ``ohm history --checkpoint`` and the HTTP API agree."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

from app import cli
from app.web import WebConfig, create_app
from graph.assembly_line import AssemblyLine
from nodes.deps import Deps
from persistence.store import ArtifactStore, WriteMeta
from persistence.visibility import CheckpointCut
from tests.fakes import ModelBook, call, intent, tools_msg

BOM = {
    "project_name": "P",
    "components": [
        {"name": "ESP32", "part_number": "ESP32-DEVKITC-32E",
         "manufacturer": "Espressif Systems", "quantity": 1}
    ],
}  # fmt: skip


def _listing(model_prompt: list[Any]) -> set[tuple[str, int]]:
    """What the agent's last ``list_artifacts`` call answered, as (type, version)."""
    tool_results = [json.loads(str(m.content)) for m in model_prompt if m.type == "tool"]
    listing = [r for r in tool_results if "artifacts" in r][-1]
    return {(a["type"], a["version"]) for a in listing["artifacts"]}


def _pairs(rows: list[Any]) -> set[tuple[str, int]]:
    return {(r["type"], r["version"]) if isinstance(r, dict) else (r.type, r.version) for r in rows}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OHM_OFFLINE", "1")
    monkeypatch.setenv("OHM_ROUTER", "off")
    monkeypatch.setenv("OHM_DATA_DIR", str(tmp_path / "data"))


def test_fork_then_replay_of_the_fork_agrees_everywhere(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = ArtifactStore.open(data)
    debug_steps = [tools_msg(call("list_artifacts")), AIMessage("Nothing to fix yet.")]
    book = ModelBook(
        project_initializer=[
            tools_msg(call("write_document", kind="context", markdown="# Weather station")),
            AIMessage("Welcome!"),
        ],
        orchestrator=[intent("BOM")],
        bom_generator=[
            tools_msg(call("write_bom", bom=BOM)),
            AIMessage("Parts saved."),
        ],
        debugger=[*debug_steps, *debug_steps],
    )

    async def scenario() -> tuple[str, set[tuple[str, int]], set[tuple[str, int]]]:
        line = AssemblyLine(data_dir=data, deps=Deps(models=book, store=lambda: store))
        async with line:
            await line.achat("A weather station", thread="t")
            await line.achat("parts please", thread="t")
            routed_turn_2 = [h for h in await line.ahistory("t") if h.node == "classify"][-1]
            await line.areplay("t", routed_turn_2.checkpoint_id, intent="DEBUG")
            fork = next(h for h in await line.ahistory("t") if h.node.startswith("update:"))
            fork_view = _listing(book.models["debugger"].prompts[-1])
            await line.areplay("t", fork.checkpoint_id)
            replay_view = _listing(book.models["debugger"].prompts[-1])
            assert replay_view == fork_view
            return (
                fork.checkpoint_id,
                replay_view,
                _pairs(await line.aartifacts_at("t", fork.checkpoint_id)),
            )

    fork_id, replay_view, at = asyncio.run(scenario())
    system = str(book.models["debugger"].prompts[-1][0].content)

    # Turn 2 wrote its parts list after the point the fork branched off.
    assert {v.type for v in store.list_latest("default")} == {"context", "bom"}
    assert replay_view == at == {("context", 1)}
    assert "context: v1" in system and "bom" not in system.split("---")[-1]

    shown = CliRunner().invoke(
        cli.app, ["history", "--thread", "t", "--checkpoint", fork_id, "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert _pairs(json.loads(shown.output)) == at

    web_line = AssemblyLine(data_dir=data, deps=Deps(models=book, store=lambda: store))
    app = create_app(WebConfig(data_dir=data), store=store, line=web_line)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        url = f"/api/projects/default/threads/t/checkpoints/{fork_id}/artifacts"
        assert _pairs(client.get(url).json()) == at
    store.close()


def test_the_store_rule_follows_the_branch_not_the_clock(tmp_path: Path) -> None:
    """A version of the thread counts only when written on the checkpoint's branch, even if
    it is older than the checkpoint; another thread's version counts by its time."""
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    store.ensure_project("p")
    on_branch = WriteMeta(thread_id="t", checkpoint_id="c1", run_id="r1")
    other_branch = WriteMeta(thread_id="t", checkpoint_id="x9", run_id="r2")
    store.write("p", "context", lambda _: "# on the branch", meta=on_branch)
    store.write("p", "bom", lambda _: json.dumps(BOM), meta=other_branch)
    store.write("p", "mvp", lambda _: "# from elsewhere", meta=WriteMeta(thread_id="u"))
    now = datetime.now(UTC) + timedelta(seconds=1)
    cut = CheckpointCut(until=now, thread_id="t", lineage=frozenset({"c0", "c1"}))
    assert _pairs(store.visible_at("p", cut)) == {("context", 1), ("mvp", 1)}
    # The run that starts from the cut sees what it writes itself.
    assert _pairs(store.visible_at("p", cut, run_id="r2")) == {
        ("context", 1),
        ("mvp", 1),
        ("bom", 1),
    }
    past = CheckpointCut(until=now - timedelta(hours=1), thread_id="t", lineage=frozenset())
    assert store.visible_at("p", past) == []
    # A plain moment (no thread) is the same rule with no branch to follow.
    assert {v.type for v in store.list_as_of("p", now)} == {"context", "bom", "mvp"}
    store.close()
