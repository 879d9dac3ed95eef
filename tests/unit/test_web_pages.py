"""The dashboard's pages: projects, the workspace with its drawers, artifacts, diffs,
the timeline, and what happens to hostile text on the way to the browser."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import AIMessage

from app.web import WebConfig, create_app, diagram
from app.web.diagram import wiring_svg_renderer
from app.web.security import CSRF_COOKIE
from graph.assembly_line import AssemblyLine
from nodes.deps import Deps
from persistence.store import ArtifactStore, WriteMeta
from tests.fakes import ModelBook, call, intent, tools_msg

JSON = {"X-Ohm-Client": "test"}
BOM = {
    "project_name": "Weather station",
    "summary": "ESP32 and BME280",
    "components": [
        {"name": "ESP32 dev board", "part_number": "ESP32-DEVKITC-32E",
         "manufacturer": "Espressif Systems", "quantity": 1, "unit_cost": 10.0,
         "voltage": "5V USB", "current": "80mA", "supplier": "DigiKey",
         "link": "https://www.digikey.com/esp32"},
        {"name": "BME280 breakout", "part_number": "BME280", "manufacturer": "Bosch Sensortec",
         "quantity": 2, "unit_cost": 8.5},
    ],
    "warnings": ["Keep the sensor away from the regulator"],
}  # fmt: skip
WIRING = {
    "components": [
        {"id": "mcu", "part": "esp32-devkit-v1", "label": "ESP32"},
        {"id": "env", "part": "bme280", "label": "BME280"},
    ],
    "connections": [
        {"from_component": "mcu", "from_pin": "GPIO21", "to_component": "env", "to_pin": "SDA",
         "wire_color": "blue"},
    ],
    "instructions": ["Wire SDA first"],
}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ArtifactStore]:
    s = ArtifactStore(f"sqlite:///{tmp_path / 'web.db'}")
    yield s
    s.close()


@pytest.fixture
def models() -> ModelBook:
    return ModelBook(
        project_initializer=[
            tools_msg(call("write_document", kind="context", markdown="# Weather\nA station")),
            AIMessage("Exciting! **Three ways** to build it."),
        ],
        orchestrator=[intent("BOM", "asks for parts")],
        bom_generator=[
            tools_msg(call("write_bom", bom=BOM)),
            AIMessage("Parts list saved."),
        ],
    )


@pytest.fixture
def client(store: ArtifactStore, models: ModelBook, tmp_path: Path) -> Iterator[TestClient]:
    line = AssemblyLine(data_dir=tmp_path / "data", deps=Deps(models=models, store=lambda: store))
    app = create_app(WebConfig(data_dir=tmp_path / "data"), store=store, line=line)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        c.get("/")
        yield c


def run_turns(client: TestClient, project: str, thread: str, *messages: str) -> None:
    for m in messages:
        r = client.post(
            f"/api/projects/{project}/threads/{thread}/turns",
            json={"message": m, "stream": False},
            headers=JSON,
        )
        assert r.status_code == 200, r.text


def form(client: TestClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": client.cookies[CSRF_COOKIE], **fields}


def section(html: str, element_id: str) -> str:
    """The markup from the element with ``element_id`` to the end of its drawer."""
    start = html.index(f'id="{element_id}"')
    end = html.find('<details class="drawer ', start + 1)
    return html[start : end if end > 0 else len(html)]


# --------------------------------------------------------------------- projects


def test_projects_page_lists_projects_with_their_threads(
    client: TestClient, store: ArtifactStore
) -> None:
    store.create_project("weather", "Weather station")
    store.ensure_thread("t1", "weather", title="A station on the roof")
    html = client.get("/").text
    assert "Weather station" in html
    assert 'href="/projects/weather/threads/t1"' in html
    assert "A station on the roof" in html


def test_create_rename_and_delete_a_project_through_forms(
    client: TestClient, store: ArtifactStore
) -> None:
    r = client.post(
        "/projects", data=form(client, project_id="bench", name="Bench PSU"), follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/projects/bench"
    bad = client.post("/projects", data=form(client, project_id="Bad Id!"))
    assert bad.status_code == 400
    assert "invalid project id" in bad.text

    client.post("/projects/bench/rename", data=form(client, name="Bench supply"))
    assert store.get_project("bench").name == "Bench supply"

    confirm = client.get("/projects/bench/delete")
    assert "Type <code>bench</code> to confirm" in confirm.text
    refused = client.post("/projects/bench/delete", data=form(client, confirm="nope"))
    assert refused.status_code == 400
    assert store.has_project("bench")
    done = client.post(
        "/projects/bench/delete", data=form(client, confirm="bench"), follow_redirects=False
    )
    assert done.status_code == 303
    assert not store.has_project("bench")


# -------------------------------------------------------------------- workspace


def test_a_project_without_threads_opens_a_new_one(
    client: TestClient, store: ArtifactStore
) -> None:
    store.create_project("weather")
    r = client.get("/projects/weather", follow_redirects=False)
    assert r.headers["location"] == "/projects/weather/new"
    html = client.get("/projects/weather/new").text
    assert 'data-draft="true"' in html
    assert "What are you building?" in html
    assert re.search(r'data-thread="[0-9a-f]{12}"', html)


def test_thread_page_shows_the_conversation_and_filled_drawers(
    client: TestClient, store: ArtifactStore
) -> None:
    store.create_project("weather")
    run_turns(client, "weather", "t1", "A weather station", "What parts do I need?")
    r = client.get("/projects/weather", follow_redirects=False)
    assert r.headers["location"] == "/projects/weather/threads/t1"
    html = client.get("/projects/weather/threads/t1").text

    assert "A weather station" in html
    assert "<strong>Three ways</strong>" in html, "replies are rendered Markdown"
    assert re.search(r"BOM · local — local router: BOM at confidence [01]\.\d\d", html), (
        "route shown"
    )

    bom = section(html, "drawer-bom")
    assert " open" in bom.split(">", 1)[0], "the newest artifact's drawer starts open"
    assert "ESP32 dev board" in bom and "BME280 breakout" in bom
    assert '<td class="num">2</td>' in bom
    assert "$17.00" in bom, "line total = unit cost x quantity"
    assert "$27.00" in bom, "the BOM total"
    assert 'href="https://www.digikey.com/esp32"' in bom
    assert "Keep the sensor away from the regulator" in bom
    assert "History · 1 version" in bom

    assert "Checkpoints appear here" not in html
    assert "classify" in html, "the timeline lists the thread's steps"


def test_drawer_fragment_and_sidebar_fragment(client: TestClient, store: ArtifactStore) -> None:
    store.create_project("weather")
    run_turns(client, "weather", "t1", "A weather station")
    drawer = client.get("/projects/weather/drawers/context").text
    assert drawer.lstrip().startswith("{") is False
    assert 'id="drawer-context"' in drawer and "A station" in drawer
    sidebar = client.get("/projects/weather/threads/t1/sidebar").text
    assert 'class="active"' in sidebar and "Timeline" in sidebar
    assert client.get("/projects/weather/drawers/gizmo").status_code == 404


def test_code_is_highlighted_and_downloadable(client: TestClient, store: ArtifactStore) -> None:
    store.create_project("fw")
    main = '#include <Wire.h>\nint main() { return "<b>"[0]; }\n'
    store.write("fw", "code", lambda _p: main, path="src/main.cpp", language="cpp")
    store.write("fw", "code", lambda _p: "[env]\n", path="platformio.ini", language="ini")
    html = section(client.get("/projects/fw/new").text, "drawer-code")
    assert "src/main.cpp" in html and "platformio.ini" in html
    assert '<span class="cp">#include' in html, "Pygments classes, not raw text"
    assert "&lt;Wire.h&gt;" in html and "<Wire.h>" not in html

    dl = client.get("/projects/fw/artifacts/code/download", params={"path": "src/main.cpp"})
    assert dl.text == main
    assert "attachment" in dl.headers["content-disposition"]
    assert "main.cpp" in dl.headers["content-disposition"]
    bundle = zipfile.ZipFile(io.BytesIO(client.get("/projects/fw/code.zip").content))
    assert sorted(bundle.namelist()) == ["fw/platformio.ini", "fw/src/main.cpp"]


def test_wiring_drawer_shows_the_connection_table(client: TestClient, store: ArtifactStore) -> None:
    store.create_project("w")
    store.write("w", "wiring", lambda _p: json.dumps(WIRING))
    html = section(client.get("/projects/w/new").text, "drawer-wiring")
    assert "mcu.GPIO21" in html and "env.SDA" in html
    assert "wire-blue" in html
    assert "Wire SDA first" in html


def test_wiring_diagram_is_drawn_by_exports_with_findings_marked(
    client: TestClient, store: ArtifactStore
) -> None:
    store.create_project("w")
    v = store.write("w", "wiring", lambda _p: json.dumps(WIRING)).version
    store.set_findings(
        v.id,
        [{"rule": "pull-ups", "severity": "warning", "message": "I2C needs pull-ups",
          "components": ["env"], "pins": ["env.SDA"], "fix": "Add 4.7k to 3V3"}],
    )  # fmt: skip
    wiring_svg_renderer.cache_clear()
    renderer = wiring_svg_renderer()
    assert renderer is not None and renderer.__module__.startswith("exports")
    html = section(client.get("/projects/w/new").text, "drawer-wiring")
    assert 'data-src="/projects/w/artifacts/wiring/diagram.svg?version=1"' in html
    viewport = html[html.index('class="diagram-viewport"') :]
    assert viewport.index("<svg") < viewport.index("</div>"), "drawn inline, to zoom and measure"
    assert "I2C needs pull-ups" in viewport
    svg = client.get("/projects/w/artifacts/wiring/diagram.svg", params={"version": 1})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith(("<svg", "<?xml"))
    assert "I2C needs pull-ups" in svg.text, "the version's findings are marked"
    assert "script-src" not in svg.headers["content-security-policy"]


def test_without_a_renderer_the_wiring_drawer_shows_the_table_only(
    client: TestClient, store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_project("w")
    store.write("w", "wiring", lambda _p: json.dumps(WIRING))
    monkeypatch.setattr(diagram, "CANDIDATES", ())
    monkeypatch.setattr(diagram, "_import", lambda _name: None)
    wiring_svg_renderer.cache_clear()
    try:
        html = section(client.get("/projects/w/new").text, "drawer-wiring")
        assert "diagram.svg" not in html
        assert "mcu.GPIO21" in html
        assert client.get("/projects/w/artifacts/wiring/diagram.svg").status_code == 404
    finally:
        wiring_svg_renderer.cache_clear()


def test_findings_are_shown_next_to_their_artifact(
    client: TestClient, store: ArtifactStore
) -> None:
    store.create_project("w")
    v = store.write("w", "bom", lambda _p: json.dumps(BOM)).version
    store.set_findings(
        v.id,
        [
            {"rule": "supply-budget", "severity": "error", "message": "The supply is too weak",
             "components": ["psu"], "pins": [], "fix": "Use a 2 A adapter"},
        ],
    )  # fmt: skip
    html = section(client.get("/projects/w/new").text, "drawer-bom")
    assert "1 error" in html
    assert "The supply is too weak" in html and "Use a 2 A adapter" in html
    assert "supply-budget" in html


def test_version_history_and_diff_page(client: TestClient, store: ArtifactStore) -> None:
    store.create_project("p")
    store.write("p", "prd", lambda _p: "# PRD\nkeep\nold line\n", meta=WriteMeta(agent="debugger"))
    store.write("p", "prd", lambda _p: "# PRD\nkeep\nnew line\n")
    drawer = section(client.get("/projects/p/new").text, "drawer-prd")
    assert "History · 2 versions" in drawer
    assert 'action="/projects/p/artifacts/prd/diff"' in drawer
    html = client.get("/projects/p/artifacts/prd/diff", params={"a": 1, "b": 2}).text
    assert re.search(r'class="diff-del">.*?old line', html, re.S)
    assert re.search(r'class="diff-add">.*?new line', html, re.S)
    assert "+1" in html and "−1" in html
    same = client.get("/projects/p/artifacts/prd/diff", params={"a": 2, "b": 2}).text
    assert "identical" in same
    old = client.get("/projects/p/artifacts/prd", params={"version": 1}).text
    assert "old line" in old and "Debugger" in old and "see the newest (v2)" in old


def test_a_checkpoint_shows_the_artifacts_as_they_were_and_offers_a_fork(
    client: TestClient, store: ArtifactStore
) -> None:
    store.create_project("weather")
    run_turns(client, "weather", "t1", "A weather station", "What parts do I need?")
    timeline = client.get("/api/projects/weather/threads/t1/checkpoints").json()
    classified = next(c for c in timeline if c["intent"] == "BOM")
    html = client.get(f"/projects/weather/threads/t1/checkpoints/{classified['checkpoint_id']}")
    assert html.status_code == 200
    text = html.text
    assert f"as of step {classified['step']}" in text
    assert "ESP32 dev board" not in section(text, "drawer-bom"), "the BOM was not written yet"
    assert "A station" in section(text, "drawer-context")
    assert 'id="fork-form"' in text and 'value="WIRING"' in text
    assert "Parts list saved." not in text, "the conversation is shown as it was then"


# ------------------------------------------------------------------------ errors


def test_unknown_ids_give_404_pages(client: TestClient, store: ArtifactStore) -> None:
    store.create_project("mine")
    store.create_project("theirs")
    store.ensure_thread("secret", "theirs")
    for url in (
        "/projects/nope",
        "/projects/mine/threads/nope",
        "/projects/mine/threads/secret",
        "/projects/mine/threads/secret/sidebar",
        "/projects/mine/artifacts/bom",
        "/projects/mine/artifacts/bom/diff?a=1&b=2",
        "/projects/mine/nothing-here",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "text/html" in r.headers["content-type"], url
        assert "Not found" in r.text, url
    run_turns(client, "mine", "t1", "A weather station")
    bad_cp = client.get("/projects/mine/threads/t1/checkpoints/not-a-checkpoint")
    assert bad_cp.status_code == 404


# ---------------------------------------------------------------------- hostile


HOSTILE_DOC = (
    '# Notes\n<script>window.__pwned=1</script>\n\n<img src=x onerror="window.__pwned=2">\n\n'
    '[click me](javascript:window.__pwned=3) and <a href="javascript:alert(1)">raw</a>\n'
)


def test_artifact_markup_is_shown_as_text(client: TestClient, store: ArtifactStore) -> None:
    store.create_project("x")
    store.write("x", "context", lambda _p: HOSTILE_DOC)
    hostile_bom = dict(BOM)
    hostile_bom["components"] = [
        {"name": "<script>window.__pwned=4</script>", "part_number": "<b onmouseover=x>",
         "manufacturer": "m", "quantity": 1, "link": "javascript:alert(1)"},
    ]  # fmt: skip
    store.write("x", "bom", lambda _p: json.dumps(hostile_bom))
    for html in (
        client.get("/projects/x/new").text,
        client.get("/projects/x/artifacts/context").text,
    ):
        assert "<script>window" not in html
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
        assert "onerror=" not in html.replace("&lt;img src=x onerror=", "")
        assert not re.search(r"<a\b[^>]*href=\"?javascript", html, re.I)
        assert re.findall(r"<script[^>]*>", html) == [
            '<script src="/static/app.js" defer>',
            '<script src="/static/diagram.js" defer>',
        ], "only the dashboard's own script tags"
    assert "<b onmouseover" not in client.get("/projects/x/new").text


def test_hostile_chat_text_is_escaped(client: TestClient, store: ArtifactStore) -> None:
    store.create_project("x")
    run_turns(client, "x", "t1", '<img src=x onerror="window.__pwned=5"> build <script>x</script>')
    html = client.get("/projects/x/threads/t1").text
    assert "&lt;img src=x onerror=" in html
    assert "<img src=x" not in html and "<script>x" not in html


def test_after_a_fork_both_branches_are_listed_and_reachable(
    client: TestClient, store: ArtifactStore, models: ModelBook
) -> None:
    store.create_project("weather")
    run_turns(client, "weather", "t1", "A weather station", "What parts do I need?")
    assert 'id="branch-list"' not in client.get("/projects/weather/threads/t1").text
    timeline = client.get("/api/projects/weather/threads/t1/checkpoints").json()
    classified = next(c for c in timeline if c["intent"] == "BOM")
    wrote_bom = next(c for c in timeline if any(a["type"] == "bom" for a in c["artifacts"]))
    bigger = {**BOM, "summary": "ESP32, BME280 and a display"}
    models.add(
        "bom_generator",
        tools_msg(call("write_bom", bom=bigger)),
        AIMessage("A second parts list."),
    )
    client.post(
        f"/api/projects/weather/threads/t1/checkpoints/{classified['checkpoint_id']}/fork",
        json={"intent": "BOM", "stream": False},
        headers=JSON,
    )
    html = client.get("/projects/weather/threads/t1").text
    branches = html[
        html.index('id="branch-list"') : html.index("</nav>", html.index('id="branch-list"'))
    ]
    assert "Main line" in branches and "Branch 2" in branches
    assert "turn 2 forked" in branches, "the fork is named by the turn it answered again"
    said = "This branch wrote Parts list v2, which is now the project&#39;s latest parts list."
    assert said in branches, "what the fork changed in the project is said plainly"
    assert "A second parts list." in html, "the thread opens on the newest branch"
    bar = html[html.index('id="branch-bar"') :]
    back = re.search(r'<a class="button button-small" data-branch-link="0" href="([^"]+)"', bar)
    assert back, "the chat offers a way back to the main line"
    turns = html[html.index('<ol class="timeline turns"') :]
    assert turns.count('class="turn-row') == 2, "one row per turn, the fork's turn 2 included"
    assert 'data-turn="2"' in turns and 'data-turn="3"' not in turns

    original = client.get(back.group(1)).text
    assert "Parts list saved." in original, "the main line keeps its own later turns"
    assert "A second parts list." not in original
    assert re.search(r'<li class="branch current" data-branch="0">', original)
    assert wrote_bom["checkpoint_id"] in original


def test_checked_drawers_say_how_many_rules_found_nothing(
    client: TestClient, store: ArtifactStore
) -> None:
    store.create_project("ok")
    w = store.write("ok", "wiring", lambda _p: json.dumps(WIRING)).version
    store.set_findings(w.id, [])
    drawer = section(client.get("/projects/ok/new").text, "drawer-wiring")
    assert "No problems found by 13 rules." in drawer
    assert "✓ 13 rules pass" in drawer
    assert "short-circuit" in drawer, "the rules are listed, folded"
    b = store.write("ok", "bom", lambda _p: json.dumps(BOM)).version
    store.set_findings(b.id, [])
    html = client.get("/projects/ok/new").text
    assert "No problems found by 4 rules." in section(html, "drawer-bom"), "compared with wiring"
    w2 = store.write("ok", "wiring", lambda _p: json.dumps(WIRING)).version
    store.set_findings(w2.id, [{"rule": "logic-level", "severity": "warning", "message": "x"}])
    drawer = section(client.get("/projects/ok/new").text, "drawer-wiring")
    assert "No problems found" not in drawer and "15 rules ran" in drawer
    assert "No problems" not in section(html, "drawer-context"), "documents are not checked"
