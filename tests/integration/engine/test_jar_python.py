"""JAR and Python deployments on real Flink (the session ``flink`` fixture), through the
engine exactly as the reconciler drives it: ``FlinkEngine.cluster(...).submit``.

The shipped examples run here: ``examples/java`` (compiled with javac against the wheel)
and ``examples/python/word_count*.py``. Every test cancels what it starts.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from millstream.control.ports import ObservedJob, Submission
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.errors import InvalidArtifact
from millstream.engine import FlinkEngine, FlinkRuntime, LocalCluster, RestFlinkCluster
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.engine.javac import compile_jar
from millstream.engine.uris import ArtifactResolver

pytestmark = pytest.mark.flink

_T = TypeVar("_T")
WS, NS = "default", "default-namespace"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
STREAMING_JOB = "millstream.examples.StreamingJob"

DEPENDENCY_SOURCE = """
package millstream.dep;
public final class Doubler implements java.io.Serializable {
    public long apply(long v) { return v * 2; }
}
"""
USES_DEPENDENCY_SOURCE = """
package millstream.usesdep;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import millstream.dep.Doubler;
public final class UsesDependency {
    public static void main(String[] args) throws Exception {
        // Used in main() (JobManager) and in the task (TaskManager): both need the class.
        new Doubler().apply(21);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSource(new NumberSequenceSource(0, 99), WatermarkStrategy.noWatermarks(), "n")
            .map(new Twice()).sinkTo(new DiscardingSink<>());
        env.execute("uses-dependency");
    }
    public static final class Twice implements MapFunction<Long, Long> {
        private final Doubler doubler = new Doubler();
        public Long map(Long v) { return doubler.apply(v); }
    }
}
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jar-python")


@pytest.fixture(scope="module")
def store(data_dir: Path) -> FsspecArtifactStore:
    return FsspecArtifactStore(str(data_dir / "artifacts"))


@pytest.fixture(scope="module")
def engine(data_dir: Path, store: FsspecArtifactStore) -> Iterator[FlinkEngine]:
    resolver = ArtifactResolver(store, cache_dir=data_dir / "artifact-cache")
    engine = FlinkEngine(
        data_dir=data_dir, runtime=FlinkRuntime.detect(), request_timeout=60, artifacts=resolver
    )
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def cluster(engine: FlinkEngine, flink: LocalCluster) -> RestFlinkCluster:
    return engine.cluster(
        Cluster(
            id=str(uuid.uuid4()),
            workspace=WS,
            namespace=None,
            name="embedded",
            kind=ClusterKind.EMBEDDED,
            rest_url=flink.rest_url,
        )
    )


def put(store: FsspecArtifactStore, name: str, content: bytes) -> str:
    upload = store.begin_upload(workspace=WS, namespace=NS, name=name)
    upload.write(content)
    return upload.commit().uri


@pytest.fixture(scope="module")
def example_jar_uri(store: FsspecArtifactStore, data_dir: Path) -> str:
    jar = compile_jar(
        FlinkRuntime.detect(),
        [EXAMPLES / "java" / "src" / "main" / "java"],
        cache_dir=data_dir / "examples",
        name="millstream-examples",
        main_class=STREAMING_JOB,
    )
    return put(store, "examples/streaming-job.jar", jar.read_bytes())


def submission(
    artifact: Artifact,
    *,
    mode: ExecutionMode = ExecutionMode.STREAMING,
    savepoint_path: str | None = None,
    flink_conf: dict[str, str] | None = None,
) -> Submission:
    return Submission(
        flink_job_id=uuid.uuid4().hex,
        job_name="artifact-test",
        artifact=artifact,
        execution_mode=mode,
        parallelism=1,
        flink_conf=flink_conf or {},
        savepoint_path=savepoint_path,
        extra={"workspace": WS, "namespace": NS},
    )


def wait_for(check: Callable[[], _T | None], *, timeout: float = 90, what: str = "") -> _T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def observed(cluster: RestFlinkCluster, job_id: str) -> ObservedJob | None:
    return next((j for j in cluster.list_jobs() if j.flink_job_id == job_id), None)


def wait_all_running(cluster: RestFlinkCluster, job_id: str) -> ObservedJob:
    def running() -> ObservedJob | None:
        job = observed(cluster, job_id)
        assert job is None or job.state not in ("FAILED", "CANCELED"), job
        return job if job is not None and job.all_running else None

    return wait_for(running, what=f"{job_id} all vertices RUNNING")


def wait_state(cluster: RestFlinkCluster, job_id: str, *states: str) -> str:
    def reached() -> str | None:
        job = observed(cluster, job_id)
        return job.state if job is not None and job.state in states else None

    return wait_for(reached, what=f"{job_id} in {states}")


def cancel(cluster: RestFlinkCluster, job_id: str) -> None:
    cluster.cancel(job_id)
    wait_state(cluster, job_id, "CANCELED", "FINISHED", "FAILED")


def jar_artifact(uri: str, *, main_args: str = "", **fields: object) -> Artifact:
    return Artifact(
        kind=ArtifactKind.JAR,
        jar_uri=uri,
        entry_class=str(fields.pop("entry_class", STREAMING_JOB)),
        main_args=main_args,
        **fields,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------- JAR


def test_jar_job_stops_with_savepoint_and_restores_its_state(
    cluster: RestFlinkCluster, engine: FlinkEngine, example_jar_uri: str
) -> None:
    first = submission(jar_artifact(example_jar_uri, main_args="--rows-per-second 50 --keys 4"))
    cluster.submit(first)
    try:
        wait_all_running(cluster, first.flink_job_id)
        # Let a checkpoint-free savepoint carry some counts (the state is keyed).
        time.sleep(1)
        target = engine.savepoint_directory(deployment_id="jar-restore")
        trigger = cluster.stop_with_savepoint(
            first.flink_job_id, target_directory=target, drain=False
        )
        progress = wait_for(
            lambda: (
                p if (p := cluster.savepoint_progress(first.flink_job_id, trigger)).done else None
            ),
            what="savepoint",
        )
        assert progress.failure is None
        assert progress.location
        wait_state(cluster, first.flink_job_id, "FINISHED")
    finally:
        cluster.cancel(first.flink_job_id)

    second = submission(
        jar_artifact(example_jar_uri, main_args="--rows-per-second 50 --keys 4"),
        savepoint_path=progress.location,
    )
    cluster.submit(second)
    try:
        wait_all_running(cluster, second.flink_job_id)
        restored = wait_for(
            lambda: cluster.job_details(second.flink_job_id).restored_from_path,
            what="restored checkpoint statistics",
        )
        assert restored.rstrip("/").endswith(progress.location.rstrip("/").split(":", 1)[-1])
    finally:
        cancel(cluster, second.flink_job_id)


def test_jar_job_is_uploaded_once_per_content(
    cluster: RestFlinkCluster, example_jar_uri: str
) -> None:
    def uploaded() -> list[str]:
        return [j["name"] for j in cluster._rest.list_jars() if "streaming-job" in j["name"]]

    # Other tests on this shared cluster may have uploaded other builds of the example.
    before = uploaded()
    jobs = [submission(jar_artifact(example_jar_uri, main_args="--count 10")) for _ in range(2)]
    for job in jobs:
        cluster.submit(job)
    try:
        added = [name for name in uploaded() if name not in before]
        assert len(added) <= 1, added  # two submissions of one content: one upload at most
    finally:
        for job in jobs:
            cancel(cluster, job.flink_job_id)


def test_batch_jar_job_runs_to_finished(cluster: RestFlinkCluster, example_jar_uri: str) -> None:
    job = submission(
        jar_artifact(example_jar_uri, main_args="--count 500"), mode=ExecutionMode.BATCH
    )
    cluster.submit(job)
    assert wait_state(cluster, job.flink_job_id, "FINISHED", "FAILED") == "FINISHED"


def test_jar_dependencies_reach_the_classpath(
    cluster: RestFlinkCluster, store: FsspecArtifactStore, tmp_path: Path
) -> None:
    runtime = FlinkRuntime.detect()
    (tmp_path / "dep" / "millstream" / "dep").mkdir(parents=True)
    (tmp_path / "dep" / "millstream" / "dep" / "Doubler.java").write_text(DEPENDENCY_SOURCE)
    (tmp_path / "main").mkdir()
    (tmp_path / "main" / "UsesDependency.java").write_text(USES_DEPENDENCY_SOURCE)
    dep = compile_jar(runtime, [tmp_path / "dep"], cache_dir=tmp_path / "jars", name="dep")
    main = compile_jar(
        runtime, [tmp_path / "main"], cache_dir=tmp_path / "jars", name="uses", classpath=[dep]
    )
    artifact = jar_artifact(
        put(store, "uses-dependency.jar", main.read_bytes()),
        entry_class="millstream.usesdep.UsesDependency",
        additional_dependencies=(put(store, "libs/doubler.jar", dep.read_bytes()),),
    )
    job = submission(artifact, mode=ExecutionMode.BATCH)
    cluster.submit(job)
    assert wait_state(cluster, job.flink_job_id, "FINISHED", "FAILED") == "FINISHED"


def test_missing_jar_is_refused_before_flink(cluster: RestFlinkCluster) -> None:
    job = submission(jar_artifact(f"artifacts://{WS}/{NS}/no-such.jar"))
    with pytest.raises(InvalidArtifact, match="not found"):
        cluster.submit(job)
    assert observed(cluster, job.flink_job_id) is None


def test_bad_entry_class_is_refused_with_class_not_found(
    cluster: RestFlinkCluster, example_jar_uri: str
) -> None:
    job = submission(jar_artifact(example_jar_uri, entry_class="millstream.examples.Nope"))
    with pytest.raises(InvalidArtifact, match=r"ClassNotFoundException: \S+\.Nope\)$"):
        cluster.submit(job)
    assert observed(cluster, job.flink_job_id) is None


def test_file_uri_outside_the_store_is_refused(cluster: RestFlinkCluster) -> None:
    job = submission(jar_artifact("file:///etc/passwd"))
    with pytest.raises(InvalidArtifact, match="outside the directories"):
        cluster.submit(job)


# ---------------------------------------------------------------------------- Python


# RestFlinkCluster merges JarRun.flink_conf (python.executable) once the lead wires it;
# until then the test passes the same default as per-job configuration.
PYTHON_CONF = {"python.executable": sys.executable}


def python_artifact(uri: str, main_args: str = "") -> Artifact:
    return Artifact(kind=ArtifactKind.PYTHON, python_artifact_uri=uri, main_args=main_args)


def test_python_job_runs_and_cancels(cluster: RestFlinkCluster, store: FsspecArtifactStore) -> None:
    uri = put(store, "word_count.py", (EXAMPLES / "python" / "word_count.py").read_bytes())
    job = submission(python_artifact(uri, "--rows-per-second 20"), flink_conf=PYTHON_CONF)
    cluster.submit(job)
    try:
        wait_all_running(cluster, job.flink_job_id)
    finally:
        cancel(cluster, job.flink_job_id)


def test_batch_python_job_runs_to_finished(
    cluster: RestFlinkCluster, store: FsspecArtifactStore
) -> None:
    source = (EXAMPLES / "python" / "word_count_batch.py").read_bytes()
    job = submission(
        python_artifact(put(store, "word_count_batch.py", source), "--rows 200"),
        mode=ExecutionMode.BATCH,
        flink_conf=PYTHON_CONF,
    )
    cluster.submit(job)
    assert wait_state(cluster, job.flink_job_id, "FINISHED", "FAILED") == "FINISHED"


def test_python_syntax_error_is_refused_with_pythons_message(
    cluster: RestFlinkCluster, store: FsspecArtifactStore
) -> None:
    uri = put(store, "broken.py", b"from pyflink.table import *\ndef main(:\n    pass\n")
    job = submission(python_artifact(uri))
    with pytest.raises(InvalidArtifact, match=r"broken.py.*line 2.*SyntaxError"):
        cluster.submit(job)
    assert observed(cluster, job.flink_job_id) is None
