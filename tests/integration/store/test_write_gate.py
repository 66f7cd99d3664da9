"""The SQLite nonce writer's store: a WriteGate (writers of one file take turns across
processes and threads), WAL checkpoints in a thread of their own, and JSON columns read
by orjson with the standard library behind it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from millstream.store.database import create_database_engine, json_loads
from millstream.store.nonce_writers import nonce_writer_store
from millstream.store.wal_checkpoints import quiet_checkpoints
from millstream.store.write_gate import WriteGate

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from millstream.store.write_gate import WriteGate
    gate = WriteGate(Path(sys.argv[1]))
    with gate.held():
        print("held", flush=True)
        time.sleep(0.5)
        Path(sys.argv[2]).write_text(repr(time.monotonic()))
    """
)


def test_a_holder_in_another_process_makes_this_one_wait_until_it_lets_go(
    tmp_path: Path,
) -> None:
    lock, released = tmp_path / "db.nonces.lock", tmp_path / "released"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(lock), str(released)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        gate = WriteGate(lock)
        with gate.held():
            entered = time.monotonic()
        gate.close()
        assert released.exists(), "entered while the other process still held the gate"
        assert entered >= float(released.read_text())
    finally:
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert lock.stat().st_mode & 0o777 == 0o600


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "gate.lock")
    inside, most = 0, 0
    guard = threading.Lock()

    def write() -> None:
        nonlocal inside, most
        for _ in range(50):
            with gate.held():
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.0005)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    gate.close()
    assert most == 1


def test_the_nonce_writer_store_holds_a_gate_next_to_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    shared = create_database_engine(url)
    store = nonce_writer_store(url, shared)
    try:
        with store.transaction():
            assert (tmp_path / "millstream.db.nonces.lock").exists()
    finally:
        store.close()
        shared.dispose()


def test_json_columns_orjson_refuses_are_read_by_the_standard_library() -> None:
    assert json_loads('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    assert json_loads('{"big": 1180591620717411303424}') == {"big": 2**70}
    nan = json_loads('{"n": NaN}')["n"]
    assert nan != nan


def test_quiet_connections_never_checkpoint_and_the_thread_does(tmp_path: Path) -> None:
    path = tmp_path / "millstream.db"
    engine = create_database_engine(f"sqlite:///{path}")
    checkpointer = quiet_checkpoints(engine, path)
    try:
        with engine.begin() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
        for _ in range(200):  # past SQLite's 1,000-page automatic checkpoint, were it on
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO t SELECT hex(randomblob(3000)) FROM "
                    "(SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)"
                )
        with sqlite3.connect(path) as probe:
            assert probe.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        rounds = checkpointer.rounds
        deadline = time.monotonic() + 10
        while checkpointer.rounds <= rounds + 1 and time.monotonic() < deadline:  # a whole round
            time.sleep(0.05)
        assert checkpointer.rounds > rounds + 1
        assert checkpointer.last is not None
        _busy, frames, copied = checkpointer.last
        assert frames > 1000  # the log the connections left alone
        assert copied == frames  # copied back by the thread
    finally:
        checkpointer.stop()
        engine.dispose()
    assert not checkpointer._thread.is_alive()
