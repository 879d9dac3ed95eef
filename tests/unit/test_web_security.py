"""The dashboard's guards: where it may listen, the token, cross-site requests, headers,
and keys that never reach the browser."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.web import BindRefused, WebConfig, create_app
from app.web.config import is_loopback
from app.web.security import AUTH_COOKIE, CSRF_COOKIE
from persistence.store import ArtifactStore

TOKEN = "correct-horse-battery-staple"
JSON = {"X-Ohm-Client": "test"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ArtifactStore]:
    s = ArtifactStore(f"sqlite:///{tmp_path / 'web.db'}")
    s.ensure_project("p")
    yield s
    s.close()


@pytest.fixture
def local(store: ArtifactStore, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), store=store)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        yield c


@pytest.fixture
def guarded(store: ArtifactStore, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(
        WebConfig(data_dir=tmp_path / "data", token=TOKEN, host="0.0.0.0"), store=store
    )
    with TestClient(app, base_url="http://192.168.1.20:8000", follow_redirects=False) as c:
        yield c


# ---------------------------------------------------------------------- binding


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_needs_no_token(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OHM_DASHBOARD_TOKEN", raising=False)
    assert is_loopback(host)
    assert WebConfig.for_bind(host).token is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.com"])
def test_other_addresses_are_refused_without_a_token(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OHM_DASHBOARD_TOKEN", raising=False)
    with pytest.raises(BindRefused, match="OHM_DASHBOARD_TOKEN"):
        WebConfig.for_bind(host)
    monkeypatch.setenv("OHM_DASHBOARD_TOKEN", "short")
    with pytest.raises(BindRefused, match="too short"):
        WebConfig.for_bind(host)
    monkeypatch.setenv("OHM_DASHBOARD_TOKEN", TOKEN)
    assert WebConfig.for_bind(host).token == TOKEN


def test_ohm_serve_refuses_a_public_address_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OHM_DASHBOARD_TOKEN", raising=False)
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 1
    assert "refusing to listen on 0.0.0.0 without a token" in result.output
    assert "Traceback" not in result.output
    bad_port = CliRunner().invoke(cli_app, ["serve", "--port", "70000"])
    assert bad_port.exit_code == 1
    assert "port 70000 is out of range" in bad_port.output


def test_ohm_serve_explains_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli_app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "choose another --port" in result.output


# ------------------------------------------------------------------- host check


def test_without_a_token_only_loopback_host_names_are_answered(local: TestClient) -> None:
    assert local.get("/api/projects").status_code == 200
    assert local.get("/api/projects", headers={"host": "localhost:8000"}).status_code == 200
    rebound = local.get("/api/projects", headers={"host": "attacker.example:8000"})
    assert rebound.status_code == 421
    assert "only answers on localhost" in rebound.json()["detail"]
    page = local.get("/", headers={"host": "attacker.example"})
    assert page.status_code == 421
    assert "text/html" in page.headers["content-type"]


# ------------------------------------------------------------------------ token


def test_the_api_demands_the_token_on_every_request(guarded: TestClient) -> None:
    r = guarded.get("/api/projects")
    assert r.status_code == 401
    assert "OHM_DASHBOARD_TOKEN" in r.json()["detail"]
    assert guarded.get("/api/projects", headers={"authorization": "Bearer nope"}).status_code == 401
    ok = guarded.get("/api/projects", headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert guarded.get("/openapi.json").status_code == 401
    assert guarded.get("/api/projects", headers={"x-ohm-token": TOKEN}).status_code == 200


def test_pages_send_people_to_sign_in_and_a_cookie_lets_them_in(guarded: TestClient) -> None:
    r = guarded.get("/projects/p")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fprojects%2Fp"
    form = guarded.get("/login")
    assert form.status_code == 200 and 'name="token"' in form.text

    wrong = guarded.post(
        "/login", data={"token": "nope", "next": "/", "csrf_token": guarded.cookies[CSRF_COOKIE]}
    )
    assert wrong.status_code == 401
    assert AUTH_COOKIE not in wrong.cookies

    right = guarded.post(
        "/login",
        data={"token": TOKEN, "next": "/projects/p", "csrf_token": guarded.cookies[CSRF_COOKIE]},
    )
    assert right.status_code == 303 and right.headers["location"] == "/projects/p"
    assert guarded.cookies[AUTH_COOKIE] != TOKEN, "the cookie holds a derived value"
    assert guarded.get("/").status_code == 200
    assert guarded.get("/api/projects").status_code == 200


def test_a_token_in_the_address_becomes_a_cookie_and_leaves_the_address(
    guarded: TestClient,
) -> None:
    r = guarded.get(f"/projects/p/new?token={TOKEN}&x=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/projects/p/new?x=1"
    assert guarded.get("/projects/p/new").status_code == 200
    guarded.cookies.clear()
    wrong = guarded.get("/?token=wrong")
    assert wrong.status_code == 303 and wrong.headers["location"].startswith("/login")


def test_static_files_need_no_token(guarded: TestClient) -> None:
    assert guarded.get("/static/app.css").status_code == 200


# ------------------------------------------------------------------- cross-site


def test_json_changes_need_the_custom_header(local: TestClient) -> None:
    r = local.post("/api/projects", json={"id": "q"})
    assert r.status_code == 403
    assert "X-Ohm-Client" in r.json()["detail"]
    assert local.delete("/api/projects/p").status_code == 403
    assert local.get("/api/projects/p").status_code == 200, "nothing was deleted"
    assert local.post("/api/projects", json={"id": "q"}, headers=JSON).status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_cross_site_changes_are_refused(local: TestClient, headers: dict[str, str]) -> None:
    r = local.post("/api/projects", json={"id": "q"}, headers=JSON | headers)
    assert r.status_code == 403
    assert local.get("/api/projects/q").status_code == 404
    form = local.post(
        "/projects",
        data={"project_id": "q", "csrf_token": local.cookies.get(CSRF_COOKIE) or ""},
        headers=headers,
    )
    assert form.status_code == 403


def test_same_origin_browser_requests_are_accepted(local: TestClient) -> None:
    headers = JSON | {"origin": "http://127.0.0.1:8000", "sec-fetch-site": "same-origin"}
    assert local.post("/api/projects", json={"id": "q"}, headers=headers).status_code == 201


def test_forms_need_this_browsers_csrf_token(local: TestClient, store: ArtifactStore) -> None:
    local.get("/")
    token = local.cookies[CSRF_COOKIE]
    missing = local.post("/projects", data={"project_id": "q"}, follow_redirects=False)
    assert missing.status_code == 403
    assert "reload the page" in missing.text
    forged = local.post(
        "/projects", data={"project_id": "q", "csrf_token": "x" * 43}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert not store.has_project("q")
    ok = local.post(
        "/projects", data={"project_id": "q", "csrf_token": token}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert store.has_project("q")


# ---------------------------------------------------------------------- headers


def test_every_answer_forbids_inline_script_and_framing(local: TestClient) -> None:
    for url in ("/", "/api/projects", "/projects/nope"):
        r = local.get(url)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    cookie = local.get("/").headers.get("set-cookie") or ""
    if cookie:
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_keys_reach_the_browser_only_masked(
    local: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "bz-live-0123456789abcdefWXYZ"
    monkeypatch.setenv("BYTEZ_API_KEY", secret)
    monkeypatch.delenv("OHM_OFFLINE", raising=False)
    status = local.get("/api/status").json()
    assert status == {"offline": False, "keys": ["…WXYZ"]}
    for url in ("/", "/projects/p/new", "/api/status", "/docs/api"):
        body = local.get(url).text
        assert secret not in body and secret[:-4] not in body, url
    assert "…WXYZ" in local.get("/").text
