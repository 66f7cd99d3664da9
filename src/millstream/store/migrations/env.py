"""Alembic environment for Millstream's schema.

``millstream.store.migrate.upgrade`` hands in an open connection through
``config.attributes["connection"]``. Developers can also run the ``alembic`` command with
``-x url=...`` (for ``revision --autogenerate``); then this module opens the connection.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from millstream.store.database import create_database_engine
from millstream.store.migrate import target_metadata

# Any constant will do; it only has to be the same for every replica.
_MIGRATION_LOCK_KEY = 0x4D494C4C  # "MILL"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url is None:
        raise SystemExit("pass the database with: alembic -x url=sqlite:///path/to.db ...")
    engine = create_database_engine(url)
    try:
        with engine.connect() as opened:
            _run(opened)
            opened.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
_run_online()
