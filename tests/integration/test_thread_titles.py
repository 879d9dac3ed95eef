"""A thread's title: the first message's first sentence at once, then a cheap model's
title from the first exchange, shown by ``ohm threads``, ``ohm projects`` and the
dashboard. Offline the answers come from Ohm's deterministic simulator, and the rule
title stays."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from graph.assembly_line import AssemblyLine
from tests.conformance.server import Answer, ModelServer, role_text, serving

pytestmark = [pytest.mark.integration, pytest.mark.allow_hosts(["127.0.0.1"])]

OHM = str(Path(sys.executable).with_name("ohm"))
KEY = "bz-title-test-key-7k7k"
FIRST = "build a soil moisture logger. It should run for a month on two AA cells."
RULE = "Build a soil moisture logger"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with serving(monkeypatch, KEY, OHM_SUMMARY_EVERY="0") as srv:
        yield srv


def user_text(body: dict[str, object]) -> str:
    return role_text(body, "user")


async def test_the_first_exchange_names_the_thread_once(
    server: ModelServer, tmp_path: Path
) -> None:
    server.fallback = "A capacitive probe and an ATtiny will last the month."
    server.script("titler", Answer(text='  "Soil logger on\u0007 two AA cells."\nMore text'))
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        first = await line.achat(FIRST, thread="s", agent="chat")
        await line.awaiting_titles()
        named = line.store.get_thread("s").title
        await line.achat("Which probe exactly?", thread="s", agent="chat")
        await line.awaiting_titles()
        later = line.store.get_thread("s").title

    assert first.reply == server.fallback
    # Quotes, the control character, the full stop and the second line are gone.
    assert named == later == "Soil logger on two AA cells"
    [request] = server.sent_to("titler")  # one call, after the first exchange only
    assert request["model"] == "google/gemini-2.5-flash"
    sent = user_text(request)
    assert "run for a month on two AA cells" in sent and "an ATtiny will last" in sent


@pytest.mark.parametrize(
    "answer",
    [
        Answer(status=500, text="upstream failure"),
        Answer(text=""),
        Answer(text='{"title": null}'),
        Answer(text="Sure! " + "Here is a long answer to the question instead. " * 6),
    ],
    ids=["http-500", "empty", "json", "a-reply-not-a-title"],
)
async def test_a_titler_failure_or_garbage_keeps_the_rule_title(
    server: ModelServer, tmp_path: Path, answer: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("titler", answer)
    with caplog.at_level(logging.WARNING, logger="nodes.titles"):
        async with AssemblyLine(data_dir=tmp_path / "d") as line:
            result = await line.achat(FIRST, thread="s", agent="chat")
            await line.awaiting_titles()
            title = line.store.get_thread("s").title
    assert result.reply == server.fallback  # the turn itself is untouched
    assert title == RULE
    assert len(server.sent_to("titler")) == 1
    assert "the thread title was not changed" in caplog.text
    assert KEY not in caplog.text


async def test_the_users_own_name_wins_over_the_model_title(
    server: ModelServer, tmp_path: Path
) -> None:
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        # Named before its first message: no title call at all.
        line.store.ensure_thread("s", "default")
        line.store.rename_thread("s", "Balcony garden")
        await line.achat(FIRST, thread="s", agent="chat")
        await line.awaiting_titles()
        assert line.store.get_thread("s").title == "Balcony garden"
        assert server.sent_to("titler") == []

        # Renamed while the title call is still out: the turn has ended (it did not wait
        # for the title), and the late title does not replace the user's name.
        server.script("titler", Answer(text="Soil logger", wait_s=2.0))
        await line.achat(FIRST, thread="u", agent="chat")
        assert line.store.get_thread("u").title == RULE
        line.store.rename_thread("u", "Named while the title was made")
        await line.awaiting_titles()
        assert line.store.get_thread("u").title == "Named while the title was made"
    assert len(server.sent_to("titler")) == 1


def test_model_titles_show_in_threads_projects_and_the_dashboard(
    server: ModelServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from app.web.app import create_app

    monkeypatch.setenv("OHM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "80")
    server.script("titler", Answer(text="Soil logger on AA cells"))
    runner = CliRunner()
    asked = runner.invoke(app, ["--no-color", "ask", FIRST, "--thread", "s", "--agent", "chat"])
    assert asked.exit_code == 0, asked.output

    listed = runner.invoke(app, ["--no-color", "threads", "--json"])
    assert [t["title"] for t in json.loads(listed.stdout)] == ["Soil logger on AA cells"]
    table = runner.invoke(app, ["--no-color", "threads"]).stdout
    assert "Soil logger on AA cells" in table
    projects = runner.invoke(app, ["--no-color", "projects"]).stdout
    assert "Soil logger on AA" in projects and all(len(ln) <= 80 for ln in projects.splitlines())
    rows = json.loads(runner.invoke(app, ["--no-color", "projects", "--json"]).stdout)
    assert [(r["latest_thread"], r["latest_title"]) for r in rows] == [
        ("s", "Soil logger on AA cells")
    ]

    with TestClient(create_app(), base_url="http://127.0.0.1") as client:
        page = client.get("/projects/default/threads/s")
        listing = client.get("/")
    assert page.status_code == 200 and "Soil logger on AA cells" in page.text
    assert listing.status_code == 200 and "Soil logger on AA cells" in listing.text

    # The user's own name replaces it everywhere.
    renamed = runner.invoke(app, ["--no-color", "threads", "rename", "s", "Balcony   logger"])
    assert renamed.exit_code == 0 and "renamed thread s to Balcony logger" in renamed.stdout
    listed = runner.invoke(app, ["--no-color", "threads", "--json"])
    assert [t["title"] for t in json.loads(listed.stdout)] == ["Balcony logger"]
    bad = runner.invoke(app, ["--no-color", "threads", "rename", "nosuch", "x"])
    assert bad.exit_code != 0 and "unknown thread 'nosuch'" in bad.stderr


def test_offline_the_rule_title_stays(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OHM_")}
    env |= {"OHM_OFFLINE": "1", "OHM_DATA_DIR": str(tmp_path / "data"), "NO_COLOR": "1"}
    ask = subprocess.run(
        [OHM, "ask", FIRST], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert ask.returncode == 0, ask.stderr
    out = subprocess.run(
        [OHM, "threads", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    titles = [t["title"] for t in json.loads(out.stdout)]
    assert titles == [RULE]
