"""The artifact store and the checkpointer on PostgreSQL, shared by several writers.

Needs the server on 127.0.0.1:5432 (database ``test``); skipped with the reason when it
is unreachable, except on CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from persistence.store import ArtifactStore, WriteMeta
from tests.support import PG, append_from_threads, postgres_schema

pytestmark = pytest.mark.services


@pytest.fixture
def schema() -> Iterator[str]:
    yield from postgres_schema()


def urls(schema: str) -> tuple[str, str]:
    opt = f"options=-csearch_path%3D{schema}"
    store = PG.replace("postgresql://", "postgresql+psycopg://") + "?" + opt
    return store, f"{PG}?{opt}"


def test_concurrent_writers_on_postgres(schema: str) -> None:
    store_url, _ = urls(schema)
    stores = [ArtifactStore(store_url) for _ in range(3)]  # separate engines, like processes
    stores[0].ensure_project("p")
    append_from_threads(stores, writers=6, each=10)
    again = stores[2].write("p", "context", lambda _p: "x", meta=WriteMeta(tool_call_id="c0.0"))
    assert not again.created


async def test_a_conversation_with_store_and_checkpoints_on_postgres(
    schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph.assembly_line import AssemblyLine

    store_url, cp_url = urls(schema)
    monkeypatch.setenv("OHM_OFFLINE", "1")
    monkeypatch.setenv("OHM_DATABASE_URL", store_url)
    monkeypatch.setenv("OHM_CHECKPOINT_URL", cp_url)
    async with AssemblyLine() as line:
        await line.achat("A weather station on an ESP32", thread="pg1")
        r = await line.achat("What parts do I need?", thread="pg1")
    assert r.agent == "bom_generator"
    # A second, independent line (another worker) sees the same thread and artifacts.
    async with AssemblyLine() as other:
        hist = await other.ahistory("pg1")
        assert any(h.node == "bom_generator_tools" and h.artifacts for h in hist)
        assert other.store.latest("default", "bom") is not None
