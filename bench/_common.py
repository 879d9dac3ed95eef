"""What every benchmark script shares: where results go and how a section is replaced."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench" / "results"


def machine() -> dict[str, Any]:
    return {
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
    }


def write_section(name: str, body: str) -> None:
    """Put ``body`` between this benchmark's markers in docs/benchmarks.md (replacing
    what an earlier run wrote there, keeping everything else)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    put_section(start, end, f"{start}\n{body.rstrip()}\n{end}\n")


def put_section(start: str, end: str, section: str) -> None:
    """Replace the text from ``start`` to ``end`` in docs/benchmarks.md with ``section``
    (which carries both markers), or append it when the markers are not there yet."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text)


def write_json(name: str, data: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def ensure_root_on_path() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
