"""Where conversation checkpoints live.

By default a SQLite file beside the artifact database (``<data dir>/checkpoints.db``).
Set ``OHM_CHECKPOINT_URL`` to a PostgreSQL URL to share checkpoints between processes
(several workers, a dev server and the CLI). The async savers are used under
``ainvoke``/``astream`` (the sync SQLite saver cannot serve them). Graph state holds only
plain data and LangChain messages, which the default serializer already allows, so no
extra msgpack modules need registering.

The SQLite savers get connections opened here rather than by the saver, so that every
one runs with the same settings as the artifact store's (``SQLITE_PRAGMAS``: WAL, a busy
timeout, ``synchronous=NORMAL``) and many processes can share one file.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from .store import (
    SQLITE_BUSY_TIMEOUT_S,
    SQLITE_PRAGMAS,
    StoreError,
    default_data_dir,
    ensure_data_dir,
)

CHECKPOINT_FILE = "checkpoints.db"


def checkpoint_path(data_dir: Path | None = None) -> Path:
    return ensure_data_dir(data_dir or default_data_dir()) / CHECKPOINT_FILE


def checkpoint_url() -> str | None:
    url = (os.environ.get("OHM_CHECKPOINT_URL") or "").strip()
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise StoreError("OHM_CHECKPOINT_URL must be a postgresql:// URL")
    return url or None


async def _setup_postgres(saver: Any) -> None:
    """Run the saver's own migrations; processes that start together race on them
    (a duplicate row in checkpoint_migrations, or a deadlock on its concurrent index
    builds), and the loser simply reads the new version and carries on."""
    import psycopg

    for attempt in range(8):
        try:
            await saver.setup()
            return
        except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected,
                psycopg.errors.DuplicateTable, psycopg.errors.DuplicateObject):  # fmt: skip
            if attempt == 7:
                raise
            await asyncio.sleep(0.05 + random.random() * 0.2 * (attempt + 1))


@asynccontextmanager
async def open_async_saver(data_dir: Path | None = None) -> AsyncIterator[BaseCheckpointSaver]:
    url = checkpoint_url()
    if url:
        try:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        except ImportError:
            raise StoreError(
                "OHM_CHECKPOINT_URL needs the postgres extra: pip install 'ohm[postgres]'"
            ) from None
        async with AsyncPostgresSaver.from_conn_string(url) as pg:
            await _setup_postgres(pg)
            yield pg
        return
    path = checkpoint_path(data_dir)
    async with aiosqlite.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S) as conn:
        for pragma in SQLITE_PRAGMAS:
            await (await conn.execute(pragma)).close()
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        yield saver


@contextmanager
def open_sync_saver(data_dir: Path | None = None) -> Iterator[SqliteSaver]:
    path = checkpoint_path(data_dir)
    # The saver serialises its own use of the connection, so any thread may share it.
    conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S, check_same_thread=False)
    with closing(conn):
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma).close()
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
