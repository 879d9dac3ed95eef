"""``ohm route``: intent, who decided and confidence per message, with no turn and no model
call for the messages the local router decides."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from nodes import deps, router
from tests.fakes import ModelBook, intent

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_router() -> None:
    router.reset_router()


def rows(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_clear_messages_are_decided_locally_and_follow_ups_by_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = ModelBook(orchestrator=[intent("WIRING", "continues the wiring")])
    monkeypatch.setattr(deps, "default_models", book)
    result = runner.invoke(
        app,
        [
            "route",
            "--json",
            "What parts do I need for a weather station?",
            "yes, go ahead",
            "the esp32 keeps rebooting when the pump starts",
        ],
    )
    assert result.exit_code == 0, result.output
    parts, follow_up, debug = rows(result.stdout)
    assert (parts["intent"], parts["decided_by"], parts["route"]) == ("BOM", "local", "local")
    assert isinstance(parts["confidence"], float) and parts["confidence"] > 0.5
    assert (debug["intent"], debug["decided_by"]) == ("DEBUG", "local")
    assert (follow_up["intent"], follow_up["decided_by"], follow_up["route"]) == (
        "WIRING",
        "model",
        "classifier",
    )
    assert follow_up["confidence"] is None
    assert str(follow_up["reason"]).startswith("follow-up:")
    # One model call: the follow-up's. The local decisions cost none, and no turn ran.
    assert len(book.models["orchestrator"].prompts) == 1


def test_messages_are_read_one_per_line_from_standard_input() -> None:
    result = runner.invoke(
        app,
        ["route", "--json", "--local-only"],
        input="how do I wire the relay to the esp32\n\n   \nand the other one?\n",
    )
    assert result.exit_code == 0, result.output
    wiring, other = rows(result.stdout)
    assert (wiring["message"], wiring["intent"], wiring["decided_by"]) == (
        "how do I wire the relay to the esp32",
        "WIRING",
        "local",
    )
    assert (other["intent"], other["decided_by"], other["route"]) == (None, "model", None)


def test_the_table_for_people_and_the_threshold_option(monkeypatch: pytest.MonkeyPatch) -> None:
    table = runner.invoke(app, ["route", "--local-only", "write the firmware for the esp32"])
    assert table.exit_code == 0, table.output
    assert "CODE" in table.stdout and "local" in table.stdout
    text = "can the pump run from the same supply as the board"
    (plain,) = rows(runner.invoke(app, ["route", "--json", "--local-only", text]).stdout)
    conf = float(str(plain["confidence"]))
    assert 0.2 < conf < 0.99, "pick a message the router is not sure about"
    for threshold, by in ((conf - 0.001, "local"), (conf + 0.001, "model")):
        result = runner.invoke(
            app, ["route", "--json", "--local-only", "--threshold", str(threshold), text]
        )
        (row,) = rows(result.stdout)
        assert row["decided_by"] == by, (threshold, row)
    monkeypatch.setenv("OHM_ROUTER", "off")
    off = runner.invoke(app, ["route", "--json", "--local-only", "write the firmware"])
    (row,) = rows(off.stdout)
    assert (row["decided_by"], row["confidence"]) == ("model", None)


@pytest.mark.parametrize(
    ("args", "env", "stdin", "words"),
    [
        (["route", "  "], {}, None, "a message is empty"),
        (["route"], {}, "\n\n", "no messages on standard input"),
        (["route", "hi"], {"OHM_ROUTER": "sometimes"}, None, "OHM_ROUTER must be one of"),
        (["route", "--threshold", "3", "hi"], {}, None, "must be between 0 and 1"),
    ],
)
def test_bad_input_is_one_error_line_and_a_non_zero_exit(
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    stdin: str | None,
    words: str,
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines
    assert "Traceback" not in result.output
