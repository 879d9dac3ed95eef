"""Replaying a recorded conversation: history, replay, forks and artifacts as they were.

``tests/fixtures/conversation/`` holds the checkpoints and artifacts of a five-turn
session recorded through the offline model (``tests/fixtures/make_conversation.py``).
Each test works on a copy, so the committed files never change, and replays through the
same offline model, whose answers depend only on the request: a replayed step routes and
writes exactly what the recording did.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import app
from graph.assembly_line import AssemblyLine, CheckpointInfo
from persistence.store import StoreError
from tests.fakes import assert_index_matches_langgraph

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "conversation"
MANIFEST: dict[str, Any] = json.loads((FIXTURE / "manifest.json").read_text())
PROJECT: str = MANIFEST["project"]
THREAD: str = MANIFEST["thread"]
DATABASES = ("checkpoints.db", "ohm.db")
REGENERATE = (
    "the replay no longer matches the recording; if the graph or the offline model changed "
    "on purpose, run tests/fixtures/make_conversation.py and commit the result"
)


def digests() -> dict[str, str]:
    return {n: hashlib.sha256((FIXTURE / n).read_bytes()).hexdigest() for n in DATABASES}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the recording as an Ohm data directory."""
    before = digests()
    d = tmp_path / "recorded"
    d.mkdir()
    for name in DATABASES:
        shutil.copyfile(FIXTURE / name, d / name)
    monkeypatch.setenv("OHM_DATA_DIR", str(d))
    monkeypatch.setenv("OHM_OFFLINE", "1")
    yield d
    assert digests() == before, "a test wrote to the committed fixture"


@pytest.fixture
async def line(data_dir: Path) -> AsyncIterator[AssemblyLine]:
    async with AssemblyLine(data_dir=data_dir) as line:
        yield line
    line.store.close()


def turns(history: list[CheckpointInfo]) -> list[list[CheckpointInfo]]:
    """The recorded branch cut into turns, each starting at its input checkpoint."""
    out: list[list[CheckpointInfo]] = []
    for cp in history:
        if cp.node == "input":
            out.append([])
        out[-1].append(cp)
    return out


def at(turn: list[CheckpointInfo], node: str) -> CheckpointInfo:
    return next(cp for cp in turn if cp.node == node)


def kinds(versions: list[Any]) -> set[tuple[str, str]]:
    return {(v.type, v.path) for v in versions}


CODE = {("code", "platformio.ini"), ("code", "src/main.cpp"), ("code", "include/config.h")}
# What the project held when each recorded turn started.
BEFORE_TURN = [
    set(),
    {("context", "")},
    {("context", ""), ("bom", "")},
    {("context", ""), ("bom", ""), ("wiring", "")},
    {("context", ""), ("bom", ""), ("wiring", ""), *CODE},
]


def written_in(turn: int) -> set[tuple[str, str]]:
    return {(a["type"], a["path"] or "") for a in MANIFEST["turns"][turn]["artifacts"]}


async def test_the_recording_lists_every_turn_with_route_agent_and_writes(
    line: AssemblyLine,
) -> None:
    recorded = turns(await line.ahistory(THREAD))
    assert len(recorded) == len(MANIFEST["turns"]) == 5
    for turn, expected in zip(recorded, MANIFEST["turns"], strict=True):
        last = turn[-1]
        assert last.checkpoint_id == expected["checkpoint_id"]
        assert (last.agent, last.route, last.intent, last.next) == (
            expected["agent"],
            expected["route"],
            expected["intent"],
            (),
        )
        written = [(a["type"], a["path"], a["version"]) for cp in turn for a in cp.artifacts]
        assert sorted(written, key=str) == sorted(
            ((a["type"], a["path"], a["version"]) for a in expected["artifacts"]), key=str
        )
    assert [t[-1].agent for t in recorded] == [
        "project_initializer",
        "bom_generator",
        "wiring_diagram",
        "code_generator",
        "debugger",
    ]
    # Writes are attributed to the tools step that made them, and to nothing else.
    for turn in recorded:
        for cp in turn:
            assert not cp.artifacts or cp.node.endswith("_tools")


async def test_artifacts_as_they_were_after_each_turn(line: AssemblyLine) -> None:
    recorded = turns(await line.ahistory(THREAD))
    for n, turn in enumerate(recorded):
        then = kinds(await line.aartifacts_at(THREAD, turn[-1].checkpoint_id))
        assert then == BEFORE_TURN[n] | written_in(n)
    # Mid-turn: the wiring turn's routing step comes before the wiring was written.
    routed = at(recorded[2], "classify")
    assert ("wiring", "") not in kinds(await line.aartifacts_at(THREAD, routed.checkpoint_id))


async def test_replaying_the_wiring_turn_from_its_routing_step_repeats_it(
    line: AssemblyLine,
) -> None:
    recorded = turns(await line.ahistory(THREAD))
    original = line.store.history(PROJECT, "wiring")
    assert [v.version for v in original] == [1]

    result = await line.areplay(THREAD, at(recorded[2], "classify").checkpoint_id)

    assert (result.agent, result.route, result.intent) == ("wiring_diagram", "classifier", "WIRING")
    assert [(a.type, a.version) for a in result.artifacts] == [("wiring", 2)]
    versions = line.store.history(PROJECT, "wiring")
    assert versions[0] == original[0]  # the original version is untouched
    assert versions[1].content == original[0].content, REGENERATE  # the same design again
    assert versions[1].checkpoint_id != original[0].checkpoint_id
    # Both branches are readable: each sees its own version.
    before = await line.aartifacts_at(THREAD, recorded[2][-1].checkpoint_id)
    after = await line.aartifacts_at(THREAD, result.checkpoint_id or "")
    assert next(v.version for v in before if v.type == "wiring") == 1
    assert next(v.version for v in after if v.type == "wiring") == 2
    history = await line.ahistory(THREAD)
    assert recorded[-1][-1].checkpoint_id in {cp.checkpoint_id for cp in history}
    assert len(history) > sum(len(t) for t in recorded)


async def test_replaying_the_classifier_step_routes_the_firmware_turn_the_same_way(
    line: AssemblyLine,
) -> None:
    recorded = turns(await line.ahistory(THREAD))
    entry = at(recorded[3], "entry")
    assert entry.next == ("classify",)

    result = await line.areplay(THREAD, entry.checkpoint_id)

    # The local router now decides "Great, now write the firmware." without a model call.
    assert (result.agent, result.route, result.intent) == ("code_generator", "local", "CODE")
    assert {(a.type, a.path, a.version) for a in result.artifacts} == {(t, p, 2) for t, p in CODE}
    main = line.store.history(PROJECT, "code", "src/main.cpp")
    assert [v.version for v in main] == [1, 2]
    assert main[1].content == main[0].content, REGENERATE


@pytest.mark.parametrize(
    ("turn", "intent", "agent", "writes"),
    [
        (1, "WIRING", "wiring_diagram", {("wiring", "")}),
        (4, "CHAT", "conversational", set()),
    ],
    ids=["parts-as-wiring", "debugging-as-chat"],
)
async def test_forking_a_turn_to_another_specialist_keeps_the_original_branch(
    line: AssemblyLine, turn: int, intent: str, agent: str, writes: set[tuple[str, str]]
) -> None:
    recorded = turns(await line.ahistory(THREAD))
    before = {v.id: v for v in line.store.all_versions(PROJECT)}

    result = await line.areplay(THREAD, at(recorded[turn], "classify").checkpoint_id, intent=intent)

    assert (result.agent, result.route, result.intent) == (agent, "forced", intent)
    assert {(a.type, a.path or "") for a in result.artifacts} == writes
    # Every version of the recording is still there, unchanged.
    after = {v.id: v for v in line.store.all_versions(PROJECT)}
    assert all(after[i] == v for i, v in before.items())
    # The fork sees what existed before the forked turn plus its own writes, and nothing
    # the original branch wrote from that turn on; the original branch is unchanged.
    assert kinds(await line.aartifacts_at(THREAD, result.checkpoint_id or "")) == (
        BEFORE_TURN[turn] | writes
    )
    original = kinds(await line.aartifacts_at(THREAD, recorded[turn][-1].checkpoint_id))
    assert original == BEFORE_TURN[turn] | written_in(turn)


async def test_a_fork_resumes_the_right_turn_and_refuses_what_it_cannot_replay(
    line: AssemblyLine,
) -> None:
    recorded = turns(await line.ahistory(THREAD))
    count = sum(len(t) for t in recorded)
    # The end of a turn has nothing left to run; only a fork can start from it.
    with pytest.raises(StoreError, match="ends a turn"):
        await line.areplay(THREAD, recorded[1][-1].checkpoint_id)
    # Before routing there is no classifier decision to replace: no fork of the turn before.
    with pytest.raises(StoreError, match="before its turn was routed"):
        await line.areplay(THREAD, recorded[2][0].checkpoint_id, intent="CODE")
    assert len(await line.ahistory(THREAD)) == count
    # Forking from a late step of a turn replaces that turn's routing decision.
    result = await line.areplay(THREAD, recorded[1][-1].checkpoint_id, intent="WIRING")
    assert result.agent == "wiring_diagram"
    forked = [cp for cp in await line.ahistory(THREAD) if cp.node == "update:classify"]
    assert len(forked) == 1
    assert forked[0].parent_id == at(recorded[1], "entry").checkpoint_id


def test_the_cli_reads_history_replays_forks_and_shows_artifacts_at_a_checkpoint(
    data_dir: Path,
) -> None:
    runner = CliRunner()

    def ohm(*args: str) -> Any:
        r = runner.invoke(app, list(args))
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout.splitlines()[-1])

    rows = ohm("history", "--thread", THREAD, "--json")
    assert [r["agent"] for r in rows if r["node"] == "classify"] == [
        "bom_generator",
        "wiring_diagram",
        "code_generator",
        "debugger",
    ]
    wiring_routed = [r for r in rows if r["node"] == "classify"][1]["checkpoint_id"]

    forked = ohm(
        "replay", "--thread", THREAD, "--checkpoint", wiring_routed, "-i", "DEBUG", "--json"
    )
    assert (forked["agent"], forked["route"], forked["intent"]) == ("debugger", "forced", "DEBUG")

    replayed = ohm("replay", "--thread", THREAD, "--checkpoint", wiring_routed, "--json")
    assert (replayed["agent"], replayed["route"]) == ("wiring_diagram", "classifier")
    assert [(a["type"], a["version"]) for a in replayed["artifacts"]] == [("wiring", 2)]

    then = ohm(
        "history",
        "--thread",
        THREAD,
        "--checkpoint",
        MANIFEST["turns"][2]["checkpoint_id"],
        "--json",
    )
    assert {(a["type"], a["version"]) for a in then} == {("context", 1), ("bom", 1), ("wiring", 1)}
    wiring = next(a for a in then if a["type"] == "wiring")
    assert wiring["content"]["connections"], "structured artifacts come back as JSON"

    versions = ohm("artifacts", "versions", "wiring", "--project", PROJECT, "--json")
    assert [v["version"] for v in versions] == [1, 2]


async def test_old_style_checkpoints_read_the_same_through_the_light_index(
    line: AssemblyLine,
) -> None:
    """The recording predates the delta-stored conversation: each checkpoint holds the whole
    list. It still reads, replays and forks, and history agrees with LangGraph's own."""
    count = await assert_index_matches_langgraph(line, THREAD)
    recorded = turns(await line.ahistory(THREAD))
    routed = at(recorded[2], "classify")
    await line.areplay(THREAD, routed.checkpoint_id, intent="DEBUG")
    assert await assert_index_matches_langgraph(line, THREAD) > count
