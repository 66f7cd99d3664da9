"""Connection settings of ``create_database_engine``: every pooled SQLite connection is
configured once when opened (WAL, foreign keys, busy timeout, commits without an fsync)
and the pools hold enough connections for the API's thread pool, so a burst of requests
reuses connections instead of opening and configuring new ones."""

from __future__ import annotations

import subprocess
import sys
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


def test_a_second_engine_on_the_same_file_keeps_other_processes_from_deleting_its_wal(
    tmp_path: Path,
) -> None:
    """Opening and closing the database file outside SQLite drops this process's locks on
    it; a writer in another process then believes it is the last user and deletes the
    WAL the first engine's connection still reads (that process saw a stale database)."""
    path = tmp_path / "shared.db"
    first = create_database_engine(f"sqlite:///{path}")
    with first.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (v INTEGER)")
    reader = first.connect()  # held open, as a pooled connection is
    assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    second = create_database_engine(f"sqlite:///{path}")  # e.g. the nonce writer's
    writer = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1]); c.execute('INSERT INTO t VALUES (1)'); c.commit()\n"
        "c.close()\n"
    )
    subprocess.run([sys.executable, "-c", writer, str(path)], check=True, timeout=60)
    assert Path(f"{path}-wal").exists()
    assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    reader.close()
    first.dispose()
    second.dispose()
