"""Browser tests: headless Chromium, driven by Playwright, against a real `ohm serve`.

Setup. These tests use the system Chromium, because Playwright's own browser download
needs the network:

    apt-get update && apt-get install -y chromium     # Debian/Ubuntu package `chromium`
    pip install -e '.[dev]'                            # brings in playwright

`.ci/run` performs the apt step on CI when `/usr/bin/chromium` is missing; set
`OHM_CHROMIUM` to use a browser elsewhere. With `CI=true` a missing browser fails the run;
anywhere else the tests are skipped with the reason.

Each module gets its own server: `ohm serve` on a free loopback port, offline
(`OHM_OFFLINE=1`) and on a fresh data directory. Screenshots go to
`test-output/screenshots/`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("OHM_CHROMIUM") or "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module. Not session-wide: the sync Playwright driver holds an event
    loop on the main thread, which would break the async tests that run after it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dashboard:
    url: str
    data_dir: Path
    log: Path


@pytest.fixture(scope="module")
def dashboard(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """`ohm serve` in a child process, stopped with Ctrl-C after the module."""
    data_dir = tmp_path_factory.mktemp("dashboard-data")
    log = data_dir / "serve.log"
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BYTEZ_API_KEY", "OHM_DASHBOARD"))
    }
    env |= {"OHM_OFFLINE": "1", "OHM_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"ohm serve exited early:\n{log.read_text()[-2000:]}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"ohm serve did not answer:\n{log.read_text()[-2000:]}", pytrace=False)
            time.sleep(0.2)
        yield Dashboard(url=url, data_dir=data_dir, log=log)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass
class Problems:
    """Console errors and uncaught exceptions seen by the page."""

    items: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser: Any, dashboard: Dashboard) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=dashboard.url)
    pg = context.new_page()
    problems = Problems()
    pg.on("console", lambda m: problems.items.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.items.append(str(e)))
    pg.problems = problems
    yield pg
    with contextlib.suppress(Exception):
        context.close()
