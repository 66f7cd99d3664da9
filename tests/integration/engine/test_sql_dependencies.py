"""SQL jobs with dependency jars (UDF and connector jars, ``additionalDependencies``):
the runner jar they run has them merged in, ``META-INF/services`` concatenated, and the
registered functions' statements come before the script; planning gets the same jar."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

import pytest

from millstream.control.ports import Submission
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.errors import InvalidArtifact
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.engine.jars import JarCache
from millstream.engine.submitters import DependencyJars, SqlSubmitter
from millstream.engine.uris import ArtifactResolver

SERVICES = "META-INF/services/org.apache.flink.table.factories.Factory"
SCRIPT = "CREATE TABLE s (a INT) WITH ('connector' = 'seq');\nINSERT INTO t SELECT up(a) FROM s;"


class Runner:
    """Stands in for ``SqlRunnerJar``: a jar with a runner class and a service entry."""

    def __init__(self, jar: Path) -> None:
        self._jar = jar

    def path(self) -> Path:
        return self._jar


def _jar(path: Path, entries: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return path


@pytest.fixture
def submitter(tmp_path: Path) -> SqlSubmitter:
    root = tmp_path / "artifacts"
    _jar(root / "ws" / "ns" / "udfs.jar", {"a/Upper.class": "u"})
    _jar(root / "ws" / "ns" / "seq.jar", {"c/Seq.class": "s", SERVICES: "c.Seq\n"})
    runner = _jar(
        tmp_path / "runner.jar", {"millstream/engine/SqlRunner.class": "r", SERVICES: "x.Own\n"}
    )
    resolver = ArtifactResolver(FsspecArtifactStore(str(root)), cache_dir=tmp_path / "cache")
    dependencies = DependencyJars(resolver, JarCache(tmp_path / "jars"))
    return SqlSubmitter(Runner(runner), dependencies=dependencies)  # type: ignore[arg-type]


def _submission(*jars: str, preamble: tuple[str, ...] = ()) -> Submission:
    return Submission(
        flink_job_id="f" * 32,
        job_name="job",
        artifact=Artifact(
            kind=ArtifactKind.SQLSCRIPT, sql_script=SCRIPT, additional_dependencies=jars
        ),
        execution_mode=ExecutionMode.STREAMING,
        parallelism=1,
        flink_conf={},
        extra={"workspace": "ws", "namespace": "ns"},
        sql_preamble=preamble,
    )


def _statements(args: tuple[str, ...]) -> list[str]:
    encoded = [args[i + 1] for i, a in enumerate(args) if a == "--statement"]
    return [base64.b64decode(e.split(":")[3]).decode() for e in encoded]


def test_dependencies_are_merged_into_the_runner_and_functions_come_first(
    submitter: SqlSubmitter,
) -> None:
    statement = "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS `up` AS 'a.Upper' LANGUAGE JAVA"
    run = submitter.prepare(
        _submission("udfs.jar", "artifacts://ws/ns/seq.jar", preamble=(statement,))
    )
    with zipfile.ZipFile(run.jar) as archive:
        names = set(archive.namelist())
        services = archive.read(SERVICES).decode().split()
    assert {"millstream/engine/SqlRunner.class", "a/Upper.class", "c/Seq.class"} <= names
    assert services == ["x.Own", "c.Seq"]
    assert _statements(run.program_args)[0] == statement
    assert len(_statements(run.program_args)) == 3


def test_without_dependencies_the_runner_runs_as_it_is(submitter: SqlSubmitter) -> None:
    assert submitter.prepare(_submission()).jar.name == "runner.jar"


def test_another_namespaces_jar_is_refused(submitter: SqlSubmitter) -> None:
    with pytest.raises(InvalidArtifact, match="outside namespace"):
        submitter.prepare(_submission("artifacts://ws/other/udfs.jar"))


def test_planning_gets_the_same_jars(submitter: SqlSubmitter) -> None:
    run = submitter.plan(SCRIPT, ExecutionMode.STREAMING, jars=["artifacts://ws/ns/seq.jar"])
    with zipfile.ZipFile(run.jar) as archive:
        assert "c/Seq.class" in archive.namelist()
