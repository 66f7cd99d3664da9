"""Signature nonces in batches (``spend_nonces``), on SQLite and PostgreSQL: a nonce is
fresh once, whether it comes again in the same batch, a later batch or through another
store; the nonce writer's store spends a batch in one statement on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from millstream.domain.errors import StoreUnavailable
from millstream.store import nonce_writers
from millstream.store.access import SqlAccessStore
from millstream.store.database import create_database_engine
from millstream.store.nonce_writers import nonce_writer_store

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _spend(store: SqlAccessStore, *nonces: tuple[str, str]) -> tuple[list[bool], int]:
    """As ``NonceBatches`` spends a batch: through the store's ``NonceLedger``."""
    return store.spend_nonces(nonces=[(key, nonce, T0) for key, nonce in nonces])


def test_a_nonce_is_fresh_once_per_key_whatever_the_batch(database_url: str) -> None:
    engine = create_database_engine(database_url)
    writer = nonce_writer_store(database_url, engine)
    other = SqlAccessStore(engine)
    try:
        with other.transaction() as repos:
            generation = repos.read_access_generation()

        fresh, seen_generation = _spend(writer, ("k1", "a"), ("k1", "b"), ("k1", "a"), ("k2", "a"))
        assert fresh == [True, True, False, True]
        assert seen_generation == generation

        assert _spend(writer, ("k1", "b"), ("k1", "c"))[0] == [False, True]
        assert _spend(other, ("k1", "c"), ("k2", "b"))[0] == [False, True]  # another replica
        assert _spend(writer, ("k2", "b"))[0] == [False]
        assert _spend(writer) == ([], generation)  # Basic only: just the generation

        with other.transaction() as repos:
            assert repos.delete_nonces(seen_before=datetime(2100, 1, 1, tzinfo=UTC)) >= 5
        assert _spend(writer, ("k1", "a"))[0] == [True]  # forgotten: fresh again
    finally:
        writer.close()
        other.close()
        engine.dispose()


def test_the_nonce_writer_spends_a_batch_in_one_statement_on_postgresql(
    database_url: str,
) -> None:
    """SQLite: a statement a nonce, then the generation. PostgreSQL: one prepared
    statement on the writer's own raw connection, outside SQLAlchemy's execution."""
    engine = create_database_engine(database_url)
    writer = nonce_writer_store(database_url, engine)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(writer.engine, "before_cursor_execute", count)
    try:
        assert _spend(writer, ("k9", "x"), ("k9", "y"), ("k9", "z"))[0] == [True] * 3
        assert _spend(writer, ("k9", "x"))[0] == [False]
        if engine.dialect.name == "postgresql":
            driver = writer._connection.driver_connection  # type: ignore[attr-defined]
            prepared = driver.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
            assert prepared[0] >= 1  # the batch statement, prepared on the server
        with writer.transaction() as repos:
            repos.delete_nonces(seen_before=datetime(2100, 1, 1, tzinfo=UTC))
    finally:
        writer.close()
        engine.dispose()
    if engine.dialect.name == "postgresql":
        assert len(statements) == 1  # only the clean-up went through SQLAlchemy
    else:
        assert len(statements) == 7  # 3 + 1 inserts, a generation after each batch, the clean-up


@pytest.mark.postgres
def test_a_lost_writer_connection_is_store_unavailable_and_the_next_batch_reconnects(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the raw nonce connection is PostgreSQL's")
    engine = create_database_engine(database_url)
    writer = nonce_writer_store(database_url, engine)
    try:
        assert _spend(writer, ("k7", "a"))[0] == [True]
        driver = writer._connection.driver_connection  # type: ignore[attr-defined]
        with engine.connect() as other:
            other.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": driver.info.backend_pid}
            )
        with pytest.raises(StoreUnavailable):
            _spend(writer, ("k7", "b"))
        assert _spend(writer, ("k7", "b"), ("k7", "a"))[0] == [True, False]  # a new connection
    finally:
        writer.close()
        engine.dispose()


@pytest.mark.postgres
def test_a_writer_connection_that_died_while_idle_is_replaced_before_a_batch(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the raw nonce connection is PostgreSQL's")
    monkeypatch.setattr(nonce_writers, "PING_AFTER_IDLE_SECONDS", 0.0)  # always idle
    engine = create_database_engine(database_url)
    writer = nonce_writer_store(database_url, engine)
    try:
        assert _spend(writer, ("k6", "a"))[0] == [True]
        driver = writer._connection.driver_connection  # type: ignore[attr-defined]
        with engine.connect() as other:
            other.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": driver.info.backend_pid}
            )
        assert _spend(writer, ("k6", "b"), ("k6", "a"))[0] == [True, False]  # no error seen
    finally:
        writer.close()
        engine.dispose()
