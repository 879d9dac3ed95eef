"""Small things the browser tests share: screenshots and calls to the JSON API."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("OHM_SCREENSHOTS") or REPO / "test-output" / "screenshots")


def shot(page: Any, name: str, *, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def api(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the dashboard's JSON API the way another program would."""
    req = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json", "x-ohm-client": "browser-tests"},
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        raw = r.read()
    return json.loads(raw) if raw else None
