"""Leader locks: only one holder per database, on SQLite (file lock) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from millstream.control.ports import LeaderLock
from millstream.store import FileLeaderLock, LocalLeaderLock, PostgresLeaderLock, leader_lock_for


def test_only_one_lock_holder_until_it_releases(database_url: str) -> None:
    first: LeaderLock = leader_lock_for(database_url)
    second: LeaderLock = leader_lock_for(database_url)
    try:
        assert first.try_acquire()
        assert first.still_held()
        assert first.try_acquire()
        assert not second.try_acquire()
        assert not second.still_held()
        first.release()
        assert not first.still_held()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_lock_kind_follows_the_url(tmp_path: Path) -> None:
    file_lock = leader_lock_for(f"sqlite:///{tmp_path / 'data' / 'millstream.db'}")
    assert isinstance(file_lock, FileLeaderLock)
    assert file_lock.path == tmp_path / "data" / "millstream.db.reconciler.lock"
    assert isinstance(leader_lock_for("sqlite://"), LocalLeaderLock)
    assert isinstance(
        leader_lock_for("postgresql+psycopg://u@127.0.0.1:5432/db"), PostgresLeaderLock
    )


def test_file_lock_is_lost_when_its_file_is_removed(tmp_path: Path) -> None:
    lock = FileLeaderLock(tmp_path / "x.reconciler.lock")
    assert lock.try_acquire()
    lock.path.unlink()
    assert not lock.still_held()
    lock.release()


def test_local_lock_excludes_a_second_holder() -> None:
    lock = LocalLeaderLock()
    assert lock.try_acquire()
    lock.release()
    assert lock.try_acquire()
    assert lock.still_held()
    lock.release()
