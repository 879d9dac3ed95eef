"""The CLI's wiring: --wait reaches the AssemblyLine only when given, a busy thread is
exit code 3 with one line, --version, and the constants the CLI keeps to start fast."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app import cli, options
from app.check_cli import check_app
from app.errors import EXIT_BUSY, describe
from graph.assembly_line import AssemblyLine, TurnError
from graph.events import ErrorEvent, OhmEvent, TurnFinished, TurnResult
from persistence import store
from persistence.leases import ThreadBusy

runner = CliRunner()
STARTED = datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC)
STREAMS = ("astream", "areplay_stream", "aresume_stream")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OHM_OFFLINE", "1")


def _result() -> TurnResult:
    return TurnResult(
        project="default",
        thread_id="t1",
        checkpoint_id=None,
        intent="CHAT",
        agent="conversational",
        route="classifier",
        reply="fine",
    )


@pytest.fixture(autouse=True)
def known_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thread t1 and its checkpoint c1 exist, with a turn to resume, as far as the
    commands' id resolution can tell (the turn streams themselves are replaced)."""
    from types import SimpleNamespace

    from app import ids

    async def resolve_checkpoint(line: AssemblyLine, thread: str | None, ref: Any) -> Any:
        return "t1", SimpleNamespace(checkpoint_id="c1")

    async def unfinished(self: AssemblyLine, thread_id: str) -> bool:
        return True

    monkeypatch.setattr(ids, "resolve_checkpoint", resolve_checkpoint)
    monkeypatch.setattr(
        ids, "resolve_thread", lambda store, ref, project=None: SimpleNamespace(id=ref)
    )
    monkeypatch.setattr(AssemblyLine, "aunfinished", unfinished)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Replace the three turn streams by ones that record their keyword arguments."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def recorder(name: str) -> Any:
        async def stream(self: AssemblyLine, *args: Any, **kwargs: Any) -> AsyncIterator[OhmEvent]:
            seen.append((name, kwargs))
            yield TurnFinished(result=_result())

        return stream

    for name in STREAMS:
        monkeypatch.setattr(AssemblyLine, name, recorder(name))
    return seen


@pytest.fixture
def busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every turn stream refuses: the thread is busy with another turn."""

    async def refuse(self: AssemblyLine, *args: Any, **kwargs: Any) -> AsyncIterator[OhmEvent]:
        raise ThreadBusy("t1", STARTED)
        yield  # pragma: no cover - makes this an async generator like the real ones

    for name in STREAMS:
        monkeypatch.setattr(AssemblyLine, name, refuse)


COMMANDS = {
    "ask": ["ask", "hello", "--thread", "t1"],
    "chat": ["chat", "--thread", "t1"],
    "replay": ["replay", "--thread", "t1", "--checkpoint", "c1"],
    "resume": ["resume", "--thread", "t1"],
}
STREAM_OF = {"ask": "astream", "chat": "astream", "replay": "areplay_stream"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_wait_is_passed_only_when_given(
    command: str, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    args = COMMANDS[command]
    chat_input = "hello\nexit\n" if command == "chat" else None
    r = runner.invoke(cli.app, args, input=chat_input)
    assert r.exit_code == 0, r.stderr
    r = runner.invoke(cli.app, [*args, "--wait", "2.5"], input=chat_input)
    assert r.exit_code == 0, r.stderr
    stream = STREAM_OF.get(command, "aresume_stream")
    assert [name for name, _ in calls] == [stream, stream]
    assert "wait" not in calls[0][1]
    assert calls[1][1]["wait"] == 2.5


def test_a_negative_wait_is_a_usage_error(calls: list[tuple[str, dict[str, Any]]]) -> None:
    r = runner.invoke(cli.app, ["ask", "hello", "--wait", "-1"])
    assert r.exit_code == 2
    assert calls == []


def problems(stderr: str) -> str:
    """stderr without the note that the simulator is answering (printed before a turn)."""
    return "\n".join(x for x in stderr.strip().splitlines() if not x.startswith("offline: "))


@pytest.mark.parametrize("command", ["ask", "replay", "resume"])
def test_a_busy_thread_is_exit_code_3_and_one_line(command: str, busy: None) -> None:
    r = runner.invoke(cli.app, COMMANDS[command])
    assert r.exit_code == EXIT_BUSY == 3
    expected = str(ThreadBusy("t1", STARTED))
    assert problems(r.stderr) == f"error: {expected}"
    assert "try again, or wait with --wait" in expected


def test_chat_says_the_thread_is_busy_and_goes_on(busy: None) -> None:
    r = runner.invoke(cli.app, COMMANDS["chat"], input="hello\nexit\n")
    assert r.exit_code == 0
    assert problems(r.stderr) == f"error: {ThreadBusy('t1', STARTED)}"


def test_exit_codes_of_expected_failures() -> None:
    busy = ThreadBusy("t1", STARTED)
    assert describe(busy) == (str(busy), 3)
    assert describe(store.NotFoundError("unknown thread 'x'")) == ("unknown thread 'x'", 1)
    failed = TurnError(ErrorEvent(kind="provider", message="no key"), "t1")
    assert describe(failed) == ("no key", 1)
    refused = TurnError(ErrorEvent(kind="input", message=str(busy)), "t1")
    refused.__cause__ = busy
    assert describe(refused) == (str(busy), 3)
    assert describe(RuntimeError("a bug")) is None


def test_version_prints_the_package_version() -> None:
    r = runner.invoke(cli.app, ["--version"])
    assert r.exit_code == 0
    assert r.stdout.strip() == f"ohm {version('ohm')}"


def test_the_lazy_check_group_shows_its_own_help() -> None:
    assert cli.LAZY_GROUPS["check"][2] == check_app.info.help
    r = runner.invoke(cli.app, ["--help"])
    assert r.exit_code == 0 and "check" in r.stdout and "Check wiring" in r.stdout
    r = runner.invoke(cli.app, ["check", "rules", "--json"])
    assert r.exit_code == 0 and '"rules"' in r.stdout


def test_constants_kept_out_of_the_store_agree_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert options.DEFAULT_PROJECT == store.DEFAULT_PROJECT
    monkeypatch.setenv("OHM_DATA_DIR", str(tmp_path / "elsewhere"))
    assert cli._default_data_dir() == store.default_data_dir()
    monkeypatch.delenv("OHM_DATA_DIR")
    assert cli._default_data_dir() == store.default_data_dir()
