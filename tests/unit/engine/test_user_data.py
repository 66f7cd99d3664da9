"""Dependency files: names, the class path resources in the derived jar, and the shared
``userData/`` of a cluster's working directory (per-job copies, refusal on a conflict)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from millstream.config import FlinkSettings
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.errors import InvalidArtifact
from millstream.engine.cluster_manager import ClusterManager
from millstream.engine.engine import FlinkEngine
from millstream.engine.jars import JarCache
from millstream.engine.local_cluster import LocalCluster
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.user_data import UserDataDirectory, cached_files, user_file_name


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        ("obs://bucket/dir/test.csv", "test.csv"),
        ("myGroup/test1.csv", "test1.csv"),
        ("artifacts://ws/ns/a/b_c-1.txt", "b_c-1.txt"),
        ("https://host/x/data.json?version=2", "data.json"),
    ],
)
def test_the_name_is_the_last_path_segment(uri: str, name: str) -> None:
    assert user_file_name(uri) == name


@pytest.mark.parametrize(
    "uri", ["obs://bucket/dir/", "obs://bucket/.hidden", "a/..", "x/a b", "http://[::1/a.csv"]
)
def test_unusable_names_are_refused(uri: str) -> None:
    with pytest.raises(InvalidArtifact, match="no usable file name"):
        user_file_name(uri)


def test_cached_files_follow_the_configured_ones(tmp_path: Path) -> None:
    files = [("a.csv", tmp_path / "a.csv"), ("b.txt", tmp_path / "b.txt")]
    value = cached_files(files, "name:own,path:'file:///x'")
    assert value == (
        f"name:own,path:'file:///x';name:a.csv,path:'{(tmp_path / 'a.csv').as_uri()}';"
        f"name:b.txt,path:'{(tmp_path / 'b.txt').as_uri()}'"
    )


def _jar(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as jar:
        for name, data in entries.items():
            jar.writestr(name, data)
    return path


def test_dependency_files_are_resources_of_the_derived_jar(tmp_path: Path) -> None:
    main = _jar(tmp_path / "main.jar", {"a/Main.class": b"x", "userData/test.csv": b"old"})
    data = tmp_path / "test.csv"
    data.write_bytes(b"1,2,3\n")
    jars = JarCache(tmp_path / "jars")
    merged = jars.merged(main, [], [("userData/test.csv", data)])
    with zipfile.ZipFile(merged) as jar:
        assert jar.read("userData/test.csv") == b"1,2,3\n"  # the dependency file wins
        assert jar.read("a/Main.class") == b"x"
    data.write_bytes(b"4,5,6\n")
    changed = jars.merged(main, [], [("userData/test.csv", data)])
    assert changed != merged  # a new content is a new jar (clusters cache jars by name)
    assert jars.merged(main, [], []) != merged


@pytest.fixture
def cluster_dir(tmp_path: Path) -> UserDataDirectory:
    (tmp_path / "flink" / "conf").mkdir(parents=True)
    return UserDataDirectory(tmp_path / "flink")


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "sources" / data.hex()[:12] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_files_are_placed_under_user_data_and_a_per_job_copy(
    cluster_dir: UserDataDirectory, tmp_path: Path
) -> None:
    source = _file(tmp_path, "test.csv", b"mine")
    with cluster_dir.staged("job-a", [("test.csv", source)], lambda: set()) as placed:
        assert placed == [("test.csv", cluster_dir.directory / "user-files" / "job-a" / "test.csv")]
    assert (cluster_dir.directory / "userData" / "test.csv").read_bytes() == b"mine"
    assert placed[0][1].read_bytes() == b"mine"


def test_a_different_file_of_a_live_job_is_refused_and_an_equal_one_shared(
    cluster_dir: UserDataDirectory, tmp_path: Path
) -> None:
    first = _file(tmp_path, "test.csv", b"first")
    with cluster_dir.staged("job-a", [("test.csv", first)], lambda: set()):
        pass
    other = _file(tmp_path, "test.csv", b"other")
    with (
        pytest.raises(InvalidArtifact, match="Flink job job-a, still running"),
        cluster_dir.staged("job-b", [("test.csv", other)], lambda: {"job-a"}),
    ):
        pass
    assert (cluster_dir.directory / "userData" / "test.csv").read_bytes() == b"first"
    same = _file(tmp_path, "test.csv", b"first")
    with cluster_dir.staged("job-c", [("test.csv", same)], lambda: {"job-a"}):
        pass
    assert (cluster_dir.directory / "user-files" / "job-a" / "test.csv").is_file()
    assert (cluster_dir.directory / "user-files" / "job-c" / "test.csv").is_file()


def test_files_of_ended_jobs_are_swept_and_may_be_replaced(
    cluster_dir: UserDataDirectory, tmp_path: Path
) -> None:
    with cluster_dir.staged("job-a", [("a.csv", _file(tmp_path, "a.csv", b"a1"))], set):
        pass
    with cluster_dir.staged("job-b", [("a.csv", _file(tmp_path, "a.csv", b"a2"))], set):
        pass  # job-a ended: its different a.csv no longer blocks
    assert (cluster_dir.directory / "userData" / "a.csv").read_bytes() == b"a2"
    assert not (cluster_dir.directory / "user-files" / "job-a").exists()
    with cluster_dir.staged("job-c", [("c.csv", _file(tmp_path, "c.csv", b"c"))], set):
        pass
    assert sorted(p.name for p in (cluster_dir.directory / "userData").iterdir()) == ["c.csv"]


def test_working_directories_are_where_millstream_runs_the_clusters(tmp_path: Path) -> None:
    runtime = FlinkRuntime.detect()
    engine = FlinkEngine(data_dir=tmp_path, runtime=runtime, request_timeout=5)

    def cluster(kind: ClusterKind) -> Cluster:
        return Cluster(
            id="c", workspace="ws", namespace=None, name="pool", kind=kind, rest_url="http://x"
        )

    embedded = LocalCluster(data_dir=tmp_path, flink=FlinkSettings(), runtime=runtime)
    assert engine.working_directory(cluster(ClusterKind.EMBEDDED)) == embedded.flink_dir
    manager = ClusterManager(data_dir=tmp_path, flink=FlinkSettings(), runtime=runtime)
    try:
        managed = manager.log_dir("ws/pool").parent.resolve()
    finally:
        manager.stop_all()
    assert engine.working_directory(cluster(ClusterKind.SESSION)) == managed
    assert engine.working_directory(cluster(ClusterKind.EXTERNAL)) is None
