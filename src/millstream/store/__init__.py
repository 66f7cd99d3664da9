"""The store: SQLAlchemy models, repositories and Alembic migrations behind the ``Store``
and ``LeaderLock`` ports of ``millstream.control.ports``.

The app factory calls ``upgrade(url)``, then builds ``SqlStore(url)`` and
``leader_lock_for(url)``; nothing outside the factory imports this package.
"""

from millstream.store.database import create_database_engine
from millstream.store.locks import (
    FileLeaderLock,
    LocalLeaderLock,
    PostgresLeaderLock,
    leader_lock_for,
)
from millstream.store.migrate import current_revision, head_revision, upgrade
from millstream.store.repositories import SqlRepositories
from millstream.store.store import SqlStore

__all__ = [
    "FileLeaderLock",
    "LocalLeaderLock",
    "PostgresLeaderLock",
    "SqlRepositories",
    "SqlStore",
    "create_database_engine",
    "current_revision",
    "head_revision",
    "leader_lock_for",
    "upgrade",
]
