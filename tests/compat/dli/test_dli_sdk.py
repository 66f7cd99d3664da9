"""Issue 15 through the official ``huaweicloudsdkdli`` SDK, unchanged, against a REAL
Millstream server process on the session's REAL Flink cluster (``millstream_server`` of
tests/e2e), configured as sdk-wire-notes.md §4A says (``with_endpoints`` the server URL,
``BasicCredentials(ak, sk, project_id)`` with the key pair the server issued on first
start and any project id).

Seed 002's example request creates a Flink Jar job (a real example jar, uploaded under
the names the seed uses); run -> job_running; stop with a savepoint; run with
``resume_savepoint`` restores it (Flink itself confirms the restored path); delete.
Errors come back as the SDK's ``ClientRequestException`` with the DLI code and the
request id; signature failures are refused. Every job a test runs is stopped before
it ends (4 shared slots).
"""

from __future__ import annotations

import configparser
import contextlib
import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ServerResponseException,
)
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdli.v1 import DliClient
from huaweicloudsdkdli.v1 import model as m
from tests.e2e.conftest import DATAGEN_SQL, Api, ServerHandle, api, millstream_server

from millstream.engine.javac import compile_jar
from millstream.engine.runtime import FlinkRuntime

__all__ = ["api", "millstream_server"]  # the fixtures, re-exported for this module

pytestmark = pytest.mark.flink

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PROJECT = "0123456789abcdef0123456789abcdef"
STOPPED = {"job_cancel_success", "job_running_exception", "job_submit_fail", "job_finish"}


def _credentials(server: ServerHandle) -> tuple[str, str]:
    parser = configparser.ConfigParser()
    parser.read(server.credentials_file)
    return parser["default"]["access_key_id"], parser["default"]["access_key_secret"]


def _client(server: ServerHandle, *, secret: str | None = None) -> Any:
    key, default_secret = _credentials(server)
    config = HttpConfig.get_default_config()
    config.timeout = (10, 120)  # the first plans are slow
    return (
        DliClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(key, secret or default_secret, PROJECT))
        .with_endpoints([server.url])
        .build()
    )


@pytest.fixture
def sdk(millstream_server: ServerHandle) -> Any:
    return _client(millstream_server)


class Jobs:
    """Runs DLI jobs and stops whatever is still running at the end of the test."""

    def __init__(self, client: Any, server: ServerHandle) -> None:
        self.client = client
        self.server = server
        self.running: set[int] = set()

    def show(self, job_id: int) -> Any:
        return self.client.show_flink_job(m.ShowFlinkJobRequest(job_id=job_id)).job_detail

    def wait(self, job_id: int, *states: str, timeout: float = 150) -> Any:
        deadline = time.monotonic() + timeout
        detail: Any = None
        while time.monotonic() < deadline:
            detail = self.show(job_id)
            if detail.status in states:
                return detail
            time.sleep(0.5)
        raise AssertionError(
            f"job {job_id} not {states}: {detail}\nserver log:\n{self.server.log_tail()}"
        )

    def run(self, job_id: int, *, resume_savepoint: bool = False) -> Any:
        answer = self.client.batch_run_flink_jobs(
            m.BatchRunFlinkJobsRequest(
                body=m.BatchRunFlinkJobsRequestBody(
                    job_ids=[job_id], resume_savepoint=resume_savepoint
                )
            )
        )
        self.running.add(job_id)
        return answer

    def stop(self, job_id: int, *, savepoint: bool = False) -> Any:
        answer = self.client.batch_stop_flink_jobs(
            m.BatchStopFlinkJobsRequest(
                body=m.StopFlinkJobsRequestBody(job_ids=[job_id], trigger_savepoint=savepoint)
            )
        )
        self.wait(job_id, *STOPPED)
        self.running.discard(job_id)
        return answer

    def stop_all(self) -> None:
        for job_id in list(self.running):
            with contextlib.suppress(ClientRequestException, AssertionError):
                self.stop(job_id)


@pytest.fixture
def jobs(sdk: Any, millstream_server: ServerHandle) -> Iterator[Jobs]:
    tracker = Jobs(sdk, millstream_server)
    yield tracker
    tracker.stop_all()


# Seed 002 names its main class org.apache.flink.examples.streaming.JavaQueueStream: a
# class of that name starts Millstream's example streaming job.
_SEED_MAIN = """package org.apache.flink.examples.streaming;

public final class JavaQueueStream {
    public static void main(String[] args) throws Exception {
        millstream.examples.StreamingJob.main(args);
    }
}
"""


@pytest.fixture(scope="module")
def example_jar(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    sources = tmp_path_factory.mktemp("seed-main")
    (sources / "JavaQueueStream.java").write_text(_SEED_MAIN)
    jar = compile_jar(
        FlinkRuntime.detect(),
        [EXAMPLES / "java" / "src" / "main" / "java", sources],
        cache_dir=tmp_path_factory.mktemp("examples"),
        name="java-queue-stream",
        main_class="org.apache.flink.examples.streaming.JavaQueueStream",
    )
    return jar.read_bytes()


def _resource_jar(name: str) -> bytes:
    """A dependency jar holding one resource file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        jar.writestr(f"{name}.txt", f"resource of {name}\n")
    return buffer.getvalue()


def _restored_path(server: ServerHandle, flink_job_id: str) -> str | None:
    """The state Flink says it restored the job from (its checkpoint statistics)."""
    url = f"{server.flink.rest_url}/jobs/{flink_job_id}/checkpoints"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        latest = httpx.get(url, timeout=10).json().get("latest") or {}
        restored = latest.get("restored")
        if restored:
            return str(restored.get("external_path"))
        time.sleep(0.5)
    return None


def _flink_job_id(sdk: Any, job_id: int) -> str:
    graph = sdk.show_flink_job_execution_graph(
        m.ShowFlinkJobExecutionGraphRequest(job_id=job_id)
    ).execute_graph
    assert graph.is_stoppable is True
    assert graph.start_time > 0
    return str(graph.jid)


def _retried(call: Callable[[], Any], attempts: int = 3) -> Any:
    """``call``, again after a 503 (the first SQL plans of a cold cluster may time out;
    DLI.0012 says retry). A second apart: the same signed write within one second would
    be refused as a replay."""
    for _ in range(attempts - 1):
        try:
            return call()
        except ServerResponseException as exc:
            if exc.status_code != 503:
                raise
            time.sleep(1.5)
    return call()


def _ensure_queue(sdk: Any, name: str) -> None:
    listed = sdk.list_queues(m.ListQueuesRequest()).queues or []
    if any(queue.queue_name == name.lower() for queue in listed):
        return
    sdk.create_queue(
        m.CreateQueueRequest(body=m.CreateQueueRequestBody(queue_name=name, cu_count=4))
    )


def test_seed_002_jar_job_runs_stops_with_a_savepoint_and_restores(
    sdk: Any, jobs: Jobs, api: Api, example_jar: bytes, millstream_server: ServerHandle
) -> None:
    # The files seed 002 names, in the project's namespace of the artifact store.
    api.ok("PUT", "artifacts/javaQueueStream.jar", raw=example_jar)
    api.ok("PUT", "artifacts/myGroup/test.jar", raw=_resource_jar("test"))
    api.ok("PUT", "artifacts/myGroup/test1.jar", raw=_resource_jar("test1"))
    # Its dependency_files must exist too: the job gets them as userData/test.csv, ...
    api.ok("PUT", "artifacts/myGroup/test.csv", raw=b"a,b\n1,2\n")
    api.ok("PUT", "artifacts/myGroup/test1.csv", raw=b"c,d\n3,4\n")
    _ensure_queue(sdk, "testQueue")
    # Seed 002's example request, exactly.
    created = sdk.create_flink_jar_job(
        m.CreateFlinkJarJobRequest(
            body=m.CreateFlinkJarJobRequestBody(
                name="test",
                desc="job for test",
                queue_name="testQueue",
                manager_cu_number=1,
                cu_number=2,
                parallel_number=1,
                tm_cus=1,
                tm_slot_num=1,
                log_enabled=True,
                obs_bucket="bucketName",
                smn_topic="topic",
                main_class="org.apache.flink.examples.streaming.JavaQueueStream",
                restart_when_exception=False,
                entrypoint="javaQueueStream.jar",
                entrypoint_args="-windowSize 2000 -rate 3",
                dependency_jars=["myGroup/test.jar", "myGroup/test1.jar"],
                dependency_files=["myGroup/test.csv", "myGroup/test1.csv"],
            )
        )
    )
    assert created.message == "A Flink job is created successfully."
    job_id = created.job.job_id
    assert isinstance(job_id, int)
    assert created.job.status_name == "job_init"
    detail = jobs.show(job_id)
    assert (detail.name, detail.queue_name, detail.job_type) == (
        "test",
        "testqueue",
        "flink_jar_job",
    )
    assert detail.job_config.smn_topic == "topic"

    ran = jobs.run(job_id)
    assert ran.status_code == 200
    assert [item.is_success for item in ran.body] == ["True"]
    jobs.wait(job_id, "job_running")
    first_flink_id = _flink_job_id(sdk, job_id)

    stopped = jobs.stop(job_id, savepoint=True)
    assert [item.is_success for item in stopped.body] == ["True"]
    detail = jobs.wait(job_id, "job_cancel_success")
    assert detail.has_savepoint is True
    savepoint = detail.savepoint_path
    assert savepoint

    jobs.run(job_id, resume_savepoint=True)
    jobs.wait(job_id, "job_running")
    second_flink_id = _flink_job_id(sdk, job_id)
    assert second_flink_id != first_flink_id
    restored = _restored_path(millstream_server, second_flink_id)
    assert restored is not None
    assert restored.rstrip("/").endswith(savepoint.rstrip("/").rsplit("/", 1)[-1])

    jobs.stop(job_id)
    deleted = sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=job_id))
    assert deleted.message == "The job is deleted successfully."
    with pytest.raises(ClientRequestException) as caught:
        jobs.show(job_id)
    assert (caught.value.status_code, caught.value.error_code) == (404, "DLI.0002")
    assert caught.value.request_id


def test_sql_job_lists_and_updates(sdk: Any, jobs: Jobs) -> None:
    name = f"dli-sql-{uuid.uuid4().hex[:6]}"
    created = _retried(
        lambda: sdk.create_flink_sql_job(
            m.CreateFlinkSqlJobRequest(
                body=m.CreateFlinkSqlJobRequestBody(
                    name=name,
                    sql_body=DATAGEN_SQL,
                    run_mode="exclusive_cluster",
                    cu_number=2,
                    parallel_number=1,
                    job_type="flink_opensource_sql_job",
                    flink_version="1.15",
                )
            )
        )
    )
    job_id = created.job.job_id
    listed = sdk.list_flink_jobs(m.ListFlinkJobsRequest(name=name, show_detail=True))
    assert listed.job_list.total_count == 1
    (job,) = listed.job_list.jobs
    assert (job.job_id, job.status, job.job_config.flink_version) == (job_id, "job_init", "1.15")
    updated = sdk.update_flink_sql_job(
        m.UpdateFlinkSqlJobRequest(
            job_id=job_id, body=m.UpdateFlinkSqlJobRequestBody(desc="updated")
        )
    )
    assert updated.job.update_time > 0
    assert jobs.show(job_id).desc == "updated"
    sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=job_id))


def test_errors_are_client_request_exceptions(sdk: Any) -> None:
    with pytest.raises(ClientRequestException) as caught:
        sdk.show_flink_job(m.ShowFlinkJobRequest(job_id=987654321))
    error = caught.value
    assert (error.status_code, error.error_code) == (404, "DLI.0002")
    assert "987654321" in error.error_msg
    assert len(error.request_id) == 32
    with pytest.raises(ClientRequestException) as caught:
        sdk.create_flink_jar_job(
            m.CreateFlinkJarJobRequest(
                body=m.CreateFlinkJarJobRequestBody(name="x" * 58, entrypoint="a.jar")
            )
        )
    assert (caught.value.status_code, caught.value.error_code) == (400, "DLI.0001")
    with pytest.raises(ClientRequestException) as caught:
        sdk.create_flink_jar_job(
            m.CreateFlinkJarJobRequest(
                body=m.CreateFlinkJarJobRequestBody(
                    name=f"missing-{uuid.uuid4().hex[:6]}", entrypoint="no-such-file.jar"
                )
            )
        )
    assert caught.value.status_code in {400, 404}
    assert "no-such-file.jar" in caught.value.error_msg


def test_a_wrong_secret_is_refused(millstream_server: ServerHandle) -> None:
    wrong = _client(millstream_server, secret="not-the-secret")
    with pytest.raises(ClientRequestException) as caught:
        wrong.list_flink_jobs(m.ListFlinkJobsRequest())
    assert (caught.value.status_code, caught.value.error_code) == (401, "DLI.0013")
    assert caught.value.request_id


def test_templates_export_and_import(sdk: Any) -> None:
    suffix = uuid.uuid4().hex[:6]
    template = sdk.create_flink_sql_job_template(
        m.CreateFlinkSqlJobTemplateRequest(
            body=m.CreateFlinkSqlJobTemplateRequestBody(
                name=f"datagen-{suffix}", desc="a datagen job", sql_body=DATAGEN_SQL
            )
        )
    ).template
    sdk.update_flink_sql_job_template(
        m.UpdateFlinkSqlJobTemplateRequest(
            template_id=template.template_id,
            body=m.UpdateFlinkSqlJobTemplateRequestBody(desc="changed"),
        )
    )
    listed = sdk.list_flink_sql_job_templates(
        m.ListFlinkSqlJobTemplatesRequest(name=f"datagen-{suffix}")
    ).template_list
    assert [(t.template_id, t.desc) for t in listed.templates] == [
        (template.template_id, "changed")
    ]
    job = _retried(
        lambda: sdk.create_flink_sql_job(
            m.CreateFlinkSqlJobRequest(
                body=m.CreateFlinkSqlJobRequestBody(
                    name=f"from-template-{suffix}", template_id=template.template_id
                )
            )
        )
    ).job
    detail = sdk.show_flink_job(m.ShowFlinkJobRequest(job_id=job.job_id)).job_detail
    assert detail.sql_body == DATAGEN_SQL

    exported = sdk.export_flink_jobs(
        m.ExportFlinkJobsRequest(
            body=m.ExportFlinkJobsRequestBody(
                obs_dir="obs://bucket/exports", is_selected=True, job_selected=[job.job_id]
            )
        )
    )
    (zip_file,) = exported.zip_file
    sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=job.job_id))
    imported = _retried(
        lambda: sdk.import_flink_jobs(
            m.ImportFlinkJobsRequest(body=m.ImportFlinkJobsRequestBody(zip_file=zip_file))
        )
    )
    (mapping,) = imported.job_mapping
    assert mapping.old_job_id == job.job_id
    again = sdk.show_flink_job(m.ShowFlinkJobRequest(job_id=mapping.new_job_id)).job_detail
    assert (again.name, again.sql_body) == (f"from-template-{suffix}", DATAGEN_SQL)
    sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=mapping.new_job_id))
    sdk.delete_flink_sql_job_template(
        m.DeleteFlinkSqlJobTemplateRequest(template_id=template.template_id)
    )


def test_queues(sdk: Any) -> None:
    name = f"q_{uuid.uuid4().hex[:6]}"
    created = sdk.create_queue(
        m.CreateQueueRequest(body=m.CreateQueueRequestBody(queue_name=name, cu_count=2))
    )
    assert created.queue_name == name.replace("_", "-")
    shown = sdk.show_queue(m.ShowQueueRequest(queue_name=name))
    assert (shown.queue_name, shown.cu_count) == (name.replace("_", "-"), 2)
    assert "default" in {q.queue_name for q in sdk.list_queues(m.ListQueuesRequest()).queues}
    sdk.delete_queue(m.DeleteQueueRequest(queue_name=name))
    with pytest.raises(ClientRequestException) as caught:
        sdk.show_queue(m.ShowQueueRequest(queue_name=name))
    assert (caught.value.status_code, caught.value.error_code) == (404, "DLI.0002")


# A source -> aggregate -> sink job: the GROUP BY shuffles, so Flink reports records out
# of the source vertex and into the sink vertex (a fully chained job has no task IO).
_SHUFFLED_SQL = """CREATE TEMPORARY TABLE src (id BIGINT, name VARCHAR) WITH (
  'connector' = 'datagen', 'rows-per-second' = '50', 'fields.id.min' = '1',
  'fields.id.max' = '10'
);
CREATE TEMPORARY TABLE snk (id BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT id, COUNT(*) FROM src GROUP BY id;
"""


# The SDK marks show_flink_metric deprecated (a warning on every call); it is still served.
@pytest.mark.filterwarnings("ignore:Method 'show_flink_metric':DeprecationWarning")
def test_sql_job_graph_and_metrics(sdk: Any, jobs: Jobs) -> None:
    name = f"dli-graph-{uuid.uuid4().hex[:6]}"
    created = _retried(
        lambda: sdk.create_flink_sql_job(
            m.CreateFlinkSqlJobRequest(
                body=m.CreateFlinkSqlJobRequestBody(
                    name=name, sql_body=_SHUFFLED_SQL, parallel_number=1
                )
            )
        )
    )
    job_id = created.job.job_id
    # The stream graph is Flink's own plan of the job, at the asked parallelism.
    graph = _retried(
        lambda: sdk.create_flink_sql_job_graph(
            m.CreateFlinkSqlJobGraphRequest(
                job_id=job_id, body=m.CreateFlinkSqlJobGraphRequestBody(parallel_number=2)
            )
        )
    )
    assert graph.is_success is True
    plan = json.loads(graph.stream_graph)
    assert len(plan["nodes"]) >= 2
    assert {node["parallelism"] for node in plan["nodes"]} == {2}
    assert any("src" in node["name"] for node in plan["nodes"])
    assert "HASH" in {edge["ship_strategy"] for edge in plan["edges"]}
    # SQL the planner refuses: DLI.0005 with the planner's words and position.
    with pytest.raises(ClientRequestException) as caught:
        sdk.create_flink_sql_job_graph(
            m.CreateFlinkSqlJobGraphRequest(
                job_id=job_id,
                body=m.CreateFlinkSqlJobGraphRequestBody(
                    sql_body="INSERT INTO snk\nSELECT id, COUNT(*) FROM nowhere GROUP BY id;"
                ),
            )
        )
    assert (caught.value.status_code, caught.value.error_code) == (400, "DLI.0005")
    assert "nowhere" in caught.value.error_msg

    # No metrics while the job is not running; Flink's counters once it is.
    before = sdk.show_flink_metric(
        m.ShowFlinkMetricRequest(body=m.ShowFlinkMetricRequestBody(job_ids=[job_id]))
    )
    assert [(j.job_id, j.metrics) for j in before.metrics.jobs] == [(job_id, None)]
    jobs.run(job_id)
    jobs.wait(job_id, "job_running")
    deadline = time.monotonic() + 90
    metrics: Any = None
    while time.monotonic() < deadline:
        answer = sdk.show_flink_metric(
            m.ShowFlinkMetricRequest(body=m.ShowFlinkMetricRequestBody(job_ids=[job_id]))
        )
        metrics = answer.metrics.jobs[0].metrics
        if (
            metrics is not None
            and metrics.sources
            and (metrics.sources[0].records or 0) > 0
            and metrics.sinks
            and (metrics.sinks[0].records or 0) > 0
        ):
            break
        time.sleep(2)
    assert metrics is not None, "no metrics of a running job"
    assert "src" in metrics.sources[0].name
    assert metrics.sources[0].records > 0
    assert metrics.sinks[0].records > 0
    assert metrics.sources[0].corrupted_records is None  # Flink counts no dirty data
    jobs.stop(job_id)
    sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=job_id))
