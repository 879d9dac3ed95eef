"""Shared fixtures: a fresh data directory per test and no leftover process state."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.factory import reset_factory

POOL_VARS = ("OHM_KEY_WAIT_S", "OHM_KEY_EXHAUSTED_S", "OHM_KEY_STORE", "OHM_CHECKPOINT_URL")
KEY_VARS = ("BYTEZ_API_KEY", "BYTEZ_API_KEYS", *tuple(f"BYTEZ_API_KEY_{i}" for i in range(1, 21)))


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own data dir, no keys, and a fresh model factory."""
    for var in (
        *KEY_VARS,
        *POOL_VARS,
        "OHM_DATABASE_URL",
        "OHM_BASE_URL",
        "OHM_CONFIG",
        "OHM_MODEL",
        "OHM_ROUTER",
        "OHM_ROUTER_THRESHOLD",
        "OHM_RECOVER_TEXT_CALLS",
    ):
        monkeypatch.delenv(var, raising=False)
    for var in list(os.environ):
        if var.startswith(("OHM_MODEL_", "OHM_TEMPERATURE_")):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OHM_DATA_DIR", str(tmp_path / "data"))
    # No running summary unless a test asks for one: it adds a model call every few turns,
    # which scripted models and request counts would otherwise have to allow for.
    monkeypatch.setenv("OHM_SUMMARY_EVERY", "0")
    monkeypatch.chdir(tmp_path)
    # The CLI says once per process that the simulator answers; every test is a new "process".
    driver = sys.modules.get("app.driver")
    if driver is not None:
        monkeypatch.setattr(driver, "_offline_noted", False)
    reset_factory()
    yield
    reset_factory()
