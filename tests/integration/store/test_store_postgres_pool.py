"""PostgreSQL connections: a pooled connection is pinged only after sitting idle, and a
dead one is replaced without failing the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from millstream.store import database
from millstream.store.database import create_database_engine
from tests.integration.store.conftest import PostgresSchemas

pytestmark = pytest.mark.postgres


@pytest.fixture
def url(postgres_schemas: PostgresSchemas) -> str:
    return postgres_schemas.create()


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = create_database_engine(url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    pinged: list[Any] = []
    ping = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pinged.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pinged


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        pid: int = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return pid


def test_a_connection_in_steady_use_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pinged = _pings(engine, monkeypatch)
    pids = {_backend_pid(engine) for _ in range(20)}
    assert len(pids) == 1  # one pooled connection, reused
    assert pinged == []


def test_an_idle_connection_that_died_is_replaced_without_an_error(
    engine: Engine, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(engine)
    admin = create_database_engine(url, pool_size=1, max_overflow=0)
    try:
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    finally:
        admin.dispose()
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle "long"
    pinged = _pings(engine, monkeypatch)

    second = _backend_pid(engine)  # no error: the ping failed and the pool reconnected

    assert second != first
    assert len(pinged) == 1
