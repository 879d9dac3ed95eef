"""Attachments end to end through ``ohm`` and the offline simulator over loopback HTTP:
the photo reaches the model request, a datasheet adds a project part that changes the
checks, and bad files are one line with exit 2 and nothing saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import app
from persistence.attachments import thread_attachments
from persistence.models import AttachmentBlob, ThreadAttachment
from persistence.store import ArtifactStore
from providers.offline.server import shared_server
from tests.attachment_files import write_image_only_pdf, write_jpeg, write_pdf
from tests.unit.test_attachments import WIRING, th42_part

runner = CliRunner()


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OHM_OFFLINE", "1")
    # The offline note is printed once per process; leave it unsaid for later tests.
    monkeypatch.setattr("app.driver._offline_noted", False)


def write_truncated_jpeg(path: Path) -> Path:
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"x" * 99)  # a JPEG header and then nothing
    return path


def ohm(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), input=stdin)
    return r.exit_code, r.stdout, r.stderr


def one_result(stdout: str) -> dict:
    (line,) = [json.loads(x) for x in stdout.splitlines() if x.strip()]
    return line


def store() -> ArtifactStore:
    return ArtifactStore.open()


def test_a_photo_goes_to_the_inspector_and_the_request_carries_it(tmp_path: Path) -> None:
    photo = write_jpeg(tmp_path / "board.jpg", (2400, 1800))
    code, _, err = ohm("ask", "A weather station on an ESP32", "wire it up", "-t", "v1", "--json")
    assert code == 0, err
    server = shared_server()
    server.clear_records()
    code, out, err = ohm(
        "ask", "does this match my wiring?", "--attach", str(photo), "-t", "v1", "--json"
    )
    assert code == 0, err
    result = one_result(out)
    assert (result["agent"], result["intent"], result["route"]) == (
        "circuit_inspector",
        "VERIFY",
        "attachment",
    )
    inspector_calls = [r for r in server.records if r.agent == "circuit_inspector"]
    assert inspector_calls and all(r.images == 1 for r in inspector_calls)
    assert {"type": "inspection", "path": None, "version": 1} in result["artifacts"]
    inspection = json.loads(store().latest("default", "inspection").content)  # type: ignore[union-attr]
    # The simulator cannot see the photo: it never passes the build and says it compared nothing.
    assert inspection["status"] in ("warning", "fail") and inspection["confidence"] == 0.0
    assert inspection["compared_with_wiring"] is False
    assert "cannot see" in result["reply"]
    code, out, err = ohm("history", "-t", "v1", "--json")
    assert code == 0, err
    assert "[attached: board.jpg]" in out


def test_a_photo_without_wiring_asks_for_the_wiring_first(tmp_path: Path) -> None:
    photo = write_jpeg(tmp_path / "board.jpg")
    code, out, err = ohm("ask", "is this right?", "--attach", str(photo), "--json")
    assert code == 0, err
    result = one_result(out)
    assert result["agent"] == "circuit_inspector"
    assert "no wiring yet" in result["reply"] and "640×480" in result["reply"]
    assert not [a for a in result["artifacts"] if a["type"] == "inspection"]


def test_a_datasheet_pdf_adds_a_project_part_that_the_checks_use(tmp_path: Path) -> None:
    st = store()
    st.ensure_project("default")
    st.write("default", "wiring", lambda _p: json.dumps(WIRING))
    code, out, _ = ohm("check", "--project", "default", "--json")
    assert "unknown-part" in out
    code, out, err = ohm(
        "ask", "here is the datasheet", "--attach", str(write_pdf(tmp_path / "th42.pdf")), "--json"
    )
    assert code == 0, err
    result = one_result(out)
    assert (result["agent"], result["route"]) == ("datasheet_analyst", "attachment")
    code, out, err = ohm("parts", "list", "--json")
    assert code == 0, err
    (part,) = [json.loads(x) for x in out.splitlines() if x.strip()]
    assert part["part_id"] == "th42" and part["source"] == "th42.pdf"
    assert part["supply"]["page"] == 2
    code, out, _ = ohm("check", "--project", "default", "--json")
    assert "unknown-part" not in out and "supply-voltage" in out


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: write_image_only_pdf(p / "scan.pdf"), "no text layer"),
        (
            lambda p: write_truncated_jpeg(p / "board.jpg"),
            "not a readable image",
        ),
    ],
)
def test_a_bad_attachment_is_one_line_exit_2_and_saves_nothing(
    tmp_path: Path, make: object, expected: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    code, _, err = ohm("ask", "look at this", "--attach", str(path), "-t", "bad1")
    assert code == 2
    text = err.strip()
    assert len(text.splitlines()) == 1 and text.startswith("error:") and expected in text
    assert "Traceback" not in err
    st = store()
    assert st.find_thread("bad1") is None
    with st._read() as s:
        assert s.scalar(select(func.count()).select_from(AttachmentBlob)) == 0
        assert s.scalar(select(func.count()).select_from(ThreadAttachment)) == 0


def test_chat_attaches_a_file_to_the_next_message(tmp_path: Path) -> None:
    photo = write_jpeg(tmp_path / "board.jpg")
    code, out, err = ohm(
        "chat", "-t", "c1", stdin=f"/attach {tmp_path / 'nope.jpg'}\n/attach {photo}\ncheck it\n"
    )
    assert code == 0, err
    assert "no such file" in err
    assert "attached board.jpg" in out and "circuit_inspector" in out
    assert [a.name for a in thread_attachments(store(), "c1")] == ["board.jpg"]


def test_parts_add_show_and_remove_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "th42.json"
    path.write_text(th42_part().model_dump_json())
    code, out, err = ohm("parts", "add", str(path))
    assert code == 0, err and "added project part th42" in out
    code, out, _ = ohm("parts", "show", "th42")
    assert "supply 1.8-3.6 V (page 2)" in out and "pin SDA: od, i2c-sda, max 3.6 V" in out
    bundled = tmp_path / "bme.json"
    bundled.write_text(th42_part().model_copy(update={"id": "bme280"}).model_dump_json())
    code, _, err = ohm("parts", "add", str(bundled))
    assert code == 2 and "bundled" in err and len(err.strip().splitlines()) == 1
    code, out, _ = ohm("parts", "remove", "th42")
    assert code == 0
    code, out, _ = ohm("parts", "list")
    assert "no parts of its own" in out
