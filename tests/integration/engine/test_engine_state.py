"""``FlinkEngine`` state directories and ``delete_state`` on a temporary data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from millstream.domain.errors import InvalidInput
from millstream.engine import FlinkEngine, FlinkRuntime


@pytest.fixture
def engine(tmp_path: Path) -> FlinkEngine:
    return FlinkEngine(data_dir=tmp_path, runtime=FlinkRuntime.detect(), request_timeout=5)


def test_state_directories_are_file_uris_per_deployment(
    engine: FlinkEngine, tmp_path: Path
) -> None:
    state = (tmp_path / "state").resolve()
    assert engine.savepoint_directory(deployment_id="d-1") == (state / "savepoints/d-1").as_uri()
    assert engine.checkpoint_directory(deployment_id="d-1") == (state / "checkpoints/d-1").as_uri()
    with pytest.raises(InvalidInput):
        engine.savepoint_directory(deployment_id="../escape")


def test_delete_state_removes_a_savepoint_given_as_flink_reports_it(
    engine: FlinkEngine, tmp_path: Path
) -> None:
    savepoint = (tmp_path / "state/savepoints/d-1/savepoint-abc").resolve()
    savepoint.mkdir(parents=True)
    (savepoint / "_metadata").write_bytes(b"x")

    engine.delete_state(f"file:{savepoint}")  # Flink's spelling: one slash

    assert not savepoint.exists()
    engine.delete_state(f"file://{savepoint}")  # already gone: not an error


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "s3://bucket/x", "STATE/../../outside", "STATE", "STATE/savepoints"],
)
def test_delete_state_refuses_paths_outside_deployment_state(
    engine: FlinkEngine, tmp_path: Path, location: str
) -> None:
    (tmp_path / "outside").mkdir()
    state = (tmp_path / "state").resolve()
    with pytest.raises(InvalidInput):
        engine.delete_state(location.replace("STATE", str(state)))
    assert (tmp_path / "outside").is_dir()


def test_engine_versions_name_the_installed_runtime(engine: FlinkEngine) -> None:
    assert engine.engine_versions() == ["flink-2.3.0"]


def test_newest_checkpoint_is_the_highest_complete_chk(engine: FlinkEngine, tmp_path: Path) -> None:
    job_dir = tmp_path / "chk-root" / "abc123"
    for number, complete in [(2, True), (10, True), (11, False)]:
        chk = job_dir / f"chk-{number}"
        chk.mkdir(parents=True)
        if complete:
            (chk / "_metadata").write_bytes(b"x")
    (job_dir / "shared").mkdir()
    root = (tmp_path / "chk-root").as_uri()
    assert engine.newest_checkpoint(root, "abc123") == (job_dir / "chk-10").as_uri()
    assert engine.newest_checkpoint(root, "missing") is None
    assert engine.newest_checkpoint("s3://bucket/chk", "abc123") is None
