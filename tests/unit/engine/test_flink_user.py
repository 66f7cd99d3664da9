"""The data directory's layout for a Flink OS user: owner-only control-plane files, what
Flink may reach, and the move to a reachable root when the data directory is not."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from millstream.engine.flink_user import (
    FLINK_OWNED,
    FLINK_READABLE,
    OsUser,
    can_reach,
    prepare_data_dir,
)

STRANGER = OsUser("stranger", uid=54321, gid=54321, groups=frozenset({54321}))
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_base() -> Iterator[Path]:
    """A directory other users may pass through (pytest's own are closed to them)."""
    base = Path(tempfile.mkdtemp(prefix="ms-reach-", dir="/tmp"))
    os.chmod(base, 0o711)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_search_permission_decides_reachability(open_base: Path) -> None:
    outer = open_base / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    os.chmod(outer, 0o700)
    assert not can_reach(inner, STRANGER)
    os.chmod(outer, 0o711)
    assert can_reach(inner, STRANGER)
    assert can_reach(inner, OsUser("owner", os.geteuid(), os.getegid(), frozenset()))


def test_without_a_flink_user_everything_is_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("millstream.db", "secret.key"):
        (data / name).write_text("x")
        os.chmod(data / name, 0o644)
    prepare_data_dir(data, None)
    assert _mode(data) == 0o700
    assert _mode(data / "millstream.db") == 0o600
    assert _mode(data / "secret.key") == 0o600
    assert _mode(data / "logs") == 0o700


@root_only
def test_unreachable_data_dir_moves_flink_directories_behind_links(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    data = closed / "data"
    data.mkdir()
    (data / "state").mkdir()
    (data / "state" / "kept.txt").write_text("savepoint")
    visible = Path("/tmp") / f"ms-visible-{os.getpid()}-{tmp_path.name}"
    try:
        prepare_data_dir(data, STRANGER, visible_root=visible)
        assert _mode(data) == 0o711
        for name in (*FLINK_OWNED, *FLINK_READABLE):
            link = data / name
            assert link.is_symlink(), name
            assert link.resolve().parent.parent == visible.resolve()
            assert can_reach(link.resolve(), STRANGER), name
        assert (data / "state" / "kept.txt").read_text() == "savepoint"  # moved, not lost
        assert (data / "state").resolve().stat().st_uid == STRANGER.uid
        assert (data / "artifacts").resolve().stat().st_uid == os.geteuid()
        assert _mode((data / "artifacts").resolve()) == 0o755
        prepare_data_dir(data, STRANGER, visible_root=visible)  # idempotent
        assert (data / "state" / "kept.txt").read_text() == "savepoint"
    finally:
        shutil.rmtree(visible, ignore_errors=True)
