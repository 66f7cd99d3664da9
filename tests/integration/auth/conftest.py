"""SqlAccessStore on SQLite and PostgreSQL: the store tests' databases (same fixtures,
same isolated PostgreSQL schemas, the same skip rule), emptied after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from millstream.store import SqlStore
from millstream.store.access import SqlAccessStore
from millstream.store.models import Base
from tests.integration.store.conftest import (  # noqa: F401 - fixtures shared with the store tests
    backend,
    database_url,
    new_database_url,
    postgres_schemas,
)


@pytest.fixture
def sql_store(database_url: str) -> Iterator[SqlStore]:  # noqa: F811 - the imported fixture
    store = SqlStore(database_url)
    yield store
    with store.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    store.close()


@pytest.fixture
def access_store(sql_store: SqlStore) -> SqlAccessStore:
    return SqlAccessStore(sql_store.engine)
