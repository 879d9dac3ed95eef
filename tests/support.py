"""Helpers shared by tests on different databases."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import partial

from persistence.store import ArtifactStore, VersionView, WriteMeta


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
