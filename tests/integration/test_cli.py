"""The `ohm` command: JSON output for programs, one-line errors for people."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app

runner = CliRunner()
REQUIRED = {
    "project",
    "thread_id",
    "checkpoint_id",
    "intent",
    "agent",
    "route",
    "reply",
    "artifacts",
    "events",
}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OHM_OFFLINE", "1")


def ohm(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def assert_one_line_error(code: int, stderr: str, expected: str) -> None:
    assert code != 0
    text = stderr.strip()
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    assert text.startswith("error:") and expected in text


def test_ask_prints_one_json_object_per_turn() -> None:
    code, out, err = ohm(
        "ask",
        "A weather station on an ESP32",
        "What parts do I need?",
        "--thread",
        "cli1",
        "--json",
    )
    assert code == 0, err
    first, second = lines(out)
    assert set(first) >= REQUIRED and set(second) >= REQUIRED
    assert (first["agent"], first["route"]) == ("project_initializer", "initializer")
    assert (second["agent"], second["intent"], second["route"]) == (
        "bom_generator",
        "BOM",
        "local",
    )
    assert second["route_confidence"] > 0.5
    assert second["thread_id"] == "cli1" and second["project"] == "default"
    assert {"type": "bom", "path": None, "version": 1} in second["artifacts"]
    kinds = [e["type"] for e in second["events"]]
    assert "agent" in kinds and "artifact" in kinds and "tool_call" in kinds
    assert "offline" in err  # one line says the simulator answered


def test_history_replay_and_fork_from_the_cli() -> None:
    code, _, err = ohm("ask", "A weather station", "parts please", "--thread", "h1", "--json")
    assert code == 0, err
    code, out, _ = ohm("history", "--thread", "h1", "--json")
    assert code == 0
    (hist,) = lines(out)
    assert {"step", "node", "intent", "agent", "checkpoint_id"} <= set(hist[0])
    # The second turn's routing step (the first one sent the kickoff to the initializer).
    classify = next(h for h in hist if h["node"] == "classify" and h["agent"] == "bom_generator")
    code, out, err = ohm(
        "replay",
        "--thread",
        "h1",
        "--checkpoint",
        classify["checkpoint_id"],
        "--intent",
        "wiring",
        "--json",
    )
    assert code == 0, err
    (forked,) = lines(out)
    assert (forked["agent"], forked["intent"], forked["route"]) == (
        "wiring_diagram",
        "WIRING",
        "forced",
    )
    code, out, err = ohm(
        "replay", "--thread", "h1", "--checkpoint", classify["checkpoint_id"], "--json"
    )
    assert code == 0, err
    (replayed,) = lines(out)
    assert replayed["agent"] == "bom_generator"
    code, out, _ = ohm("artifacts", "list", "--json")
    arts = {a["type"]: a["version"] for a in lines(out)[0]}
    assert arts["bom"] == 2 and arts["wiring"] == 1  # replay wrote a new version, kept v1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("ask", "   "), "empty"),
        (("ask", "hi", "--project", "nope"), "unknown project 'nope'"),
        (("ask", "hi", "--agent", "soldering"), "unknown agent 'soldering'"),
        (("replay", "--thread", "x", "--checkpoint", "y", "--intent", "SHOP"), "unknown intent"),
        (("history", "--thread", "ghost"), "unknown thread 'ghost'"),
        (("artifacts", "list", "--project", "nope"), "unknown project"),
        (("artifacts", "show", "schematic"), "unknown artifact type"),
        (("ask", "hi", "--project", "Bad Name"), "invalid project id"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(args: tuple[str, ...], expected: str) -> None:
    code, _, err = ohm(*args)
    assert_one_line_error(code, err, expected)


def test_unusable_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("OHM_DATA_DIR", str(blocker / "data"))
    code, _, err = ohm("ask", "hello")
    assert_one_line_error(code, err, "cannot use data directory")


def test_projects_and_artifact_commands(tmp_path: Path) -> None:
    assert ohm("projects", "create", "garden", "--name", "Garden")[0] == 0
    code, _, err = ohm("projects", "create", "garden")
    assert_one_line_error(code, err, "already exists")
    code, _, err = ohm("ask", "A plant watering monitor", "parts?", "--project", "garden")
    assert code == 0, err
    code, out, _ = ohm("projects", "--json")
    (rows,) = lines(out)
    assert {r["id"] for r in rows} == {"garden"}
    code, out, _ = ohm("artifacts", "show", "bom", "--project", "garden", "--json")
    (bom,) = lines(out)
    assert bom["content"]["components"] and bom["agent"] == "bom_generator"
    code, out, err = ohm(
        "artifacts", "export", "--project", "garden", "--out", str(tmp_path / "exp")
    )
    assert code == 0, err
    assert (tmp_path / "exp" / "docs" / "context.md").is_file()
    code, out, _ = ohm("artifacts", "versions", "bom", "--project", "garden", "--json")
    assert [v["version"] for v in lines(out)[0]] == [1]
    assert ohm("projects", "delete", "garden", "--yes")[0] == 0
    assert ohm("artifacts", "list", "--project", "garden")[0] != 0


def test_demo_runs_offline_and_writes_every_kind_of_artifact() -> None:
    code, out, err = ohm("demo", "--json")
    assert code == 0, err
    turns = lines(out)
    assert [t["agent"] for t in turns] == [
        "project_initializer",
        "bom_generator",
        "wiring_diagram",
        "code_generator",
        "debugger",
    ]
    written = {a["type"] for t in turns for a in t["artifacts"]}
    assert {"context", "bom", "wiring", "code"} <= written


def test_console_script_runs_as_a_program(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "ohm"
    env = {**os.environ, "OHM_OFFLINE": "1", "OHM_DATA_DIR": str(tmp_path / "d")}
    proc = subprocess.run(
        [str(exe), "ask", "", "--json"], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: a message is empty"


def test_interactive_chat_streams_and_leaves_on_exit() -> None:
    r = runner.invoke(
        app,
        ["chat", "--thread", "c1"],
        input="A parking sensor with an HC-SR04\nparts please\nexit\n",
    )
    assert r.exit_code == 0, r.stderr
    assert "project_initializer" in r.stdout and "bom_generator" in r.stdout
    assert "bom saved v1" in r.stdout
    _, out, _ = ohm("history", "--thread", "c1", "--json")
    assert sum(1 for h in lines(out)[0] if h["node"] == "input") == 2
