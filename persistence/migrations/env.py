"""Alembic's entry point for the artifact store's revisions.

Ohm runs it with an open connection in ``config.attributes["connection"]`` (see
``persistence.migrations.upgrade``), inside a transaction that already holds the write
lock. Without one (a developer generating a revision) it connects to
``sqlalchemy.url`` from the configuration.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine

from persistence.migrations import LEGACY_TABLE
from persistence.models import Base


def _include_name(name: str | None, type_: str, _parent: MutableMapping[Any, Any]) -> bool:
    # ohm_schema is the pre-Alembic version marker, kept outside the models on purpose.
    return not (type_ == "table" and name == LEGACY_TABLE)


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        include_name=_include_name,
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


shared = context.config.attributes.get("connection")
if shared is not None:
    _run(shared)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
