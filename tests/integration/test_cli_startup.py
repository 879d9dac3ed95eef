"""`ohm --help`, `ohm --version` and argument errors load none of the heavy layers.

Each case runs the CLI in a fresh interpreter and reports which modules it imported; a
behaviour check (nothing heavy was loaded), not a timing one: the time is measured by
bench/coldstart_bench.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

HEAVY = (
    "langgraph",
    "langchain",
    "langchain_core",
    "langchain_openai",
    "langsmith",
    "openai",
    "sqlalchemy.orm",
    "fastapi",
    "uvicorn",
    "tree_sitter",
    "tree_sitter_cpp",
    "graph.assembly_line",
    "persistence.store",
    "providers.factory",
    "providers.offline.server",
    "tools.checks",
)

# Runs `ohm` in-process, then writes the names of the loaded modules to the given file.
PROBE = """
import json, sys
out, args = sys.argv[1], sys.argv[2:]
sys.argv = ["ohm", *args]
from app.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
with open(out, "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""


def run_ohm(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    listing = tmp_path / "modules.json"
    env = {**os.environ, "OHM_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "100"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return proc, json.loads(listing.read_text())


def heavy_in(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


CASES = {
    "help": (["--help"], 0, "Usage: ohm"),
    "command help": (["ask", "--help"], 0, "--wait"),
    "version": (["--version"], 0, f"ohm {version('ohm')}"),
    "unknown command": (["solder"], 2, "No such command"),
    "missing argument": (["ask"], 2, "Missing argument"),
    "unknown option": (["ask", "hi", "--colour"], 2, "No such option"),
    "bad option value": (["ask", "hi", "--wait", "soon"], 2, "--wait"),
    "empty message": (["ask", "  "], 2, "error: a message is empty"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_start_up_loads_nothing_heavy(tmp_path: Path, case: str) -> None:
    args, code, shown = CASES[case]
    proc, modules = run_ohm(tmp_path, *args)
    assert proc.returncode == code, proc.stderr
    assert shown in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "typer" in modules and "app.cli" in modules  # the probe did run the CLI
    assert heavy_in(modules) == []


def test_a_command_that_needs_the_store_does_load_it(tmp_path: Path) -> None:
    """The same probe sees the heavy layers when a command uses them."""
    proc, modules = run_ohm(tmp_path, "projects", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "persistence.store" in heavy_in(modules)
    assert "sqlalchemy.orm" in heavy_in(modules)
