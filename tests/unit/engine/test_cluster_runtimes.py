"""A cluster's real Flink version picks its SQL runner; Python needs that version's PyFlink."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from millstream.control.ports import Submission
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.engine.api_removals import missing_flink_class_hint
from millstream.engine.flink_cluster import RestFlinkCluster
from millstream.engine.rest import FlinkRestClient
from millstream.engine.submitters import JarRun, SqlSubmitter


class _Runner:
    """A SqlRunnerJar stand-in: the jar path names the runtime it was compiled for."""

    def __init__(self, version: str) -> None:
        self.version = version

    def path(self) -> Path:
        return Path(f"/nowhere/millstream-sql-runner-{self.version}.jar")


def _cluster(flink_version: str, asked: list[str]) -> RestFlinkCluster:
    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/overview":
            return httpx.Response(200, json={"flink-version": flink_version, "taskmanagers": 1})
        return httpx.Response(404, json={"errors": ["not here"]})

    runners = {v: SqlSubmitter(_Runner(v)) for v in ("2.3.0", "1.20.5")}  # type: ignore[arg-type]

    def sql_for(version: str) -> SqlSubmitter | None:
        asked.append(version)
        return runners.get(version)

    rest = FlinkRestClient("http://flink", timeout=5, transport=httpx.MockTransport(serve))
    return RestFlinkCluster(rest, sql=runners["2.3.0"], sql_for=sql_for, pyflink_version="2.3.0")


def _plan(cluster: RestFlinkCluster) -> JarRun:
    script = "CREATE TABLE t (x INT) WITH ('connector' = 'blackhole');\nINSERT INTO t SELECT 1;"
    return cluster._sql_submitter().plan(script, ExecutionMode.STREAMING)


@pytest.mark.parametrize(
    ("reported", "jar"),
    [("1.20.5", "1.20.5"), ("2.3.0", "2.3.0"), ("1.19.1", "2.3.0")],  # not installed: bundled
)
def test_the_sql_runner_is_the_one_of_the_clusters_flink_version(reported: str, jar: str) -> None:
    asked: list[str] = []
    cluster = _cluster(reported, asked)
    assert _plan(cluster).jar.name == f"millstream-sql-runner-{jar}.jar"
    _plan(cluster)
    assert asked == [reported, reported]  # the version itself is asked once and cached
    cluster.close()


def test_python_on_a_runtime_without_pyflink_is_a_clear_error() -> None:
    cluster = _cluster("1.20.5", [])
    submission = Submission(
        flink_job_id="0" * 32,
        job_name="py",
        artifact=Artifact(ArtifactKind.PYTHON, python_artifact_uri="artifacts://ws/ns/a.py"),
        execution_mode=ExecutionMode.STREAMING,
        parallelism=1,
        flink_conf={},
    )
    with pytest.raises(InvalidInput, match=r"runs Flink 1\.20\.5, and only Flink 2\.3\.0 has") as e:
        cluster.submit(submission)
    assert e.value.code == ErrorCode.INVALID_ENGINE_VERSION
    cluster.close()


@pytest.mark.parametrize(
    ("detail", "version", "named"),
    [
        (
            "java.lang.NoClassDefFoundError: org/apache/flink/streaming/api/functions/source/"
            "SourceFunction\n\tat millstream.examples.LegacySourceJob.main",
            "2.3.0",
            "org.apache.flink.streaming.api.functions.source.SourceFunction",
        ),
        (
            "Caused by: java.lang.ClassNotFoundException: org.apache.flink.api.java.DataSet",
            "2.1.0",
            "org.apache.flink.api.java.DataSet",
        ),
    ],
)
def test_a_1x_api_missing_on_flink_2_gets_a_hint(detail: str, version: str, named: str) -> None:
    hint = missing_flink_class_hint(detail, version)
    assert hint is not None
    assert named in hint
    assert "Flink 1.x engine version" in hint


@pytest.mark.parametrize(
    ("detail", "version"),
    [
        ("java.lang.NoClassDefFoundError: org/apache/flink/Foo", "1.20.5"),  # not a 2.x gap
        ("java.lang.NoClassDefFoundError: com/example/Missing", "2.3.0"),  # the user's class
        ("", ""),
    ],
)
def test_other_failures_get_no_hint(detail: str, version: str) -> None:
    assert missing_flink_class_hint(detail, version) is None
