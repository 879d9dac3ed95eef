"""Attachments in the dashboard API with the offline simulator: upload (checked, one-line
400 for a bad file), a turn that names the upload, the file shown in the chat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.web import WebConfig, create_app
from persistence.store import ArtifactStore
from providers.offline.server import shared_server
from tests.attachment_files import write_image_only_pdf, write_jpeg
from tests.unit.test_attachments import WIRING

pytestmark = pytest.mark.integration
HEADERS = {"X-Ohm-Client": "test"}


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("OHM_OFFLINE", "1")
    app = create_app(WebConfig(data_dir=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def test_an_uploaded_photo_goes_with_the_message_and_shows_in_the_chat(
    client: TestClient, tmp_path: Path
) -> None:
    assert client.post("/api/projects", json={"id": "bench"}, headers=HEADERS).status_code == 201
    photo = write_jpeg(tmp_path / "board.jpg")
    r = client.post(
        "/api/projects/bench/attachments",
        files={"file": ("board.jpg", photo.read_bytes(), "image/jpeg")},
        headers=HEADERS,
    )
    assert r.status_code == 200, r.text
    ref = r.json()
    assert (ref["kind"], ref["width"], ref["height"]) == ("image", 640, 480)
    wiring = json.dumps(WIRING)
    ArtifactStore.open(tmp_path / "data").write("bench", "wiring", lambda _p: wiring)
    shared_server().clear_records()
    r = client.post(
        "/api/projects/bench/threads/w1/turns",
        json={
            "message": "does this match my wiring?",
            "stream": False,
            "attachments": [{"sha256": ref["sha256"], "name": "board.jpg"}],
        },
        headers=HEADERS,
    )
    assert r.status_code == 200, r.text
    assert r.json()["agent"] == "circuit_inspector"
    assert any(rec.images == 1 for rec in shared_server().records)
    img = client.get(f"/api/projects/bench/attachments/{ref['sha256']}")
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert img.content == photo.read_bytes()
    page = client.get("/projects/bench/threads/w1")
    assert page.status_code == 200
    assert f"/api/projects/bench/attachments/{ref['sha256']}" in page.text
    assert "board.jpg (image/jpeg, 640×480" in page.text
    # The inspection drawer: the checks' errors on the wiring come first.
    assert "Status: fail" in page.text and "Critical issues" in page.text


def test_a_bad_upload_is_a_400_with_one_line(client: TestClient, tmp_path: Path) -> None:
    client.post("/api/projects", json={"id": "bench"}, headers=HEADERS)
    scan = write_image_only_pdf(tmp_path / "scan.pdf")
    r = client.post(
        "/api/projects/bench/attachments",
        files={"file": ("scan.pdf", scan.read_bytes(), "application/pdf")},
        headers=HEADERS,
    )
    assert r.status_code == 400
    assert "no text layer" in r.json()["detail"]


def test_an_attachment_of_another_project_is_not_served(client: TestClient) -> None:
    client.post("/api/projects", json={"id": "bench"}, headers=HEADERS)
    r = client.get("/api/projects/bench/attachments/" + "0" * 64)
    assert r.status_code == 404
