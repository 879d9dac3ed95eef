"""The artifact store's schema: Alembic revisions, upgrades from the schemas released before
Alembic, a refusal for newer ones, and an open that writes nothing when the schema is current.

Every check runs on SQLite and, when it is reachable on 127.0.0.1:5432, on PostgreSQL (in
a schema of its own per test).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from persistence import migrations
from persistence.models import Base
from persistence.store import SQLITE_BUSY_TIMEOUT_S, ArtifactStore, StoreError, WriteMeta
from tests.support import PG, postgres_schema

FIXTURE_DB = Path(__file__).resolve().parents[1] / "fixtures" / "conversation" / "ohm.db"

# The tables as releases before Alembic created them (from the ORM models of the time),
# frozen here: {ts} and {serial} are the dialect's timestamp and auto-increment key types.
V1_DDL = """
CREATE TABLE projects (
    id VARCHAR(64) NOT NULL, name VARCHAR(200) NOT NULL,
    created_at {ts} NOT NULL, updated_at {ts} NOT NULL, PRIMARY KEY (id));
CREATE TABLE threads (
    id VARCHAR(128) NOT NULL, project_id VARCHAR(64) NOT NULL, title VARCHAR(200) NOT NULL,
    current_agent VARCHAR(64), created_at {ts} NOT NULL, updated_at {ts} NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE);
CREATE TABLE artifacts (
    id {serial} NOT NULL, project_id VARCHAR(64) NOT NULL, type VARCHAR(32) NOT NULL,
    path VARCHAR(255) NOT NULL, created_at {ts} NOT NULL, PRIMARY KEY (id),
    CONSTRAINT uq_artifact_identity UNIQUE (project_id, type, path),
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE);
CREATE TABLE artifact_versions (
    id {serial} NOT NULL, artifact_id INTEGER NOT NULL, version INTEGER NOT NULL,
    content TEXT NOT NULL, language VARCHAR(32), deleted BOOLEAN NOT NULL,
    merge_strategy VARCHAR(16) NOT NULL, agent VARCHAR(64), thread_id VARCHAR(128),
    tool_call_id VARCHAR(128), run_id VARCHAR(64), checkpoint_id VARCHAR(64), findings TEXT,
    created_at {ts} NOT NULL, PRIMARY KEY (id),
    CONSTRAINT uq_version_number UNIQUE (artifact_id, version),
    CONSTRAINT uq_version_tool_call UNIQUE (artifact_id, tool_call_id),
    FOREIGN KEY(artifact_id) REFERENCES artifacts (id) ON DELETE CASCADE);
CREATE INDEX ix_threads_project_id ON threads (project_id);
CREATE INDEX ix_artifacts_project_id ON artifacts (project_id);
CREATE INDEX ix_versions_thread ON artifact_versions (thread_id);
CREATE INDEX ix_versions_checkpoint ON artifact_versions (checkpoint_id);
"""
V2_DDL = """
CREATE TABLE thread_leases (
    thread_id VARCHAR(128) NOT NULL, owner VARCHAR(64) NOT NULL,
    started_at {ts} NOT NULL, expires_at {ts} NOT NULL, PRIMARY KEY (thread_id));
"""
SEED = """
INSERT INTO projects VALUES ('p', 'Plant monitor', '2026-01-02 03:04:05', '2026-01-02 03:04:05');
INSERT INTO threads VALUES ('t1', 'p', 'first', 'bom_generator',
    '2026-01-02 03:04:05', '2026-01-02 03:04:05');
INSERT INTO artifacts (project_id, type, path, created_at)
    VALUES ('p', 'context', '', '2026-01-02 03:04:05');
INSERT INTO artifact_versions (artifact_id, version, content, deleted, merge_strategy,
    agent, thread_id, tool_call_id, created_at)
    SELECT id, 1, 'soil sensor', FALSE, 'replace', 'a', 't1', 'call_1', '2026-01-02 03:04:05'
    FROM artifacts;
INSERT INTO artifact_versions (artifact_id, version, content, deleted, merge_strategy,
    agent, thread_id, tool_call_id, created_at)
    SELECT id, 2, 'soil sensor and pump', FALSE, 'replace', 'a', 't1', 'call_2',
    '2026-01-02 03:04:06' FROM artifacts;
"""
LEASE_SEED = """
INSERT INTO thread_leases VALUES ('t1', 'owner-1', '2026-01-02 03:04:05', '2026-01-02 03:04:35');
"""


class Backend:
    """One database to build legacy schemas in: its store URL and its DDL types."""

    def __init__(self, url: str, dialect: str) -> None:
        self.url = url
        self.dialect = dialect

    def raw(self) -> Engine:
        return create_engine(self.url)

    def run_sql(self, script: str) -> None:
        types = (
            {"ts": "DATETIME", "serial": "INTEGER"}
            if self.dialect == "sqlite"
            else {"ts": "TIMESTAMP WITH TIME ZONE", "serial": "SERIAL"}
        )
        engine = self.raw()
        with engine.begin() as conn:
            for stmt in script.format(**types).split(";"):
                if stmt.strip():
                    conn.exec_driver_sql(stmt)
        engine.dispose()

    def legacy(self, version: int | None) -> None:
        """A database as a release before Alembic left it; ``None``: no ohm_schema at all."""
        if self.dialect == "sqlite":  # those releases switched their SQLite files to WAL too
            sqlite3.connect(self.url.removeprefix("sqlite:///")).execute(
                "PRAGMA journal_mode=WAL"
            ).connection.close()
        self.run_sql(V1_DDL + SEED)
        if version == 2:
            self.run_sql(V2_DDL + LEASE_SEED)
        if version is not None:
            self.run_sql(
                "CREATE TABLE ohm_schema (version INTEGER NOT NULL);"
                f"INSERT INTO ohm_schema (version) VALUES ({version});"
            )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend(f"sqlite:///{tmp_path / 'ohm.db'}", "sqlite")
        return
    for schema in postgres_schema("ohm_mig_"):
        base = PG.replace("postgresql://", "postgresql+psycopg://")
        yield Backend(f"{base}?options=-csearch_path%3D{schema}", "postgresql")


def _schema_diff(store: ArtifactStore) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={"include_name": lambda name, type_, _p: name != migrations.LEGACY_TABLE},
        )
        return list(compare_metadata(ctx, Base.metadata))


def _assert_at_head(store: ArtifactStore) -> None:
    with store.engine.connect() as conn:
        state = migrations.read_state(conn)
    assert state.revisions == (migrations.HEAD,)
    # Releases from before Alembic read this and refuse the database as too new for them.
    assert state.legacy == migrations.ALEMBIC_MARK
    assert _schema_diff(store) == []


def _assert_seed_intact(store: ArtifactStore) -> None:
    assert store.get_project("p").name == "Plant monitor"
    thread = store.get_thread("t1")
    assert (thread.project_id, thread.title, thread.current_agent) == (
        "p",
        "first",
        "bom_generator",
    )
    hist = store.history("p", "context")
    assert [(v.version, v.content, v.tool_call_id) for v in hist] == [
        (1, "soil sensor", "call_1"),
        (2, "soil sensor and pump", "call_2"),
    ]
    # The upgraded database takes new versions and still deduplicates tool calls.
    out = store.write("p", "context", lambda prev: (prev.content if prev else "") + ", relay")
    assert out.created and out.version.version == 3
    again = store.write("p", "context", lambda _p: "x", meta=WriteMeta(tool_call_id="call_2"))
    assert not again.created


def _leases(store: ArtifactStore) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT thread_id, owner FROM thread_leases")).all()
    return [(r[0], r[1]) for r in rows]


def test_head_constant_is_the_newest_revision() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_heads() == [migrations.HEAD]
    chain = [r.revision for r in script.walk_revisions()]
    assert chain[-1] == migrations.LEGACY_REVISIONS[1]
    assert set(migrations.LEGACY_REVISIONS.values()) <= set(chain)


def test_a_fresh_database_is_created_by_the_revisions(backend: Backend) -> None:
    store = ArtifactStore(backend.url)
    _assert_at_head(store)
    store.ensure_project("p")
    assert store.write("p", "context", lambda _p: "x").version.version == 1
    assert _leases(store) == []
    store.close()


@pytest.mark.parametrize("version", [None, 1], ids=["no-ohm_schema", "ohm_schema-1"])
def test_a_version_1_database_is_upgraded_with_its_data(
    backend: Backend, version: int | None
) -> None:
    backend.legacy(version)
    store = ArtifactStore(backend.url)
    _assert_at_head(store)
    _assert_seed_intact(store)
    assert _leases(store) == []  # the table the upgrade added is there and empty
    store.close()


def test_a_version_2_database_is_stamped_and_keeps_its_leases(backend: Backend) -> None:
    backend.legacy(2)
    store = ArtifactStore(backend.url)
    _assert_at_head(store)
    _assert_seed_intact(store)
    assert _leases(store) == [("t1", "owner-1")]
    store.close()


def test_the_recorded_conversation_database_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "ohm.db"
    shutil.copy(FIXTURE_DB, db)
    raw = sqlite3.connect(db)
    assert raw.execute("SELECT version FROM ohm_schema").fetchall() == [(1,)]
    before = raw.execute(
        "SELECT a.type, a.path, v.version, v.content, v.tool_call_id FROM artifact_versions v "
        "JOIN artifacts a ON a.id = v.artifact_id ORDER BY v.id"
    ).fetchall()
    raw.close()
    assert before

    store = ArtifactStore(f"sqlite:///{db}")
    _assert_at_head(store)
    after = [
        (v.type, v.path, v.version, v.content, v.tool_call_id)
        for v in sorted(store.all_versions("plant-monitor"), key=lambda v: v.id)
    ]
    assert after == before
    assert store.get_thread("plant-1").project_id == "plant-monitor"
    store.close()


def test_a_newer_revision_is_refused_and_left_alone(backend: Backend) -> None:
    ArtifactStore(backend.url).close()
    engine = backend.raw()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(migrations.SchemaTooNewError) as info:
        ArtifactStore(backend.url)
    assert str(info.value) == (
        "the database is at schema revision f00d, newer than this Ohm understands "
        f"({migrations.HEAD}); upgrade Ohm"
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "f00d"
    engine.dispose()


def test_a_newer_pre_alembic_version_is_refused(backend: Backend) -> None:
    backend.legacy(3)
    with pytest.raises(migrations.SchemaTooNewError, match="schema version 3, newer"):
        ArtifactStore(backend.url)
    engine = backend.raw()
    with engine.connect() as conn:
        assert migrations.read_state(conn).revisions == ()
    engine.dispose()


WRITE_SQL = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|BEGIN IMMEDIATE)\b|pg_advisory_xact_lock", re.I
)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs while the test is active."""
    seen: list[str] = []

    def record(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_opening_a_current_database_writes_nothing(backend: Backend, statements: list[str]) -> None:
    ArtifactStore(backend.url).close()
    statements.clear()
    ArtifactStore(backend.url).close()
    assert statements, "the open ran no statement at all"
    assert [s for s in statements if WRITE_SQL.match(s)] == []


def test_an_upgrade_takes_the_write_lock_first(tmp_path: Path, statements: list[str]) -> None:
    backend = Backend(f"sqlite:///{tmp_path / 'ohm.db'}", "sqlite")
    backend.legacy(1)
    statements.clear()
    ArtifactStore(backend.url).close()
    writes = [s.strip().split()[0:2] for s in statements if WRITE_SQL.match(s)]
    assert writes[0] == ["BEGIN", "IMMEDIATE"]
    assert ["CREATE", "TABLE"] in writes  # thread_leases


def test_a_current_sqlite_database_opens_while_another_process_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ohm.db'}"
    ArtifactStore(url).ensure_project("p")
    writer = sqlite3.connect(tmp_path / "ohm.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE projects SET name = 'busy'")
    try:
        store = ArtifactStore(url)  # would wait out the busy timeout if it needed the lock
        assert store.get_project("p").name == "p"
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_openers_racing_on_a_new_database_upgrade_it_once(backend: Backend) -> None:
    n = 6
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    stores: list[ArtifactStore] = []

    def open_store() -> None:
        barrier.wait()
        try:
            stores.append(ArtifactStore(backend.url))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(stores) == n
    with stores[0].engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM ohm_schema")).scalar() == 1
    _assert_at_head(stores[0])
    for s in stores:
        s.close()


def test_an_upgrade_blocked_past_its_wait_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = Backend(f"sqlite:///{tmp_path / 'ohm.db'}", "sqlite")
    backend.legacy(1)
    monkeypatch.setattr(migrations, "UPGRADE_WAIT_S", 0.5)
    writer = sqlite3.connect(tmp_path / "ohm.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as info:
            ArtifactStore(backend.url)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert str(info.value) == (
        "cannot open the artifact database: it stayed locked by other writers for "
        f"{SQLITE_BUSY_TIMEOUT_S:.0f} s; try again"
    )
    store = ArtifactStore(backend.url)  # once the writer is gone the upgrade goes through
    _assert_at_head(store)
    _assert_seed_intact(store)
