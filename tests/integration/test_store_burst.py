"""64 processes started together on one fresh SQLite data directory, each opening the
artifact store and the checkpointer and writing to its own thread: none may fail.

The processes are forked from the test, which has imported the persistence layer already, so
the burst is the opening and writing, not 64 interpreters importing; each child opens its
own connections after the fork. The full version, 64
fresh ``ohm ask`` processes each running an offline turn, is ``bench/burst_bench.py``.
"""

from __future__ import annotations

import multiprocessing
import queue
from pathlib import Path
from typing import Any

import pytest

from persistence.checkpoints import open_sync_saver
from persistence.store import ArtifactStore
from tests.integration.burst_worker import run

pytestmark = pytest.mark.integration

PROCESSES = 64


def test_64_processes_open_and_write_on_one_fresh_data_dir(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")

    data_dir = tmp_path / "burst"
    threads = [f"t{i}" for i in range(PROCESSES)]
    start = ctx.Event()
    results: Any = ctx.Queue()
    procs = [ctx.Process(target=run, args=(str(data_dir), t, start, results)) for t in threads]
    for p in procs:
        p.start()
    start.set()
    reported: dict[str, dict[str, Any]] = {}
    try:
        for _ in threads:
            r = results.get(timeout=180)
            reported[r["thread"]] = r
    except queue.Empty:
        pass
    for p in procs:
        p.join(timeout=30)

    failures = {t: r["error"] for t, r in reported.items() if "error" in r}
    assert failures == {}, f"{len(failures)} of {PROCESSES} failed: {failures}"
    assert set(reported) == set(threads), f"no result from {set(threads) - set(reported)}"
    assert [p.exitcode for p in procs] == [0] * PROCESSES

    store = ArtifactStore.open(data_dir)
    assert {t.id for t in store.list_threads()} == set(threads)
    for t in threads:
        (version,) = store.history("default", "code", f"src/{t}.cpp")
        assert (version.version, version.thread_id) == (1, t)
        assert version.content == f"// written by {t}\n"
    store.close()
    with open_sync_saver(data_dir) as saver:
        for t in threads:
            saved = saver.get_tuple({"configurable": {"thread_id": t}})
            assert saved is not None, t
            assert saved.config["configurable"]["checkpoint_id"] == reported[t]["checkpoint_id"]
            assert saved.checkpoint["channel_values"]["reply"] == f"reply for {t}"
            writes = [(w[1], w[2]) for w in saved.pending_writes or []]
            assert writes == [("reply", f"reply for {t}")]
