"""Helpers shared by tests on different databases."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from functools import partial

import pytest

from persistence.store import ArtifactStore, VersionView, WriteMeta

PG = os.environ.get("OHM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_schema(prefix: str = "ohm_test_") -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards. Skips the test with the
    reason when the server is unreachable, except on CI (``CI=true``), where it fails."""
    try:
        import psycopg

        conn = psycopg.connect(PG, autocommit=True, connect_timeout=3)
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required on CI and unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG}: {exc}")
    name = prefix + uuid.uuid4().hex[:10]
    conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        conn.execute(f"DROP SCHEMA {name} CASCADE")
        conn.close()


def append_from_threads(stores: Sequence[ArtifactStore], writers: int, each: int) -> None:
    """``writers`` threads each append ``each`` tagged pieces to project ``p``'s context,
    spread over ``stores`` (separate engines stand in for separate processes), and check
    that versions are numbered without gaps and that no append was lost."""
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for j in range(each):
                stores[i % len(stores)].write(
                    "p",
                    "context",
                    partial(_appended, tag=f"<{i}.{j}>"),
                    merge_strategy="append",
                    meta=WriteMeta(tool_call_id=f"c{i}.{j}"),
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    hist = stores[0].history("p", "context")
    assert [v.version for v in hist] == list(range(1, writers * each + 1))
    final = hist[-1].content
    assert all(final.count(f"<{i}.{j}>") == 1 for i in range(writers) for j in range(each))


def _appended(prev: VersionView | None, *, tag: str) -> str:
    return (prev.content if prev else "") + tag
