"""A project outlives its threads: a new thread in a project with a design is routed like
any later message, and only an empty project gets the kickoff (offline simulator)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from graph.assembly_line import AssemblyLine
from persistence.store import ArtifactStore

IDEA = "I want to build a soil-moisture monitor on an ESP32 that waters my plants"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OHM_OFFLINE", "1")


async def test_a_new_thread_in_a_designed_project_goes_to_the_specialist(tmp_path: Path) -> None:
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        kickoff = await line.achat(IDEA, thread="first")
        await line.achat("What parts do I need?", thread="first")
        brief = line.store.latest("default", "context")
        assert kickoff.agent == "project_initializer" and brief is not None

        wired = await line.achat("How do I wire it?", thread="second")
        after = line.store.latest("default", "context")

    assert (wired.agent, wired.intent) == ("wiring_diagram", "WIRING")
    assert wired.route in ("local", "classifier")
    assert [a.type for a in wired.artifacts] == ["wiring"]
    assert after is not None and after.version == brief.version


async def test_a_new_thread_in_an_empty_project_still_gets_the_kickoff(tmp_path: Path) -> None:
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        line.store.ensure_project("other")
        line.store.ensure_project("default")
        line.store.write("default", "context", lambda _: "# A different project's brief")
        result = await line.achat(IDEA, project="other", thread="o1")
    assert (result.agent, result.route) == ("project_initializer", "initializer")


def test_ask_without_a_thread_names_the_thread_it_started(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ask", IDEA, "--thread", "t1", "--json"])
    assert first.exit_code == 0, first.stderr
    assert "new thread" not in first.stderr

    second = runner.invoke(app, ["ask", "How do I wire it?"])
    assert second.exit_code == 0, second.stderr
    note = [ln for ln in second.stderr.splitlines() if ln.startswith("new thread ")]
    assert len(note) == 1, second.stderr
    thread_id = note[0].split()[2]
    assert "1 saved artifact(s)" in note[0] and f"--thread {thread_id}" in note[0]

    store = ArtifactStore.open()
    try:
        threads = {t.id for t in store.list_threads("default")}
        assert threads == {"t1", thread_id}
        wiring = store.latest("default", "wiring")
        assert wiring is not None and wiring.thread_id == thread_id
        assert json.loads(wiring.content)["connections"]
        assert store.latest("default", "context").version == 1  # type: ignore[union-attr]
    finally:
        store.close()
