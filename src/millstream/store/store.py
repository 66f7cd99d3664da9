"""``SqlStore``: the ``Store`` port over SQLite or PostgreSQL.

The app factory builds one per process from ``Settings.store_url`` (after running
``migrate.upgrade``); services open ``transaction()`` once per use case.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from millstream.store.database import create_database_engine
from millstream.store.errors import translate_errors
from millstream.store.repositories import SqlRepositories

__all__ = ["SqlStore"]


class SqlStore:
    """One engine (connection pool) and a session per unit of work."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self._engine = create_database_engine(url, **engine_options)
        self._sessions = sessionmaker(self._engine, autoflush=False, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[SqlRepositories]:
        """Commit on success, roll back on any exception; connection failures raise
        ``StoreUnavailable``."""
        with translate_errors(), self._sessions.begin() as session:
            yield SqlRepositories(session)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()
