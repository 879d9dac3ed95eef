"""Schema creation and upgrades, applied automatically when a store opens.

A fresh database is created from the ORM models and stamped with the latest schema
version (the same "create, then stamp head" approach Alembic recommends). A database at an
older version gets each later numbered step in order, inside one transaction. Add a step
by appending to ``STEPS``; never edit a released one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, inspect, text

from .models import Base

Step = Callable[[Connection], None]


# Schema version N is reached by applying STEPS[N - 2] to version N - 1; version 1 is the
# first released schema.
def _add_thread_leases(conn: Connection) -> None:
    from .models import ThreadLease

    ThreadLease.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]


STEPS: list[Step] = [_add_thread_leases]
LATEST = len(STEPS) + 1


class SchemaTooNewError(RuntimeError):
    pass


def current_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table("ohm_schema"):
        return None
    row = conn.execute(text("SELECT version FROM ohm_schema")).first()
    return int(row[0]) if row else None


def upgrade(engine: Engine) -> int:
    """Bring the database to ``LATEST``; returns the version it was at (0 when new)."""
    with engine.begin() as conn:
        version = current_version(conn)
        if version is None:
            has_tables = inspect(conn).has_table("projects")
            conn.execute(text("CREATE TABLE IF NOT EXISTS ohm_schema (version INTEGER NOT NULL)"))
            if not has_tables:
                Base.metadata.create_all(conn)
                conn.execute(text("INSERT INTO ohm_schema (version) VALUES (:v)"), {"v": LATEST})
                return 0
            version = 1
            conn.execute(text("INSERT INTO ohm_schema (version) VALUES (1)"))
        if version > LATEST:
            raise SchemaTooNewError(
                f"the database is at schema version {version}, newer than this Ohm "
                f"understands ({LATEST}); upgrade Ohm"
            )
        for n in range(version, LATEST):
            STEPS[n - 1](conn)
        conn.execute(text("UPDATE ohm_schema SET version = :v"), {"v": LATEST})
        return version
