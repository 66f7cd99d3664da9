"""Run the Alembic migrations in ``migrations/`` from code (no alembic.ini on disk).

The app factory and the CLI call ``upgrade(url)`` at start-up; it is idempotent and safe
to run from several replicas at once (PostgreSQL serialises it with an advisory lock
taken in ``migrations/env.py``).
"""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.engine import make_url

from millstream.store.database import create_database_engine
from millstream.store.errors import translate_errors

__all__ = ["alembic_config", "current_revision", "head_revision", "target_metadata", "upgrade"]

SCRIPT_LOCATION = "millstream.store:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` built in code, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``; a no-op when it is already there."""
    engine = _migration_engine(url)
    try:
        with translate_errors(), engine.connect() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None before the first migration)."""
    engine = create_database_engine(url)
    try:
        with translate_errors(), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision this installation ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def target_metadata() -> MetaData:
    """Every table the migrations build, for autogenerate and the schema drift test."""
    from millstream.store import (
        access,  # noqa: F401 - registers its models on Base
        hot_updates,  # noqa: F401 - registers HotUpdateRow
        udfs,  # noqa: F401 - registers the UDF and custom connector rows
    )
    from millstream.store.models import Base

    return Base.metadata


def _migration_engine(url: str) -> Engine:
    engine = create_database_engine(url)
    if make_url(url).get_backend_name() == "sqlite":
        # pysqlite only opens transactions before DML; make DDL transactional too, so a
        # failed migration leaves no half-built schema behind.
        event.listen(engine, "connect", _disable_pysqlite_transactions)
        event.listen(engine, "begin", _begin_sqlite)
    return engine


def _disable_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")
