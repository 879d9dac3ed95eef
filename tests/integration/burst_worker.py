"""One process of the open-and-write burst in ``test_store_burst.py``.

Runs in a process forked from the test after Ohm's persistence layer is imported, so 64 of
them start in well under a second; each waits for the start signal and then opens the
artifact store and the checkpointer on its own connections, as a fresh ``ohm`` process
would.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import empty_checkpoint

from persistence.checkpoints import open_async_saver
from persistence.store import ArtifactStore, StoreError, WriteMeta


async def _checkpoint(data_dir: Path, thread_id: str) -> str:
    async with open_async_saver(data_dir) as saver:
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"reply": f"reply for {thread_id}"}
        config = await saver.aput(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}},
            checkpoint,
            {"source": "loop", "step": 1, "parents": {}},
            {},
        )
        await saver.aput_writes(config, [("reply", f"reply for {thread_id}")], task_id="t")
        return str(config["configurable"]["checkpoint_id"])


def _open_and_write(data_dir: Path, thread_id: str) -> str:
    store = ArtifactStore.open(data_dir)
    try:
        store.ensure_project("default")
        store.ensure_thread(thread_id, "default", title=f"burst {thread_id}")
        store.write(
            "default",
            "code",
            lambda _prev: f"// written by {thread_id}\n",
            path=f"src/{thread_id}.cpp",
            meta=WriteMeta(thread_id=thread_id, tool_call_id=f"{thread_id}-call"),
        )
        return asyncio.run(_checkpoint(data_dir, thread_id))
    finally:
        store.close()


def run(data_dir: str, thread_id: str, start: Event, results: Queue[dict[str, Any]]) -> None:
    """Wait for ``start``, open and write; put one result on ``results``."""
    if not start.wait(timeout=120):
        results.put({"thread": thread_id, "error": "the burst never started"})
        return
    began = time.monotonic()
    try:
        checkpoint_id = _open_and_write(Path(data_dir), thread_id)
    except StoreError as exc:
        results.put({"thread": thread_id, "error": f"error: {exc}"})
    except Exception:
        results.put({"thread": thread_id, "error": traceback.format_exc()})
    else:
        took = time.monotonic() - began
        results.put({"thread": thread_id, "checkpoint_id": checkpoint_id, "seconds": took})
