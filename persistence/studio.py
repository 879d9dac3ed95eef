"""The checkpointer LangGraph's dev server uses for Ohm: the same store as the CLI.

``langgraph dev`` refuses a graph compiled with a checkpointer, so ``langgraph.json``
names this factory under ``checkpointer.path`` instead. The server enters it once per
event loop and closes it on shutdown. Threads started in Studio are then saved where
``ohm history``, ``ohm replay`` and ``AssemblyLine`` look for them:
``<OHM_DATA_DIR>/checkpoints.db``, or the PostgreSQL database named by
``OHM_CHECKPOINT_URL``. Their artifacts land in the same place as the CLI's because the
graph's tools open the artifact store from ``OHM_DATA_DIR`` / ``OHM_DATABASE_URL`` too.

The server loads this file by its path, not as part of the package, so imports are
absolute.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from persistence.checkpoints import open_async_saver
from persistence.store import default_data_dir


@asynccontextmanager
async def checkpointer() -> AsyncIterator[BaseCheckpointSaver]:
    """Ohm's saver for the data directory in ``OHM_DATA_DIR`` (default ``./.ohm``)."""
    async with open_async_saver(default_data_dir()) as saver:
        yield saver
