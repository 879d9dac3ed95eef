"""Every SQLite connection, artifacts and checkpoints alike, runs in WAL mode with a busy
timeout, so that many processes can share one data directory."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from app.cli import app
from persistence import migrations
from persistence.checkpoints import checkpoint_path, open_async_saver, open_sync_saver
from persistence.store import SQLITE_BUSY_TIMEOUT_S, ArtifactStore

EXPECTED = {
    "journal_mode": "wal",
    "busy_timeout": int(SQLITE_BUSY_TIMEOUT_S * 1000),
    "synchronous": 1,  # NORMAL
}


def test_artifact_store_connections(tmp_path: Path) -> None:
    store = ArtifactStore.open(tmp_path)
    with store.engine.connect() as conn:
        got = {p: conn.execute(text(f"PRAGMA {p}")).scalar() for p in EXPECTED}
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert got == EXPECTED


async def test_async_checkpoint_saver_connection(tmp_path: Path) -> None:
    async with open_async_saver(tmp_path) as saver:
        got = {}
        for p in EXPECTED:
            async with saver.conn.execute(f"PRAGMA {p}") as cur:  # type: ignore[attr-defined]
                got[p] = (await cur.fetchone())[0]
    assert got == EXPECTED
    assert checkpoint_path(tmp_path).exists()


def test_sync_checkpoint_saver_connection(tmp_path: Path) -> None:
    with open_sync_saver(tmp_path) as saver:
        got = {p: saver.conn.execute(f"PRAGMA {p}").fetchone()[0] for p in EXPECTED}
    assert got == EXPECTED


def test_a_database_from_a_newer_ohm_is_one_line_from_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"  # OHM_DATA_DIR, set for every test
    store = ArtifactStore.open(data)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    store.close()
    r = CliRunner().invoke(app, ["ask", "hello", "--thread", "t1"], env={"OHM_OFFLINE": "1"})
    err = r.stderr.strip()
    assert r.exit_code == 1
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: the database is at schema revision f00d, newer than this Ohm understands "
        f"({migrations.HEAD}); upgrade Ohm"
    ]
    assert "Traceback" not in err
