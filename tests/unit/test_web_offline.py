"""A turn through the dashboard with the offline simulator, the way `ohm serve` runs with
no key: the reply streams as text events and the BOM it writes shows on the project page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.web import WebConfig, create_app
from persistence.store import ArtifactStore

pytestmark = pytest.mark.integration


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("OHM_OFFLINE", "1")
    app = create_app(WebConfig(data_dir=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def events(text: str) -> list[dict[str, Any]]:
    return [
        json.loads(line[5:])
        for frame in text.split("\n\n")
        for line in frame.splitlines()
        if line.startswith("data:")
    ]


def test_offline_turns_stream_text_and_fill_the_bom_drawer(
    client: TestClient, tmp_path: Path
) -> None:
    headers = {"X-Ohm-Client": "test"}
    assert client.post("/api/projects", json={"id": "plant"}, headers=headers).status_code == 201
    first = events(
        client.post(
            "/api/projects/plant/threads/t1/turns",
            json={"message": "A soil-moisture monitor on an ESP32 that waters my plants"},
            headers=headers,
        ).text
    )
    assert first[-1]["type"] == "done", first[-1]
    second = events(
        client.post(
            "/api/projects/plant/threads/t1/turns",
            json={"message": "What parts do I need?"},
            headers=headers,
        ).text
    )
    kinds = [e["type"] for e in second]
    assert kinds[-1] == "done", second[-1]
    assert {"agent", "text", "artifact"} <= set(kinds)
    streamed = "".join(e["text"] for e in second if e["type"] == "text")
    assert streamed.strip() and streamed.strip() in second[-1]["result"]["reply"]
    assert kinds.count("text") > 1, "the reply arrives in pieces"
    assert any(e["type"] == "artifact" and e["artifact_type"] == "bom" for e in second)

    store = ArtifactStore.open(tmp_path / "data")
    try:
        bom = store.latest("plant", "bom")
        assert bom is not None
        first_part = json.loads(bom.content)["components"][0]["name"]
    finally:
        store.close()
    page = client.get("/projects/plant/threads/t1").text
    assert first_part.replace('"', "&#34;") in page or first_part in page
    assert "bom-table" in page
