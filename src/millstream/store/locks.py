"""Leader locks: make sure exactly one reconciler runs per database.

The app factory calls ``leader_lock_for(url)``; the reconciler runner calls
``try_acquire()`` until it wins, ``still_held()`` before each tick and ``release()`` on
shutdown. PostgreSQL uses a session advisory lock on a dedicated connection (the lock
dies with the connection, so a killed replica frees it); SQLite uses a non-blocking
``flock`` on ``<db file>.reconciler.lock`` (freed by the kernel when the process dies).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from millstream.control.ports import LeaderLock
from millstream.domain.errors import InvalidInput
from millstream.store.database import create_database_engine, is_memory_sqlite, sqlite_path
from millstream.store.errors import translate_errors

__all__ = [
    "FileLeaderLock",
    "LocalLeaderLock",
    "PostgresLeaderLock",
    "leader_lock_for",
]

_LOCK_NAME = "millstream.reconciler"
# Detect a dead lock connection within ~25 s instead of the OS default of hours.
_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "connect_timeout": 10,
}


def leader_lock_for(url: str) -> LeaderLock:
    """The leader lock that fits the database at ``url``."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return PostgresLeaderLock(url)
    if backend == "sqlite":
        if is_memory_sqlite(parsed):
            return LocalLeaderLock()
        path = sqlite_path(parsed)
        return FileLeaderLock(path.with_name(path.name + ".reconciler.lock"))
    raise InvalidInput(f"no leader lock for database URL scheme {parsed.drivername!r}")


def advisory_lock_key(name: str) -> int:
    """A signed 64-bit key for ``pg_try_advisory_lock``, stable across processes."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLeaderLock:
    """Session advisory lock held on its own connection, outside any transaction.

    The key includes the schema, so installations sharing one database in different
    schemas do not block each other.
    """

    def __init__(self, url: str, *, name: str = _LOCK_NAME) -> None:
        self._name = name
        self._engine = create_database_engine(
            url, poolclass=NullPool, pool_pre_ping=False, connect_args=_KEEPALIVES
        )
        self._connection: Connection | None = None
        self._key: int | None = None

    def try_acquire(self) -> bool:
        if self._connection is not None:
            return self.still_held()
        with translate_errors():
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                schema = connection.scalar(text("SELECT current_schema()"))
                key = advisory_lock_key(f"{self._name}:{schema}")
                acquired = bool(
                    connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
                )
            except BaseException:
                connection.close()
                raise
        if not acquired:
            connection.close()
            return False
        self._connection, self._key = connection, key
        return True

    def still_held(self) -> bool:
        """True while the lock's connection answers; the server keeps the lock as long
        as that session lives."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except DBAPIError:
            self._discard()
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except DBAPIError:
            pass  # closing the session below releases the lock anyway
        finally:
            self._discard()

    def _discard(self) -> None:
        connection, self._connection, self._key = self._connection, None, None
        if connection is not None:
            try:
                connection.close()
            except DBAPIError:
                connection.invalidate()


class FileLeaderLock:
    """Exclusive non-blocking ``flock`` on a file next to the SQLite database.

    ``flock`` locks belong to the open file, so two instances in one process exclude each
    other just like two processes do.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    @property
    def path(self) -> Path:
        return self._path

    def try_acquire(self) -> bool:
        if self._file is not None:
            return self.still_held()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True

    def still_held(self) -> bool:
        """True while the locked file is still the one at ``path`` (not deleted or
        replaced, which would let another process lock a new file)."""
        if self._file is None:
            return False
        try:
            return os.stat(self._path).st_ino == os.fstat(self._file.fileno()).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


class LocalLeaderLock:
    """For an in-memory SQLite database, which only this process can see."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = False

    def try_acquire(self) -> bool:
        if self._held:
            return True
        self._held = self._lock.acquire(blocking=False)
        return self._held

    def still_held(self) -> bool:
        return self._held

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()
