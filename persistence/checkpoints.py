"""Where conversation checkpoints live: a SQLite file beside the artifact database.

The async saver is used under ``ainvoke``/``astream`` (the sync one cannot serve them).
Graph state holds only plain data and LangChain messages, which the default serializer
already allows, so no extra msgpack modules need registering.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from .store import default_data_dir, ensure_data_dir

CHECKPOINT_FILE = "checkpoints.db"


def checkpoint_path(data_dir: Path | None = None) -> Path:
    return ensure_data_dir(data_dir or default_data_dir()) / CHECKPOINT_FILE


@asynccontextmanager
async def open_async_saver(data_dir: Path | None = None) -> AsyncIterator[AsyncSqliteSaver]:
    async with AsyncSqliteSaver.from_conn_string(str(checkpoint_path(data_dir))) as saver:
        await saver.setup()
        yield saver


@contextmanager
def open_sync_saver(data_dir: Path | None = None) -> Iterator[SqliteSaver]:
    with SqliteSaver.from_conn_string(str(checkpoint_path(data_dir))) as saver:
        saver.setup()
        yield saver
