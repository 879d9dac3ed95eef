"""Checks in the loop: a write's findings reach the model in the same turn, are stored
with the version, bound the turn when they cannot be fixed, and show in the CLI."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from typer.testing import CliRunner

from app.cli import app
from graph.assembly_line import AssemblyLine
from nodes.agents import AGENTS
from nodes.deps import default_deps
from persistence.store import ArtifactStore
from tests.fakes import ModelBook, call, intent, tools_msg

HAZARD: dict[str, Any] = {
    "components": [
        {"id": "mcu", "part": "esp32-devkit-v1"},
        {"id": "sonar", "part": "hc-sr04"},
    ],
    "connections": [
        {"from_component": "mcu", "from_pin": "VIN", "to_component": "sonar", "to_pin": "VCC"},
        {"from_component": "mcu", "from_pin": "GND", "to_component": "sonar", "to_pin": "GND"},
        {"from_component": "mcu", "from_pin": "GPIO18", "to_component": "sonar", "to_pin": "TRIG"},
        {"from_component": "sonar", "from_pin": "ECHO", "to_component": "mcu", "to_pin": "GPIO19"},
    ],
}


def fixed() -> dict:
    w = copy.deepcopy(HAZARD)
    w["components"] += [
        {"id": "r1", "part": "resistor", "props": {"value": 1000}},
        {"id": "r2", "part": "resistor", "props": {"value": 2000}},
    ]
    w["connections"][3] = {
        "from_component": "sonar",
        "from_pin": "ECHO",
        "to_component": "r1",
        "to_pin": "1",
    }
    w["connections"] += [
        {"from_component": "r1", "from_pin": "2", "to_component": "mcu", "to_pin": "GPIO19"},
        {"from_component": "r1", "from_pin": "2", "to_component": "r2", "to_pin": "1"},
        {"from_component": "r2", "from_pin": "2", "to_component": "mcu", "to_pin": "GND"},
    ]
    return w


def write_wiring(w: dict) -> AIMessage:
    return tools_msg(call("write_wiring", wiring=w))


@pytest.fixture
def store() -> ArtifactStore:
    return ArtifactStore.open()  # the data dir the CLI reads too (OHM_DATA_DIR per test)


def line(book: ModelBook, store: ArtifactStore) -> AssemblyLine:
    deps = default_deps(lambda: store)
    return AssemblyLine(
        store=store,
        deps=type(deps)(
            models=book,
            store=lambda: store,
            checker=deps.checker,
            project_checker=deps.project_checker,
        ),
    )


async def test_the_agent_is_told_and_fixes_it_in_the_same_turn(store: ArtifactStore) -> None:
    book = ModelBook(
        project_initializer=[AIMessage("hi")],
        orchestrator=[intent("WIRING")],
        wiring_diagram=[write_wiring(HAZARD), write_wiring(fixed()), AIMessage("Wired safely.")],
    )
    async with line(book, store) as ln:
        await ln.achat("A parking sensor", thread="t")
        events = [e async for e in ln.astream("wire it", thread="t")]
    first_result = json.loads(str(book.models["wiring_diagram"].prompts[1][-1].content))
    rules = {(f["rule"], f["severity"]) for f in first_result["findings"]}
    assert ("logic-level", "error") in rules
    assert "fix them and write again" in first_result["next"]
    v1, v2 = store.history("default", "wiring")
    assert any(f["rule"] == "logic-level" and f["severity"] == "error" for f in v1.findings)
    assert not [f for f in v2.findings if f["severity"] == "error"]
    artifacts = [e for e in events if e.type == "artifact"]
    assert [(a.version, a.errors > 0) for a in artifacts] == [(1, True), (2, False)]


async def test_an_unfixable_finding_ends_the_turn_and_is_reported(store: ArtifactStore) -> None:
    book = ModelBook(
        project_initializer=[AIMessage("hi")],
        orchestrator=[intent("WIRING")],
        wiring_diagram=[write_wiring(HAZARD)],
    )
    book.models["wiring_diagram"].repeat_last = True
    async with line(book, store) as ln:
        await ln.achat("A parking sensor", thread="t")
        r = await ln.achat("wire it", thread="t")
    assert r.limited
    assert "still report" in r.reply and "logic-level" in r.reply
    assert len(book.models["wiring_diagram"].prompts) == AGENTS["wiring_diagram"].max_steps


LOOP_THAT_POLLS = "void loop() { if (Serial.available()) Serial.read(); delay(1000); }"


async def test_debugger_runs_every_check(store: ArtifactStore) -> None:
    store.ensure_project("default")
    store.write("default", "wiring", lambda _p: json.dumps(HAZARD))
    store.write("default", "code", lambda _p: LOOP_THAT_POLLS, path="src/main.cpp")
    book = ModelBook(
        orchestrator=[intent("DEBUG")],
        debugger=[tools_msg(call("run_checks")), AIMessage("Found it.")],
    )
    async with line(book, store) as ln:
        await ln.achat("it resets", thread="t")
    result = book.models["debugger"].prompts[-1][-1]
    assert isinstance(result, ToolMessage)
    data = json.loads(str(result.content))
    rules = {f["rule"] for f in data["findings"]}
    assert {"logic-level", "blocking-call"} <= rules
    assert data["checked"]["code"] == ["src/main.cpp"] and data["errors"] >= 2


def test_cli_shows_the_finding(store: ArtifactStore) -> None:
    store.ensure_project("default")
    store.write("default", "wiring", lambda _p: json.dumps(HAZARD))
    runner = CliRunner()
    r = runner.invoke(app, ["check", "--project", "default", "--json"])
    assert r.exit_code == 1
    assert "logic-level" in {f["rule"] for f in json.loads(r.stdout)["findings"]}
    store.write("default", "wiring", lambda _p: json.dumps(fixed()))
    r = runner.invoke(app, ["check", "--project", "default", "--json"])
    assert r.exit_code == 0, r.stdout
    r = runner.invoke(app, ["check", "--project", "nope"])
    assert r.exit_code == 2 and "unknown project" in r.stderr


async def test_a_batch_of_file_writes_is_checked_as_the_batch_leaves_it(
    store: ArtifactStore,
) -> None:
    """Three files in one message run concurrently; each result reports the same findings,
    those of the finished firmware, whatever order the writes land in."""
    store.ensure_project("default")
    store.write("default", "wiring", lambda _p: json.dumps(fixed()))
    config = "#pragma once\n#define TRIG_PIN 18\n#define ECHO_PIN 19\n"
    main = (
        '#include "config.h"\nvoid setup() { pinMode(TRIG_PIN, OUTPUT); '
        "pinMode(ECHO_PIN, INPUT); }\nvoid loop() {}\n"
    )
    batch = tools_msg(
        call("write_code", path="platformio.ini", text="[env:esp32dev]\n"),
        call("write_code", path="src/main.cpp", text=main),
        call("write_code", path="include/config.h", text=config),
    )
    book = ModelBook(
        orchestrator=[intent("CODE")],
        code_generator=[batch, AIMessage("done")],
    )
    async with line(book, store) as ln:
        await ln.achat("firmware please", thread="t")
    results = [
        json.loads(str(m.content))
        for m in book.models["code_generator"].prompts[-1]
        if isinstance(m, ToolMessage)
    ]
    assert len(results) == 3
    assert all(r["findings"] == results[0]["findings"] for r in results)
    assert not [f for f in results[0]["findings"] if f["rule"] == "pin-mismatch"]
