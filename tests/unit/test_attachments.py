"""Attachments: reading and refusing files, content-addressed storage, routing by file,
the request the model gets, and project parts in the checks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image
from sqlalchemy import func, select

from nodes.agents import INTENTS, resolve_agent
from nodes.attachments import ATTACHMENTS_KEY, attachment_route, with_attachments
from persistence.attachments import load_blob, save_attachments, thread_attachments
from persistence.models import AttachmentBlob, ThreadAttachment
from persistence.store import ArtifactStore
from providers.offline.attachments import parse_datasheet
from tests.attachment_files import (
    TH42_PAGES,
    write_encrypted_pdf,
    write_image_only_pdf,
    write_jpeg,
    write_pdf,
    write_png,
)
from tools.attachments import (
    MAX_IMAGE_EDGE,
    AttachmentError,
    pdf_text,
    prepare_all,
    read_attachment,
)
from tools.checks.integration import run_project_checks
from tools.project_parts import ProjectPart, ProjectPartError, project_catalog, save_part

WIRING = {
    "components": [{"id": "mcu", "part": "esp32-devkit-v1"}, {"id": "th", "part": "th42"}],
    "connections": [
        {"from_component": "mcu", "from_pin": "5V", "to_component": "th", "to_pin": "VCC"},
        {"from_component": "mcu", "from_pin": "GND", "to_component": "th", "to_pin": "GND"},
        {"from_component": "mcu", "from_pin": "GPIO21", "to_component": "th", "to_pin": "SDA"},
        {"from_component": "mcu", "from_pin": "GPIO22", "to_component": "th", "to_pin": "SCL"},
    ],
}


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    st = ArtifactStore.open(tmp_path / "db")
    st.ensure_project("default")
    return st


def th42_part() -> ProjectPart:
    data = parse_datasheet(pdf_text(["\n".join(p) for p in TH42_PAGES]))
    assert data is not None
    return ProjectPart.model_validate(data)


# ------------------------------------------------------------------- reading files


def test_a_large_photo_is_scaled_to_the_maximum_edge(tmp_path: Path) -> None:
    f = read_attachment(write_jpeg(tmp_path / "board.jpg", (3000, 2000)))
    assert (f.kind, f.mime) == ("image", "image/jpeg")
    assert (f.width, f.height) == (MAX_IMAGE_EDGE, round(2000 * MAX_IMAGE_EDGE / 3000))
    with Image.open(io.BytesIO(f.data)) as img:
        assert max(img.size) == MAX_IMAGE_EDGE
    assert f.notes and "scaled" in f.notes[0]


def test_a_small_image_is_kept_byte_for_byte(tmp_path: Path) -> None:
    path = write_png(tmp_path / "a.png")
    f = read_attachment(path)
    assert f.data == path.read_bytes() and f.mime == "image/png" and not f.notes


def test_a_pdf_is_read_page_by_page(tmp_path: Path) -> None:
    f = read_attachment(write_pdf(tmp_path / "ds.pdf"))
    assert f.kind == "pdf" and f.pages == 3 and len(f.page_texts) == 3
    assert "Supply voltage: 1.8 to 3.6 V" in f.page_texts[1]
    assert "--- page 3 ---" in f.text


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: write_image_only_pdf(p / "scan.pdf"), "no text layer"),
        (lambda p: write_encrypted_pdf(p / "locked.pdf"), "encrypted"),
        (
            lambda p: _write(p / "board.jpg", b"\xff\xd8\xff\xe0" + b"x" * 200),
            "not a readable image",
        ),
        (lambda p: _write(p / "notes.docx", b"PK\x03\x04 not a picture"), "unsupported type"),
        (lambda p: _write(p / "broken.pdf", b"%PDF-1.4\nnothing else"), "not a readable PDF"),
    ],
)
def test_bad_files_are_refused_with_one_line(tmp_path: Path, make: object, expected: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(AttachmentError) as info:
        read_attachment(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_ATTACHMENT_MAX_MB", "0.01")
    path = write_jpeg(tmp_path / "big.jpg", (1200, 900))
    with pytest.raises(AttachmentError, match=r"over the .* limit"):
        read_attachment(path)


def test_one_bad_file_stops_the_whole_set(tmp_path: Path) -> None:
    good = write_png(tmp_path / "a.png")
    bad = _write(tmp_path / "b.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
    with pytest.raises(AttachmentError, match=r"b\.png"):
        prepare_all([good, bad])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -------------------------------------------------------- storage and the request


def test_files_are_stored_once_by_content(tmp_path: Path, store: ArtifactStore) -> None:
    f = read_attachment(write_jpeg(tmp_path / "board.jpg"))
    save_attachments(store, "default", "t1", [f])
    refs = save_attachments(store, "default", "t2", [f])
    assert refs[0]["sha256"] == f.sha256 and refs[0]["kind"] == "image"
    with store._read() as s:
        assert s.scalar(select(func.count()).select_from(AttachmentBlob)) == 1
        assert s.scalar(select(func.count()).select_from(ThreadAttachment)) == 2
    assert [a.name for a in thread_attachments(store, "t1")] == ["board.jpg"]
    assert load_blob(store, f.sha256).data == f.data


def test_the_model_request_carries_the_photo_and_the_pdf_text(
    tmp_path: Path, store: ArtifactStore
) -> None:
    photo = read_attachment(write_jpeg(tmp_path / "board.jpg"))
    ds = read_attachment(write_pdf(tmp_path / "ds.pdf"))
    refs = save_attachments(store, "default", "t1", [photo, ds])
    msg = HumanMessage("check this", additional_kwargs={ATTACHMENTS_KEY: refs})
    assert isinstance(msg.content, str)  # the state holds the reference only
    (expanded,) = with_attachments([msg], lambda: store)
    parts = expanded.content
    assert isinstance(parts, list)
    images = [p for p in parts if isinstance(p, dict) and p.get("type") == "image_url"]
    assert len(images) == 1
    assert images[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    text = next(p["text"] for p in parts if isinstance(p, dict) and p.get("type") == "text")
    assert text.startswith("check this") and "Part number: TH42-BRK" in text


def test_a_photo_routes_to_the_inspector_and_a_pdf_to_the_datasheet_analyst() -> None:
    photo = HumanMessage(
        "x", additional_kwargs={ATTACHMENTS_KEY: [{"sha256": "a", "kind": "image"}]}
    )
    pdf = HumanMessage("x", additional_kwargs={ATTACHMENTS_KEY: [{"sha256": "b", "kind": "pdf"}]})
    assert attachment_route(photo) is not None
    assert attachment_route(photo)["agent"] == "circuit_inspector"  # type: ignore[index]
    assert attachment_route(pdf)["intent"] == "DATASHEET"  # type: ignore[index]
    assert attachment_route(HumanMessage("no files")) is None


def test_the_new_agents_can_be_forced_by_name() -> None:
    assert {"VERIFY", "DATASHEET"} <= set(INTENTS)
    assert resolve_agent("verify") == "circuit_inspector"
    assert resolve_agent("DATASHEET") == "datasheet_analyst"


# --------------------------------------------------------------- project parts


def test_the_simulator_reads_the_documented_layout_with_pages() -> None:
    part = th42_part()
    assert (part.id, part.part_number, part.manufacturer) == ("th42", "TH42-BRK", "Example Sensors")
    assert (part.supply.min_v, part.supply.max_v, part.supply.page) == (1.8, 3.6, 2)
    assert part.i2c is not None and part.i2c.default == "0x44" and part.i2c.page == 3
    assert part.i2c.select_pins == ["ADDR"] and part.i2c.table == {"GND": "0x44", "VCC": "0x45"}
    assert {p.name for p in part.pins} == {"VCC", "GND", "SDA", "SCL", "ADDR"}
    assert part.absolute_max[0].value == 4.0 and part.absolute_max[0].page == 2
    assert part.five_v_tolerant is False


def test_free_text_is_not_taken_for_a_datasheet() -> None:
    assert parse_datasheet("The TH42 is a nice sensor that runs on about three volts.") is None


def test_a_datasheet_part_turns_unknown_part_into_the_real_checks(store: ArtifactStore) -> None:
    store.write("default", "wiring", lambda _p: json.dumps(WIRING))
    before = {f["rule"] for f in run_project_checks(store, "default")["findings"]}
    assert "unknown-part" in before
    assert save_part(store, "default", th42_part()) is True
    after = run_project_checks(store, "default")["findings"]
    rules = {f["rule"] for f in after}
    assert "unknown-part" not in rules
    # 5 V on a part rated 1.8-3.6 V: now a check can say so.
    assert any(f["rule"] == "supply-voltage" and "th" in f["components"] for f in after)


def test_project_parts_belong_to_their_project(store: ArtifactStore) -> None:
    store.ensure_project("other")
    save_part(store, "default", th42_part())
    assert project_catalog(store, "default").get("th42") is not None
    assert project_catalog(store, "other").get("th42") is None


def test_a_project_part_cannot_shadow_a_bundled_one(store: ArtifactStore) -> None:
    part = th42_part().model_copy(update={"id": "bme280"})
    with pytest.raises(ProjectPartError, match="bundled"):
        save_part(store, "default", part)


def test_a_pin_role_outside_the_catalog_is_refused(store: ArtifactStore) -> None:
    part = th42_part()
    bad = part.model_copy(
        update={"pins": [part.pins[0].model_copy(update={"roles": ["warp-drive"]})]}
    )
    with pytest.raises(ProjectPartError, match="warp-drive"):
        save_part(store, "default", bad)
