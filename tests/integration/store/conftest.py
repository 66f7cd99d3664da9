"""Databases for the store tests: every test runs once on SQLite and once on PostgreSQL.

PostgreSQL comes from ``MILLSTREAM_TEST_POSTGRES_URL`` (default: a local trust-auth
server); each test session works in its own ``millstream_test_<random>`` schemas, dropped
at the end. Without a reachable server the PostgreSQL cases are skipped, unless ``CI=true``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from millstream.store import SqlStore, upgrade
from millstream.store.migrate import target_metadata

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class PostgresSchemas:
    """Creates throw-away schemas and hands out URLs whose search_path points at one."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self._schemas: list[str] = []

    def create(self) -> str:
        schema = f"millstream_test_{uuid.uuid4().hex[:12]}"
        with self._engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        self._schemas.append(schema)
        url = make_url(self._url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self._engine.connect() as connection:
            for schema in self._schemas:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self._engine.dispose()


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    url = os.environ.get("MILLSTREAM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    probe = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with probe.connect():
            pass
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]
        message = f"PostgreSQL not reachable at {url} ({reason}); set MILLSTREAM_TEST_POSTGRES_URL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        probe.dispose()
    schemas = PostgresSchemas(url)
    yield schemas
    schemas.drop_all()


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def new_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no tables) of the current backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh' / 'millstream.db'}"
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    return schemas.create()


@pytest.fixture(scope="session")
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A migrated database shared by the session; ``store`` empties it after each test."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'millstream.db'}"
    else:
        schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
        url = schemas.create()
    upgrade(url)
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    sql_store = SqlStore(database_url)
    yield sql_store
    with sql_store.engine.begin() as connection:
        for table in reversed(target_metadata().sorted_tables):
            connection.execute(table.delete())
    sql_store.close()
