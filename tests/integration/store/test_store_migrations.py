"""Migrations: they build the schema the models describe, and running them again is a no-op."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from millstream.store import SqlStore, current_revision, head_revision, upgrade
from millstream.store.migrate import target_metadata


def test_upgrade_creates_every_table_and_twice_is_a_no_op(new_database_url: str) -> None:
    assert current_revision(new_database_url) is None
    upgrade(new_database_url)
    store = SqlStore(new_database_url)
    try:
        with store.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
        upgrade(new_database_url)
        with store.engine.connect() as connection:
            tables_again = set(inspect(connection).get_table_names())
    finally:
        store.close()
    assert head_revision() is not None
    assert current_revision(new_database_url) == head_revision()
    assert {t.name for t in target_metadata().sorted_tables} | {"alembic_version"} == tables
    assert tables_again == tables


def test_models_match_the_migrated_schema(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, target_metadata())
    finally:
        store.close()
    assert differences == []
