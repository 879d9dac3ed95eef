"""The artifact store's schema, kept by Alembic and brought up to date when a store opens.

The revisions live in ``versions/`` inside the package, so an installed Ohm needs no
``alembic.ini``. Opening a store first reads the schema revision and writes nothing: a
current database can be opened by any number of processes at once, even while others
write. Only when an upgrade is due does the opener take the write lock (``BEGIN
IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL), read the
revision again (another process may have upgraded meanwhile) and upgrade inside that one
transaction.

Databases from before Alembic are recognised and stamped with the matching revision first:
``ohm_schema`` version 1 (the first schema) is revision ``0001``, version 2 (plus
``thread_leases``) is ``0002``, and a database with the tables but no ``ohm_schema`` is
version 1. Once Alembic keeps a database, ``ohm_schema`` holds :data:`ALEMBIC_MARK`, so a
release from before Alembic refuses it with its own "newer schema" message instead of
writing to tables it does not know.

To add a revision, change ``persistence/models.py`` and run ``make migration
MESSAGE="..."``, then set :data:`HEAD` to the new revision id (a unit test checks it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from ..store import SQLITE_BUSY_TIMEOUT_S, DatabaseBusyError, StoreError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in versions/. Kept here so the read-only check on every open needs
# no Alembic import and no scan of the revision files.
HEAD = "0003"
# ohm_schema version -> the revision that has the same schema.
LEGACY_REVISIONS = {1: "0001", 2: "0002"}
ALEMBIC_MARK = 1000
VERSION_TABLE = "alembic_version"
LEGACY_TABLE = "ohm_schema"
SCRIPT_DIR = Path(__file__).resolve().parent
# How long one try for SQLite's write lock waits, and how long an opener keeps trying
# while another process upgrades (as long as any other write would wait).
LOCK_TRY_MS = 200
UPGRADE_WAIT_S = SQLITE_BUSY_TIMEOUT_S


class SchemaTooNewError(StoreError):
    """The database was written by a newer Ohm; this one must not touch it."""


@dataclass(frozen=True)
class SchemaState:
    revisions: tuple[str, ...]  # Alembic's revision(s); empty when Alembic never ran
    legacy: int | None  # ohm_schema.version, when that table has a row
    has_tables: bool  # the store's tables exist (a database from before ohm_schema)

    @property
    def current(self) -> bool:
        return self.revisions == (HEAD,)


def read_state(conn: Connection) -> SchemaState:
    """What schema the database has, read without writing anything."""
    names = set(inspect(conn).get_table_names())
    revisions: tuple[str, ...] = ()
    if VERSION_TABLE in names:
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        revisions = tuple(sorted(str(r) for r in rows))
    legacy = None
    if LEGACY_TABLE in names:
        row = conn.execute(text(f"SELECT version FROM {LEGACY_TABLE}")).first()
        legacy = int(row[0]) if row else None
    return SchemaState(revisions, legacy, "projects" in names)


def current_revision(conn: Connection) -> str | None:
    revisions = read_state(conn).revisions
    return revisions[0] if len(revisions) == 1 else None


def alembic_config(conn: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped revisions, bound to ``conn`` when given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_DIR))
    cfg.set_main_option("path_separator", "os")
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def _too_new(state: SchemaState) -> SchemaTooNewError | None:
    if state.revisions:
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(alembic_config())
        known = {rev.revision for rev in script.walk_revisions()}
        unknown = [r for r in state.revisions if r not in known]
        if unknown:
            return SchemaTooNewError(
                f"the database is at schema revision {', '.join(unknown)}, newer than this "
                f"Ohm understands ({HEAD}); upgrade Ohm"
            )
        return None
    if state.legacy is not None and state.legacy not in LEGACY_REVISIONS:
        return SchemaTooNewError(
            f"the database is at schema version {state.legacy}, newer than this Ohm "
            f"understands ({HEAD}); upgrade Ohm"
        )
    return None


def _take_write_lock(conn: Connection) -> None:
    """Serialise upgraders; on SQLite the transaction began IMMEDIATE, which already does."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.ohm_schema'))")
        )


def _migrate(conn: Connection, state: SchemaState) -> None:
    from alembic import command

    cfg = alembic_config(conn)
    if not state.revisions:
        start = LEGACY_REVISIONS.get(state.legacy or 1) if state.has_tables else None
        if start is not None:
            command.stamp(cfg, start)
    command.upgrade(cfg, "head")
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {LEGACY_TABLE} (version INTEGER NOT NULL)"))
    if conn.execute(text(f"UPDATE {LEGACY_TABLE} SET version = :v"), {"v": ALEMBIC_MARK}).rowcount:
        return
    conn.execute(text(f"INSERT INTO {LEGACY_TABLE} (version) VALUES (:v)"), {"v": ALEMBIC_MARK})


def _upgrade_locked(conn: Connection) -> None:
    conn.info["ohm_write"] = True
    with conn.begin():
        _take_write_lock(conn)
        state = read_state(conn)
        if state.current:
            return
        error = _too_new(state)
        if error is not None:
            raise error
        _migrate(conn, state)


def upgrade(engine: Engine) -> SchemaState:
    """Bring the database to :data:`HEAD`; returns the state it was found in.

    ``engine`` is an :class:`~persistence.store.ArtifactStore` engine: on SQLite it begins a
    transaction with ``BEGIN IMMEDIATE`` when the connection's ``info["ohm_write"]`` is set.
    On SQLite the write lock is tried in short waits with a read-only look in between, so
    that when many processes open a new database at once, the ones that lose the race see
    the winner's upgrade as soon as it commits instead of queueing for the lock in turn.
    """
    with engine.connect() as conn:
        found = read_state(conn)
    if found.current:
        return found
    error = _too_new(found)
    if error is not None:
        raise error
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            _upgrade_locked(conn)
        return found
    deadline = time.monotonic() + UPGRADE_WAIT_S
    while True:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(f"PRAGMA busy_timeout={LOCK_TRY_MS}").close()
            try:
                _upgrade_locked(conn)
                return found
            except DatabaseBusyError:
                if time.monotonic() > deadline:
                    raise
            finally:
                raw.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}").close()
            if read_state(conn).current:
                return found
