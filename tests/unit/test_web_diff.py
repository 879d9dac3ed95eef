"""The dashboard's diff page: what changed in plain words first, the raw line diff folded
underneath it on the same page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.web import WebConfig, create_app
from graph.assembly_line import AssemblyLine
from nodes.deps import Deps
from persistence.store import ArtifactStore, VersionView
from tests.fakes import ModelBook

BOM_A = {
    "project_name": "Rover",
    "components": [
        {"name": "SG90 servo", "part_number": "SG90", "quantity": 4, "unit_cost": 2.0},
        {"name": "OLED display", "part_number": "SSD1306", "quantity": 1, "unit_cost": 6.0},
    ],
}
BOM_B = {
    "project_name": "Rover",
    "components": [
        {"name": "SG90 servo", "part_number": "SG90", "quantity": 8, "unit_cost": 2.0},
        {"name": "Ultrasonic sensor", "part_number": "HC-SR04", "quantity": 1, "unit_cost": 3.0},
    ],
}
WIRING_A = {
    "components": [
        {"id": "mcu", "part": "esp32-devkit-v1", "label": "ESP32"},
        {"id": "led", "part": "led-5mm", "label": "LED"},
    ],
    "connections": [
        {"from_component": "mcu", "from_pin": "GPIO2", "to_component": "led", "to_pin": "A"},
        {"from_component": "mcu", "from_pin": "GND", "to_component": "led", "to_pin": "K"},
    ],
}
WIRING_B = {
    "components": [
        {"id": "mcu", "part": "esp32-devkit-v1", "label": "ESP32"},
        {"id": "led", "part": "led-5mm", "label": "LED"},
        {"id": "btn", "part": "tactile-switch", "label": "Button"},
    ],
    "connections": [
        {"from_component": "mcu", "from_pin": "GPIO4", "to_component": "led", "to_pin": "A"},
        {"from_component": "mcu", "from_pin": "GND", "to_component": "led", "to_pin": "K"},
        {"from_component": "mcu", "from_pin": "GPIO15", "to_component": "btn", "to_pin": "1"},
    ],
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ArtifactStore]:
    s = ArtifactStore(f"sqlite:///{tmp_path / 'web.db'}")
    yield s
    s.close()


@pytest.fixture
def client(store: ArtifactStore, tmp_path: Path) -> Iterator[TestClient]:
    line = AssemblyLine(
        data_dir=tmp_path / "data", deps=Deps(models=ModelBook(), store=lambda: store)
    )
    app = create_app(WebConfig(data_dir=tmp_path / "data"), store=store, line=line)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        c.get("/")
        yield c


def _two_versions(store: ArtifactStore, kind: str, a: Any, b: Any) -> None:
    store.create_project("p")
    for content in (a, b):
        text = content if isinstance(content, str) else json.dumps(content)

        def body(_previous: VersionView | None, text: str = text) -> str:
            return text

        store.write("p", kind, body)


def _parts(html: str) -> tuple[str, str]:
    """(the semantic section, the raw-diff block) of a diff page."""
    semantic = re.search(r'<section class="card semantic-diff".*?</section>', html, re.S)
    raw = re.search(
        r'<details class="card diff-card raw-diff" id="raw-diff">.*?</details>', html, re.S
    )
    assert semantic is not None and raw is not None
    assert html.index(semantic.group(0)) < html.index(raw.group(0)), "semantic diff comes first"
    return semantic.group(0), raw.group(0)


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_bom_diff_page_says_parts_added_removed_changed_and_the_cost(
    client: TestClient, store: ArtifactStore
) -> None:
    _two_versions(store, "bom", BOM_A, BOM_B)
    r = client.get("/projects/p/artifacts/bom/diff", params={"a": 1, "b": 2})
    assert r.status_code == 200
    semantic, raw = _parts(r.text)
    words = _text(semantic)
    assert "Added Ultrasonic sensor (HC-SR04), quantity 1" in words
    assert "Removed OLED display (SSD1306), quantity 1" in words
    assert "Changed SG90 servo: quantity 4 → 8" in words
    # 4 × 2 + 6 = 14 before, 8 × 2 + 3 = 19 after.
    assert "Cost $14.00 → $19.00 (+$5.00)" in words
    assert 'class="change change-add"' in semantic and 'class="change change-del"' in semantic
    # The raw JSON line diff is still on the page, folded: the removed part's JSON line.
    assert re.search(r'class="diff-del">.*?SSD1306', raw, re.S)
    assert re.search(r'class="diff-add">.*?HC-SR04', raw, re.S)
    assert "<details" in raw and " open" not in raw.split(">")[0]


def test_wiring_diff_page_says_components_and_connections(
    client: TestClient, store: ArtifactStore
) -> None:
    _two_versions(store, "wiring", WIRING_A, WIRING_B)
    html = client.get("/projects/p/artifacts/wiring/diff", params={"a": 1, "b": 2}).text
    semantic, raw = _parts(html)
    words = _text(semantic)
    assert "Added component btn (tactile-switch, Button)" in words
    assert "Connected mcu.GPIO15 to btn.1" in words
    assert "Re-routed the wire from led.A: mcu.GPIO2 → mcu.GPIO4" in words
    assert "Disconnected" not in words  # the moved wire is a re-route, not a removal
    assert re.search(r'class="diff-add">.*?GPIO15', raw, re.S)


def test_document_diff_is_by_section_and_identical_versions_say_so(
    client: TestClient, store: ArtifactStore
) -> None:
    _two_versions(
        store, "prd", "# Goal\nA rover\n\n# Power\nAA cells\n", "# Goal\nA rover\n\n# Power\nLiPo\n"
    )
    html = client.get("/projects/p/artifacts/prd/diff", params={"a": 1, "b": 2}).text
    semantic, _raw = _parts(html)
    assert "1 section changed" in _text(semantic)
    assert re.search(r'change-changed">changed</span> <span class="mono"># Power', semantic)
    assert re.search(r'class="diff-del">-AA cells', semantic)
    assert re.search(r'class="diff-add">\+LiPo', semantic)
    assert "# Goal" not in semantic  # an unchanged section is left out
    same = client.get("/projects/p/artifacts/prd/diff", params={"a": 2, "b": 2}).text
    assert "What changed: no changes" in same and "identical" in same
