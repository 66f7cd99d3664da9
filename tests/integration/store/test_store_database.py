"""Connection settings of ``create_database_engine``: every pooled SQLite connection is
configured once when opened (WAL, foreign keys, busy timeout, commits without an fsync)
and the pools hold enough connections for the API's thread pool, so a burst of requests
reuses connections instead of opening and configuring new ones."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import event

from millstream.store.database import SQLITE_POOL, create_database_engine


def test_sqlite_connections_are_configured_once_and_commit_without_fsync(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'millstream.db'}")
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    try:
        for _ in range(20):
            with engine.connect() as connection:
                settings = [
                    connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
                ]
        assert settings == ["wal", 1, 1, 5000]  # synchronous 1 = NORMAL
        assert len(opened) == 1  # one connection, configured once, reused 20 times
    finally:
        engine.dispose()


def test_a_burst_of_concurrent_transactions_reuses_pooled_connections(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'millstream.db'}")
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    together = SQLITE_POOL["pool_size"]
    barrier = threading.Barrier(together)

    def work() -> None:
        with engine.connect() as connection:
            barrier.wait(timeout=30)  # all connections checked out at once
            connection.exec_driver_sql("SELECT 1")

    try:
        for _ in range(3):
            threads = [threading.Thread(target=work) for _ in range(together)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        # The first burst opens them; later bursts find them in the pool.
        assert len(opened) == together
    finally:
        engine.dispose()
