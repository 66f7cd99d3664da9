"""Issue 15's last gaps through the official ``huaweicloudsdkdli`` SDK, on REAL Flink that
the REAL Millstream server runs itself (its embedded cluster: jobs' dependency files
land in that cluster's working directory, which only a cluster Millstream runs has).

- A JAR job with ``dependency_files`` reads each file as ``userData/<file>``: the job
  (compiled here) fails unless the file is there, with the expected content, as a file
  relative to the working directory in ``main()`` on the JobManager and in a task on the
  TaskManager, as a class path resource, and from Flink's distributed cache. A second
  job with a different file of the same name is refused while the first runs.
- ``import_flink_job_savepoint``: a savepoint taken by one job, copied into the artifact
  store, is imported by ``obs://`` path into another job; its next run with
  ``resume_savepoint`` restores from it (Flink itself says so). Places outside the
  project and directories without a savepoint are refused.

One server with one small Flink cluster (1 TaskManager, 2 slots) for the module.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdli.v1 import model as m
from tests.compat.dli.test_dli_sdk import STOPPED, Jobs, _client, _flink_job_id, _restored_path
from tests.e2e.conftest import (
    Api,
    ServerHandle,
    free_port,
    start_server,
    stop_server,
    wait_healthy,
)

from millstream.config import FlinkSettings
from millstream.engine.javac import compile_jar
from millstream.engine.local_cluster import LocalCluster
from millstream.engine.runtime import FlinkRuntime

pytestmark = pytest.mark.flink

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# Fails (in main() on the JobManager, or in a task's open() on the TaskManager) unless
# the dependency file args[0] holds args[1] everywhere the job may read it.
_USER_DATA_JOB = """package millstream.tests;

import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public final class UserDataJob {
    public static void main(String[] args) throws Exception {
        check(args[0], args[1], "in main()");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataGeneratorSource<Long> source = new DataGeneratorSource<>(
                index -> index, Long.MAX_VALUE, RateLimiterStrategy.perSecond(5), Types.LONG);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "numbers").uid("numbers")
                .map(new Check(args[0], args[1])).uid("check").name("check")
                .sinkTo(new DiscardingSink<>()).uid("discard").name("discard");
        env.execute();
    }

    static String text(File file) throws Exception {
        return new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8);
    }

    static void check(String name, String expected, String where) throws Exception {
        File relative = new File("userData/" + name);
        if (!relative.isFile() || !text(relative).equals(expected)) {
            throw new IllegalStateException("userData/" + name + " " + where + " in "
                    + new File("").getAbsolutePath() + " is missing or wrong");
        }
        try (InputStream in =
                UserDataJob.class.getClassLoader().getResourceAsStream("userData/" + name)) {
            if (in == null
                    || !new String(in.readAllBytes(), StandardCharsets.UTF_8).equals(expected)) {
                throw new IllegalStateException("no resource userData/" + name + " " + where);
            }
        }
    }

    public static final class Check extends RichMapFunction<Long, Long> {
        private final String name;
        private final String expected;

        public Check(String name, String expected) {
            this.name = name;
            this.expected = expected;
        }

        @Override
        public void open(OpenContext context) throws Exception {
            check(name, expected, "in a task");
            File cached = getRuntimeContext().getDistributedCache().getFile(name);
            if (!text(cached).equals(expected)) {
                throw new IllegalStateException("distributed cache file " + name + " is wrong");
            }
        }

        @Override
        public Long map(Long value) {
            return value;
        }
    }
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A server that runs its own (embedded) Flink cluster."""
    data_dir = tmp_path_factory.mktemp("millstream-dli-gaps")
    port, rest_port = free_port(), free_port()
    process, log_file = start_server(
        data_dir=data_dir,
        port=port,
        env_overrides={
            "MILLSTREAM_FLINK__REST_PORT": str(rest_port),
            "MILLSTREAM_FLINK__TASKMANAGER_SLOTS": "2",
            "MILLSTREAM_FLINK__CHECKPOINT_INTERVAL": "2s",
            "MILLSTREAM_ARTIFACTS__SCHEME_MAP": '{"obs://bucket": "default/default-namespace"}',
        },
    )
    url = f"http://127.0.0.1:{port}"
    # A handle on the server's embedded cluster (its data dir and port), read only for
    # its REST URL: the server starts and stops the processes, never this handle.
    flink = LocalCluster(data_dir=data_dir, flink=FlinkSettings(rest_port=rest_port))
    try:
        wait_healthy(url, process, log_file, timeout=240)
        yield ServerHandle(url, data_dir, data_dir / "credentials", log_file, process, flink)
    finally:
        stop_server(process)


@pytest.fixture
def sdk(server: ServerHandle) -> Any:
    return _client(server)


@pytest.fixture
def api(server: ServerHandle) -> Iterator[Api]:
    client = Api(server.url, server.credentials_file, server.log_tail)
    yield client
    client.close()


@pytest.fixture
def jobs(sdk: Any, server: ServerHandle) -> Iterator[Jobs]:
    tracker = Jobs(sdk, server)
    yield tracker
    tracker.stop_all()


@pytest.fixture(scope="module")
def jars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    sources = tmp_path_factory.mktemp("user-data-job")
    (sources / "UserDataJob.java").write_text(_USER_DATA_JOB)
    jar = compile_jar(
        FlinkRuntime.detect(),
        [EXAMPLES / "java" / "src" / "main" / "java", sources],
        cache_dir=tmp_path_factory.mktemp("jars"),
        name="dli-gaps",
    )
    return {"dli-gaps.jar": jar.read_bytes()}


def _create(sdk: Any, name: str, main_class: str, **fields: Any) -> int:
    created = sdk.create_flink_jar_job(
        m.CreateFlinkJarJobRequest(
            body=m.CreateFlinkJarJobRequestBody(
                name=name,
                entrypoint="obs://bucket/jobs/dli-gaps.jar",
                main_class=main_class,
                parallel_number=1,
                **fields,
            )
        )
    )
    return int(created.job.job_id)


def _exceptions(server: ServerHandle, flink_job_id: str) -> list[Any]:
    url = f"{server.flink.rest_url}/jobs/{flink_job_id}/exceptions"
    return list(httpx.get(url, timeout=10).json().get("exceptionHistory", {}).get("entries", []))


def test_dependency_files_are_read_as_user_data(
    sdk: Any, jobs: Jobs, api: Api, jars: dict[str, bytes], server: ServerHandle
) -> None:
    api.ok("PUT", "artifacts/jobs/dli-gaps.jar", raw=jars["dli-gaps.jar"])
    content = f"city,population\nzurich,{uuid.uuid4().int % 1000}\n"
    api.ok("PUT", "artifacts/myGroup/cities.csv", raw=content.encode())
    suffix = uuid.uuid4().hex[:6]
    job_id = _create(
        sdk,
        f"user-data-{suffix}",
        "millstream.tests.UserDataJob",
        entrypoint_args=f"cities.csv '{content}'",
        dependency_files=["obs://bucket/myGroup/cities.csv"],
        # A failing check fails the job instead of restarting it.
        runtime_config="restart-strategy.type=none",
    )
    jobs.run(job_id)
    detail = jobs.wait(job_id, "job_running", *STOPPED)
    assert detail.status == "job_running", detail.status_desc
    flink_job_id = _flink_job_id(sdk, job_id)
    time.sleep(3)  # the tasks opened (and checked) by now
    assert _exceptions(server, flink_job_id) == [], detail
    assert jobs.show(job_id).status == "job_running"
    assert (server.data_dir / "flink" / "userData" / "cities.csv").read_text() == content

    # Another job with a different cities.csv is refused while the first one runs.
    api.ok("PUT", "artifacts/other/cities.csv", raw=b"different\n")
    other = _create(
        sdk,
        f"user-data-other-{suffix}",
        "millstream.tests.UserDataJob",
        entrypoint_args="cities.csv different",
        dependency_files=["obs://bucket/other/cities.csv"],
    )
    jobs.run(other)
    refused = jobs.wait(other, *STOPPED)
    assert "differs from the userData/cities.csv" in refused.status_desc, refused
    assert (server.data_dir / "flink" / "userData" / "cities.csv").read_text() == content
    jobs.stop(job_id)
    for number in (job_id, other):
        sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=number))


def _upload_savepoint(api: Api, location: str, directory: str) -> None:
    """Copy a savepoint Flink wrote (a local directory) into the artifact store."""
    root = Path(location.removeprefix("file:").removeprefix("//"))
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        api.ok("PUT", f"artifacts/{directory}/{file.relative_to(root)}", raw=file.read_bytes())


def _import(sdk: Any, job_id: int, path: str) -> Any:
    return sdk.import_flink_job_savepoint(
        m.ImportFlinkJobSavepointRequest(
            job_id=str(job_id),
            body=m.ImportFlinkJobSavepointRequestBody(job_id=job_id, savepoint_path=path),
        )
    )


def test_an_imported_savepoint_restores_a_run(
    sdk: Any, jobs: Jobs, api: Api, jars: dict[str, bytes], server: ServerHandle
) -> None:
    api.ok("PUT", "artifacts/jobs/dli-gaps.jar", raw=jars["dli-gaps.jar"])
    suffix = uuid.uuid4().hex[:6]
    main = "millstream.examples.StreamingJob"
    first = _create(sdk, f"state-{suffix}", main)
    jobs.run(first)
    jobs.wait(first, "job_running")
    time.sleep(2)  # some state to keep
    jobs.stop(first, savepoint=True)
    taken = jobs.wait(first, "job_cancel_success").savepoint_path
    assert taken
    directory = f"exports/{suffix}/savepoint"
    _upload_savepoint(api, taken, directory)

    second = _create(sdk, f"restored-{suffix}", main)
    for refused_path in (
        "file:///etc",
        f"artifacts://default/someone-else/{directory}",
        f"obs://bucket/exports/{suffix}/",  # no _metadata there
    ):
        with pytest.raises(ClientRequestException) as caught:
            _import(sdk, second, refused_path)
        assert (caught.value.status_code, caught.value.error_code) == (400, "DLI.0001")
    assert jobs.show(second).has_savepoint is False

    imported = _import(sdk, second, f"obs://bucket/{directory}/")
    assert imported.is_success in (True, "True", "true")
    detail = jobs.show(second)
    assert detail.has_savepoint is True
    location = detail.savepoint_path
    assert "/imported-" in location

    jobs.run(second, resume_savepoint=True)
    jobs.wait(second, "job_running")
    restored = _restored_path(server, _flink_job_id(sdk, second))
    assert restored is not None
    assert restored.rstrip("/").endswith(location.rstrip("/").rsplit("/", 1)[-1])
    jobs.stop(second)
    for number in (first, second):
        with contextlib.suppress(ClientRequestException):
            sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=number))
