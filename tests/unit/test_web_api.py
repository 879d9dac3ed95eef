"""The dashboard's JSON API: projects, threads, turns streamed as events, artifacts,
versions and diffs, all scoped so that one project's ids never reach another's data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import AIMessage

from app.web import WebConfig, create_app
from graph.assembly_line import AssemblyLine
from nodes.deps import Deps
from persistence.store import ArtifactStore, WriteMeta
from tests.fakes import ModelBook, call, intent, tools_msg

JSON_HEADERS = {"X-Ohm-Client": "test"}
BOM = {
    "project_name": "Weather station",
    "summary": "ESP32 and BME280",
    "components": [
        {"name": "ESP32 dev board", "part_number": "ESP32-DEVKITC-32E",
         "manufacturer": "Espressif Systems", "quantity": 1, "unit_cost": 10.0},
        {"name": "BME280 breakout", "part_number": "BME280", "manufacturer": "Bosch Sensortec",
         "quantity": 2, "unit_cost": 8.5},
    ],
}  # fmt: skip


def book() -> ModelBook:
    return ModelBook(
        project_initializer=[
            tools_msg(call("write_document", kind="context", markdown="# Weather station\nGoal")),
            AIMessage("Exciting! Here are three ways to build it."),
        ],
        orchestrator=[intent("BOM", "asks for parts")],
        bom_generator=[
            tools_msg(call("write_bom", bom=BOM)),
            AIMessage("Parts list saved: $27.00."),
        ],
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ArtifactStore]:
    s = ArtifactStore(f"sqlite:///{tmp_path / 'web.db'}")
    yield s
    s.close()


@pytest.fixture
def models() -> ModelBook:
    return book()


@pytest.fixture
def client(store: ArtifactStore, models: ModelBook, tmp_path: Path) -> Iterator[TestClient]:
    line = AssemblyLine(data_dir=tmp_path / "data", deps=Deps(models=models, store=lambda: store))
    app = create_app(WebConfig(data_dir=tmp_path / "data"), store=store, line=line)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def sse_events(text: str) -> list[dict[str, Any]]:
    out = []
    for frame in text.split("\n\n"):
        data = [ln[5:].strip() for ln in frame.splitlines() if ln.startswith("data:")]
        if data:
            out.append(json.loads("\n".join(data)))
    return out


def test_projects_can_be_created_listed_renamed_and_deleted(client: TestClient) -> None:
    r = client.post(
        "/api/projects", json={"id": "weather", "name": "Weather"}, headers=JSON_HEADERS
    )
    assert r.status_code == 201
    assert r.json()["name"] == "Weather"
    assert [p["id"] for p in client.get("/api/projects").json()] == ["weather"]

    r = client.patch("/api/projects/weather", json={"name": "Station"}, headers=JSON_HEADERS)
    assert r.json()["name"] == "Station"

    assert client.delete("/api/projects/weather", headers=JSON_HEADERS).status_code == 204
    assert client.get("/api/projects/weather").status_code == 404


def test_bad_input_gets_a_4xx_with_one_clear_message(client: TestClient) -> None:
    r = client.post("/api/projects", json={"id": "Not A Slug"}, headers=JSON_HEADERS)
    assert r.status_code == 400
    assert "invalid project id" in r.json()["detail"]

    client.post("/api/projects", json={"id": "p"}, headers=JSON_HEADERS)
    dup = client.post("/api/projects", json={"id": "p"}, headers=JSON_HEADERS)
    assert dup.status_code == 400
    assert "already exists" in dup.json()["detail"]

    missing = client.post("/api/projects/p/turns", json={}, headers=JSON_HEADERS)
    assert missing.status_code == 422
    assert missing.json()["detail"] == "message: Field required"

    blank = client.post("/api/projects/p/turns", json={"message": "  "}, headers=JSON_HEADERS)
    assert blank.status_code == 422
    assert "the message is empty" in blank.json()["detail"]

    agent = client.post(
        "/api/projects/p/turns", json={"message": "hi", "agent": "wizard"}, headers=JSON_HEADERS
    )
    assert agent.status_code == 400
    assert "unknown agent 'wizard'" in agent.json()["detail"]


def test_unknown_ids_are_404(client: TestClient, store: ArtifactStore) -> None:
    store.ensure_project("p")
    for url in (
        "/api/projects/nope",
        "/api/projects/nope/threads",
        "/api/projects/p/threads/nope",
        "/api/projects/p/threads/nope/messages",
        "/api/projects/p/artifacts/bom",
        "/api/projects/p/artifacts/gizmo",
        "/api/projects/p/artifacts/bom/versions/3",
        "/api/projects/BAD%20ID",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json()["detail"], url


def test_a_turn_streams_agent_text_artifact_and_done_events(
    client: TestClient, store: ArtifactStore
) -> None:
    store.ensure_project("weather")
    first = client.post(
        "/api/projects/weather/threads/t1/turns",
        json={"message": "A weather station on an ESP32"},
        headers=JSON_HEADERS,
    )
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/event-stream")
    events = sse_events(first.text)
    types = [e["type"] for e in events]
    assert types[0] == "turn_started" and types[-1] == "done"
    assert events[1] == {
        "type": "agent",
        "agent": "project_initializer",
        "intent": None,
        "route": "initializer",
        "reason": "first message of the thread, in a project with no artifacts yet",
        "confidence": None,
    }
    assert any(e["type"] == "artifact" and e["artifact_type"] == "context" for e in events)

    second = sse_events(
        client.post(
            "/api/projects/weather/threads/t1/turns",
            json={"message": "What parts do I need?"},
            headers=JSON_HEADERS,
        ).text
    )
    agent = next(e for e in second if e["type"] == "agent")
    # A clear message: the local router decides it, without asking the orchestrator.
    assert (agent["agent"], agent["intent"], agent["route"]) == ("bom_generator", "BOM", "local")
    assert agent["reason"].startswith("local router: BOM at confidence")
    assert 0.5 < agent["confidence"] <= 1.0
    calls = [e["tool"] for e in second if e["type"] == "tool_call"]
    assert calls == ["write_bom"]
    written = [e for e in second if e["type"] == "artifact"]
    assert [(e["artifact_type"], e["version"]) for e in written] == [("bom", 1)]
    done = second[-1]
    assert done["result"]["reply"] == "Parts list saved: $27.00."
    assert done["reply_html"] == "<p>Parts list saved: $27.00.</p>\n"

    bom = client.get("/api/projects/weather/artifacts/bom").json()
    assert bom["content"]["components"][1]["quantity"] == 2
    assert bom["agent"] == "bom_generator" and bom["thread_id"] == "t1"

    messages = client.get("/api/projects/weather/threads/t1/messages").json()
    assert [m["message"] for m in messages] == [
        "A weather station on an ESP32",
        "What parts do I need?",
    ]
    assert messages[1]["agent"] == "bom_generator"
    assert messages[1]["artifacts"][0]["type"] == "bom"


def test_a_turn_without_streaming_returns_the_result(
    client: TestClient, store: ArtifactStore
) -> None:
    store.ensure_project("weather")
    r = client.post(
        "/api/projects/weather/turns",
        json={"message": "A weather station", "stream": False},
        headers=JSON_HEADERS,
    )
    assert r.status_code == 200
    result = r.json()
    assert result["agent"] == "project_initializer"
    assert result["artifacts"] == [{"type": "context", "path": None, "version": 1}]
    threads = client.get("/api/projects/weather/threads").json()
    assert [t["id"] for t in threads] == [result["thread_id"]]


def test_a_failing_turn_ends_with_an_error_event(client: TestClient, store: ArtifactStore) -> None:
    store.ensure_project("weather")
    store.ensure_project("garden")
    # The first kickoff uses up the scripted kickoff, so the kickoff of a second, empty
    # project runs out of script and fails inside the graph.
    client.post(
        "/api/projects/weather/threads/a/turns", json={"message": "one"}, headers=JSON_HEADERS
    )
    events = sse_events(
        client.post(
            "/api/projects/garden/threads/b/turns", json={"message": "two"}, headers=JSON_HEADERS
        ).text
    )
    assert events[-1]["type"] == "error"
    assert events[-1]["message"]
    assert "\n" not in events[-1]["message"]


def test_threads_of_another_project_cannot_be_reached(
    client: TestClient, store: ArtifactStore
) -> None:
    store.ensure_project("mine")
    store.ensure_project("theirs")
    store.ensure_thread("secret", "theirs", title="their plans")
    store.write("theirs", "prd", lambda _p: "their prd", meta=WriteMeta(thread_id="secret"))

    assert client.get("/api/projects/mine/threads/secret").status_code == 404
    assert client.get("/api/projects/mine/threads/secret/messages").status_code == 404
    assert client.get("/api/projects/mine/threads/secret/checkpoints").status_code == 404
    assert client.get("/api/projects/mine/artifacts/prd").status_code == 404
    turn = client.post(
        "/api/projects/mine/threads/secret/turns", json={"message": "hi"}, headers=JSON_HEADERS
    )
    assert turn.status_code == 404
    fork = client.post(
        "/api/projects/mine/threads/secret/checkpoints/x/fork", json={}, headers=JSON_HEADERS
    )
    assert fork.status_code == 404
    rename = client.patch(
        "/api/projects/mine/threads/secret", json={"title": "mine now"}, headers=JSON_HEADERS
    )
    assert rename.status_code == 404
    assert store.find_thread("secret").project_id == "theirs"  # type: ignore[union-attr]
    assert store.get_thread("secret").title == "their plans"
    assert [t.id for t in store.list_threads("mine")] == []


def test_a_thread_can_be_renamed_and_keeps_that_name(
    client: TestClient, store: ArtifactStore
) -> None:
    store.ensure_thread("t1", "weather", title="Build a weather station")
    url = "/api/projects/weather/threads/t1"
    r = client.patch(url, json={"title": "Roof station"}, headers=JSON_HEADERS)
    assert r.status_code == 200 and r.json()["title"] == "Roof station"
    # An automatic title that expected the old one leaves the user's name alone.
    assert not store.retitle_thread("t1", "Build a weather station", "Weather station")
    assert client.get(url).json()["title"] == "Roof station"
    blank = client.patch(url, json={"title": "   "}, headers=JSON_HEADERS)
    assert blank.status_code == 400 and "1-200 characters" in blank.json()["detail"]
    assert client.patch(url, json={}, headers=JSON_HEADERS).status_code == 422


def test_versions_and_diff(client: TestClient, store: ArtifactStore) -> None:
    store.ensure_project("p")
    store.write("p", "prd", lambda _p: "# PRD\nline one\n", meta=WriteMeta(agent="conversational"))
    store.write("p", "prd", lambda _p: "# PRD\nline two\n")
    store.write("p", "code", lambda _p: "int x;", path="src/main.cpp", language="cpp")

    versions = client.get("/api/projects/p/artifacts/prd/versions").json()
    assert [(v["version"], v["agent"]) for v in versions] == [(1, "conversational"), (2, None)]
    assert client.get("/api/projects/p/artifacts/prd/versions/1").json()["content"] == (
        "# PRD\nline one\n"
    )
    diff = client.get("/api/projects/p/artifacts/prd/diff", params={"a": 1, "b": 2}).json()
    assert "-line one" in diff["diff"] and "+line two" in diff["diff"]
    same = client.get("/api/projects/p/artifacts/prd/diff", params={"a": 2, "b": 2}).json()
    assert same["diff"] == ""

    code = client.get("/api/projects/p/artifacts/code", params={"path": "src/main.cpp"}).json()
    assert code["language"] == "cpp" and code["content"] == "int x;"
    assert client.get("/api/projects/p/artifacts/code").status_code == 404
    bad = client.get("/api/projects/p/artifacts/prd/diff", params={"a": 0, "b": 1})
    assert bad.status_code == 422


def test_timeline_and_artifacts_at_a_checkpoint(client: TestClient, store: ArtifactStore) -> None:
    store.ensure_project("weather")
    for msg in ("A weather station", "What parts do I need?"):
        client.post(
            "/api/projects/weather/threads/t1/turns",
            json={"message": msg, "stream": False},
            headers=JSON_HEADERS,
        )
    timeline = client.get("/api/projects/weather/threads/t1/checkpoints").json()
    assert [c["step"] for c in timeline] == sorted(c["step"] for c in timeline)
    wrote_bom = next(c for c in timeline if any(a["type"] == "bom" for a in c["artifacts"]))
    before_bom = timeline[timeline.index(wrote_bom) - 1]

    at = client.get(
        f"/api/projects/weather/threads/t1/checkpoints/{before_bom['checkpoint_id']}/artifacts"
    ).json()
    assert sorted(v["type"] for v in at) == ["context"]
    after = client.get(
        f"/api/projects/weather/threads/t1/checkpoints/{wrote_bom['checkpoint_id']}/artifacts"
    ).json()
    assert sorted(v["type"] for v in after) == ["bom", "context"]
    assert client.get(
        "/api/projects/weather/threads/t1/checkpoints/nope/artifacts"
    ).status_code == (404)


def test_fork_from_a_checkpoint_streams_the_new_branch(
    client: TestClient, store: ArtifactStore, models: ModelBook
) -> None:
    store.ensure_project("weather")
    for msg in ("A weather station", "What parts do I need?"):
        client.post(
            "/api/projects/weather/threads/t1/turns",
            json={"message": msg, "stream": False},
            headers=JSON_HEADERS,
        )
    timeline = client.get("/api/projects/weather/threads/t1/checkpoints").json()
    classified = next(c for c in timeline if c["intent"] == "BOM")
    models.add("conversational", AIMessage("Happy to chat about it instead."))

    r = client.post(
        f"/api/projects/weather/threads/t1/checkpoints/{classified['checkpoint_id']}/fork",
        json={"intent": "CHAT"},
        headers=JSON_HEADERS,
    )
    events = sse_events(r.text)
    assert events[0]["type"] == "agent" and events[0]["agent"] == "conversational"
    assert events[-1]["type"] == "done"
    assert events[-1]["result"]["reply"] == "Happy to chat about it instead."

    bad = client.post(
        f"/api/projects/weather/threads/t1/checkpoints/{classified['checkpoint_id']}/fork",
        json={"intent": "DANCE"},
        headers=JSON_HEADERS,
    )
    assert bad.status_code == 400
    assert "unknown intent" in bad.json()["detail"]


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/projects",
        "/api/projects/{project_id}/threads",
        "/api/projects/{project_id}/threads/{thread_id}/messages",
        "/api/projects/{project_id}/threads/{thread_id}/turns",
        "/api/projects/{project_id}/artifacts/{artifact_type}/versions",
        "/api/projects/{project_id}/artifacts/{artifact_type}/diff",
        "/api/projects/{project_id}/threads/{thread_id}/checkpoints/{checkpoint_id}/fork",
    ):
        assert path in paths, path
    turn = paths["/api/projects/{project_id}/threads/{thread_id}/turns"]["post"]
    assert "text/event-stream" in turn["responses"]["200"]["content"]
    headers = [p["name"] for p in turn["parameters"] if p["in"] == "header"]
    assert headers == ["x-ohm-client"]
    assert not any(p.startswith("/projects") for p in paths), "pages stay out of the API schema"


def test_a_turn_stopped_by_unavailable_keys_is_resumed(
    client: TestClient, store: ArtifactStore, models: ModelBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from providers.keypool import KeysUnavailableError

    monkeypatch.setenv("OHM_ROUTER", "off")  # the orchestrator's call is the one that fails

    def down(_msgs: object) -> AIMessage:
        raise KeysUnavailableError(total=3, counts={"cooling": 3}, retry_in_s=12.0)

    store.ensure_project("weather")
    url = "/api/projects/weather/threads/r1"
    client.post(f"{url}/turns", json={"message": "A weather station"}, headers=JSON_HEADERS)
    models.models["orchestrator"].script.insert(0, down)
    failed = sse_events(
        client.post(f"{url}/turns", json={"message": "parts?"}, headers=JSON_HEADERS).text
    )
    assert failed[-1]["type"] == "error" and failed[-1]["retryable"] is True
    assert "3 cooling down" in failed[-1]["message"]
    resumed = sse_events(client.post(f"{url}/resume", json={}, headers=JSON_HEADERS).text)
    assert resumed[-1]["type"] == "done"
    assert resumed[-1]["result"]["agent"] == "bom_generator"
    again = client.post(f"{url}/resume", json={}, headers=JSON_HEADERS)
    assert again.status_code == 400 and "no unfinished turn" in again.json()["detail"]
    other = client.post("/api/projects/weather/threads/nope/resume", json={}, headers=JSON_HEADERS)
    assert other.status_code == 404


@pytest.mark.parametrize("stream", [False, True])
def test_a_thread_held_by_another_process_is_409_and_nothing_is_saved(
    client: TestClient, store: ArtifactStore, stream: bool
) -> None:
    from persistence.leases import Lease, ThreadLeases

    client.post("/api/projects", json={"id": "weather"}, headers=JSON_HEADERS)
    other = ThreadLeases(store, lease_s=60).try_acquire("t1", "other-host:1:abc")
    assert isinstance(other, Lease)
    r = client.post(
        "/api/projects/weather/threads/t1/turns",
        json={"message": "A weather station", "stream": stream},
        headers=JSON_HEADERS,
    )
    assert r.status_code == 409
    assert r.json()["detail"].startswith("thread t1 is busy with a turn started at ")
    assert store.find_thread("t1") is None and store.list_latest("weather") == []


def test_the_diff_answer_carries_the_semantic_diff(
    client: TestClient, store: ArtifactStore
) -> None:
    store.ensure_project("p")
    part = {"name": "SG90 servo", "part_number": "SG90", "manufacturer": "TowerPro"}
    oled = {"name": "OLED", "part_number": "SSD1306", "manufacturer": "Generic"}
    store.write(
        "p", "bom", lambda _p: json.dumps({"project_name": "p", "components": [part, oled]})
    )
    store.write("p", "bom", lambda _p: json.dumps({"project_name": "p", "components": [part]}))
    diff = client.get("/api/projects/p/artifacts/bom/diff", params={"a": 1, "b": 2}).json()
    semantic = diff["semantic"]
    assert semantic["kind"] == "bom" and semantic["summary"] == "1 removed"
    assert [p["part_number"] for p in semantic["parts"]["removed"]] == ["SSD1306"]
    assert '"SSD1306"' in diff["diff"]  # the raw diff is still there


def test_checkpoints_are_found_by_a_unique_prefix(client: TestClient, store: ArtifactStore) -> None:
    store.ensure_project("weather")
    for msg in ("A weather station", "What parts do I need?"):
        client.post(
            "/api/projects/weather/threads/t1/turns",
            json={"message": msg, "stream": False},
            headers=JSON_HEADERS,
        )
    timeline = client.get("/api/projects/weather/threads/t1/checkpoints").json()
    ids = [c["checkpoint_id"] for c in timeline]
    wrote_bom = next(c for c in timeline if any(a["type"] == "bom" for a in c["artifacts"]))
    full = wrote_bom["checkpoint_id"]
    prefix = next(
        full[:n] for n in range(6, len(full)) if sum(i.startswith(full[:n]) for i in ids) == 1
    )
    url = "/api/projects/weather/threads/t1/checkpoints/{}/artifacts"
    at = client.get(url.format(prefix)).json()
    assert sorted(v["type"] for v in at) == ["bom", "context"]
    # Checkpoints written within minutes of each other share their first characters.
    shared = next(i[:6] for i in ids if sum(j.startswith(i[:6]) for j in ids) > 1)
    ambiguous = client.get(url.format(shared))
    assert ambiguous.status_code == 400 and "ambiguous" in ambiguous.json()["detail"]
