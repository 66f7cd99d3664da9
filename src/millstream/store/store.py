"""``SqlStore``: the ``Store`` port over SQLite or PostgreSQL; ``SessionStore`` is the
unit-of-work shell every store of this package (access, variables, hot updates) shares.

The app factory builds one per process from ``Settings.store_url`` (after running
``migrate.upgrade``); services open ``transaction()`` once per use case.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from millstream.store.database import create_database_engine
from millstream.store.errors import translate_errors
from millstream.store.repositories import SqlRepositories
from millstream.store.write_gate import WriteGate

__all__ = ["SessionStore", "SqlStore"]

R = TypeVar("R")


class SessionStore(Generic[R]):
    """One engine (connection pool) and a session per unit of work, yielding the
    repositories ``make`` builds on that session. Shares a given engine, or owns one
    it creates from a URL. With ``write_gate``, every transaction holds the gate (see
    ``store.write_gate``): for a store whose transactions all write."""

    def __init__(
        self,
        url_or_engine: str | Engine,
        make: Callable[[Session], R],
        *,
        write_gate: WriteGate | None = None,
        **engine_options: Any,
    ) -> None:
        if isinstance(url_or_engine, Engine):
            self._engine, self._owns_engine = url_or_engine, False
        else:
            self._engine = create_database_engine(url_or_engine, **engine_options)
            self._owns_engine = True
        self._make = make
        self._gate = write_gate
        self._sessions = sessionmaker(self._engine, autoflush=False, expire_on_commit=False)
        self._readers = sessionmaker(
            _reading_engine(self._engine), autoflush=False, expire_on_commit=False
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[R]:
        """Commit on success, roll back on any exception; connection failures raise
        ``StoreUnavailable``."""
        gated = self._gate.held() if self._gate is not None else contextlib.nullcontext()
        with gated, translate_errors(), self._sessions.begin() as session:
            yield self._make(session)

    @contextmanager
    def reading(self) -> Iterator[R]:
        """A unit of work that only reads, each statement seeing the latest commits (a
        write in it is refused). On PostgreSQL its statements run without a transaction
        around them: no BEGIN and COMMIT, two round trips of each API read."""
        with translate_errors(), self._readers.begin() as session:
            yield self._make(session)

    def close(self) -> None:
        """Dispose of the engine (its pooled connections) if this store created it."""
        if self._owns_engine:
            self._engine.dispose()
        if self._gate is not None:
            self._gate.close()


def _reading_engine(engine: Engine) -> Engine:
    """``engine``'s pool for ``reading``, refusing anything but a query; on PostgreSQL
    in autocommit (SQLite runs a read outside a transaction already)."""
    if engine.dialect.name == "postgresql":
        reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    else:
        reader = engine.execution_options()

    @event.listens_for(reader, "before_cursor_execute")
    def _queries_only(*args: Any) -> None:
        statement = str(args[2]).lstrip()[:6].upper()
        if not statement.startswith(("SELECT", "WITH")):
            raise RuntimeError(f"a read-only unit of work ran {statement}...: use transaction()")

    return reader


class SqlStore(SessionStore[SqlRepositories]):
    """The ``Store`` port: deployments, jobs, savepoints, events, namespaces, clusters."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlRepositories, **engine_options)
