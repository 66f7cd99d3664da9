"""Engine construction for SQLite and PostgreSQL URLs.

``SqlStore``, ``migrate.upgrade`` and the leader locks call ``create_database_engine``
so every connection gets the same settings: on SQLite WAL journaling, enforced foreign
keys, a busy timeout and ``synchronous = NORMAL`` (set once, when the pool opens a
connection), and a created parent directory (0700 when we create it) with the database
file owner-only (0600: it holds every secret's ciphertext and the key hashes); on
PostgreSQL (``postgresql+psycopg://``) a pool that pings a connection before use when
it sat idle for a while (``_ping_when_idle``). JSON columns are read by orjson.

Both pools keep enough connections for the API's thread pool: a connection opened past
the pool size is closed again when it is returned, so an undersized pool re-opens (and
re-configures) a connection for most requests under load.

``synchronous = NORMAL`` under WAL: a commit is not flushed to disk by itself (about
5 ms an fsync here, and SQLite has one writer), yet it survives a crash or ``kill -9``
of any process; only an operating-system crash or power loss can take back the last
commits, never corrupt the database (https://www.sqlite.org/pragma.html#pragma_synchronous).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import StaticPool

from millstream.domain.errors import InvalidInput

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "create_database_engine",
    "is_memory_sqlite",
    "json_loads",
    "sqlite_path",
]

SQLITE_BUSY_TIMEOUT_MS = 5000
# Pooled connections per engine (and extra ones opened under bursts, closed on return).
# SQLite connections are cheap; PostgreSQL's are capped server-wide (100 by default)
# and shared by every replica and API worker.
SQLITE_POOL = {"pool_size": 20, "max_overflow": 20}
POSTGRES_POOL = {"pool_size": 10, "max_overflow": 10}
# A pooled PostgreSQL connection idle longer than this is pinged before it is used.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "millstream_idle_since"


def json_loads(text: str | bytes) -> Any:
    """JSON columns as read: orjson (several times faster: a page of 100 jobs decodes
    900 columns), the standard library for what orjson refuses and ``json.dumps``
    wrote (NaN, integers beyond 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_database_engine(url: str | URL, **options: Any) -> Engine:
    """An Engine for ``url``; ``options`` go to ``sqlalchemy.create_engine``."""
    parsed = make_url(url)
    options.setdefault("json_deserializer", json_loads)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, options)
    if backend == "postgresql":
        if options.get("poolclass") is None:  # sizes are QueuePool's (not NullPool's)
            for name, value in POSTGRES_POOL.items():
                options.setdefault(name, value)
        engine = create_engine(parsed, **options)
        if not options.get("pool_pre_ping"):
            _ping_when_idle(engine)
        return engine
    raise InvalidInput(
        f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:///<file> "
        "or postgresql+psycopg://user@host:5432/db"
    )


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def sqlite_path(url: URL) -> Path:
    """The database file of a SQLite URL (not for in-memory URLs)."""
    if is_memory_sqlite(url) or url.database is None:
        raise InvalidInput(f"{url} is an in-memory SQLite database, not a file")
    return Path(url.database).expanduser()


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection before use only when it sat idle longer
    than ``PING_AFTER_IDLE_SECONDS``; a dead one is replaced (``DisconnectionError``
    makes the pool open another). SQLAlchemy's ``pool_pre_ping`` pinged at every
    checkout, a round trip of every transaction; a connection that died in between
    fails that one transaction (503) and the pool drops every connection older than
    the failure."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: this connection is not to be used
            raise DisconnectionError(f"pooled connection failed its ping: {error}") from error


def _sqlite_engine(url: URL, options: dict[str, Any]) -> Engine:
    if is_memory_sqlite(url):
        # One shared connection: each new connection would be a separate empty database.
        options.setdefault("poolclass", StaticPool)
        options.setdefault("connect_args", {"check_same_thread": False})
    else:
        path = sqlite_path(url)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _owner_only(path)
        if options.get("poolclass") is None:
            for name, value in SQLITE_POOL.items():
                options.setdefault(name, value)
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _owner_only(path: Path) -> None:
    """Create the database file 0600 before SQLite does (SQLite gives its ``-wal`` and
    ``-shm`` files the database's mode), and tighten an existing one.

    A path we cannot open (a directory, an unwritable place) is left alone: SQLite then
    fails on first connect, which the store reports as ``StoreUnavailable`` like any
    other unreachable database, instead of a raw ``OSError`` at construction."""
    # Never open an existing database file: closing any descriptor of it drops every
    # POSIX lock this process holds on it, and another process's SQLite then thinks it
    # is the last user, checkpoints and deletes the WAL our open connections still read
    # (a second engine on the same file, such as the nonce writer's, did exactly that).
    if path.exists() and not path.is_file():
        return
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(f"{path}{suffix}", 0o600)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
