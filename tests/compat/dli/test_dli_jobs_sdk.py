"""The DLI job operations the seed test does not reach, through the official
``huaweicloudsdkdli`` against a REAL server on REAL Flink: update_flink_jar_job (every
field it names lands on the job, a missing jar is refused naming it),
execute_flink_job_savepoint on a running job (Flink completes it; a later run with
``resume_savepoint`` restores from it), and batch_delete_flink_jobs (one result per job,
a live job refused without touching the others).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdli.v1 import model as m
from tests.compat.dli.test_dli_sdk import (
    Jobs,
    _flink_job_id,
    _restored_path,
    _retried,
    example_jar,
    jobs,
    sdk,
)
from tests.e2e.conftest import DATAGEN_SQL, Api, ServerHandle, api, millstream_server

__all__ = ["api", "example_jar", "jobs", "millstream_server", "sdk"]  # fixtures

pytestmark = pytest.mark.flink


def _sql_job(sdk: Any, name: str) -> int:
    created = _retried(
        lambda: sdk.create_flink_sql_job(
            m.CreateFlinkSqlJobRequest(
                body=m.CreateFlinkSqlJobRequestBody(
                    name=name,
                    sql_body=DATAGEN_SQL,
                    run_mode="shared_cluster",
                    parallel_number=1,
                    checkpoint_enabled=True,
                    checkpoint_interval=2,
                )
            )
        )
    )
    job_id: int = created.job.job_id
    return job_id


def test_update_flink_jar_job(sdk: Any, api: Api, example_jar: bytes) -> None:
    api.ok("PUT", "artifacts/update/first.jar", raw=example_jar)
    api.ok("PUT", "artifacts/update/second.jar", raw=example_jar)
    created = sdk.create_flink_jar_job(
        m.CreateFlinkJarJobRequest(
            body=m.CreateFlinkJarJobRequestBody(
                name=f"dli-up-{uuid.uuid4().hex[:6]}",
                entrypoint="update/first.jar",
                main_class="org.apache.flink.examples.streaming.JavaQueueStream",
            )
        )
    )
    job_id = created.job.job_id
    updated = sdk.update_flink_jar_job(
        m.UpdateFlinkJarJobRequest(
            job_id=job_id,
            body=m.UpdateFlinkJarJobRequestBody(
                desc="second build",
                entrypoint="update/second.jar",
                entrypoint_args="-rate 5",
                parallel_number=2,
                restart_when_exception=True,
            ),
        )
    )
    assert str(updated.is_success).lower() == "true"  # JSON true; the SDK types it str
    assert updated.job.update_time > 0
    detail = sdk.show_flink_job(m.ShowFlinkJobRequest(job_id=job_id)).job_detail
    assert detail.desc == "second build"
    assert detail.job_config.entrypoint == "update/second.jar"
    assert detail.entrypoint_args == "-rate 5"
    assert detail.job_config.parallel_number == 2
    assert detail.job_config.restart_when_exception is True

    with pytest.raises(ClientRequestException) as caught:
        sdk.update_flink_jar_job(
            m.UpdateFlinkJarJobRequest(
                job_id=job_id, body=m.UpdateFlinkJarJobRequestBody(entrypoint="update/none.jar")
            )
        )
    assert caught.value.status_code == 400
    assert "update/none.jar" in caught.value.error_msg
    # The refused update changed nothing.
    unchanged = sdk.show_flink_job(m.ShowFlinkJobRequest(job_id=job_id)).job_detail
    assert unchanged.job_config.entrypoint == "update/second.jar"
    sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=job_id))


def test_savepoint_of_a_running_job_restores(
    sdk: Any, jobs: Jobs, millstream_server: ServerHandle
) -> None:
    job_id = _sql_job(sdk, f"dli-sp-{uuid.uuid4().hex[:6]}")
    with pytest.raises(ClientRequestException) as caught:  # not running yet
        sdk.execute_flink_job_savepoint(
            m.ExecuteFlinkJobSavepointRequest(
                job_id=job_id, body=m.ExecuteFlinkJobSavepointRequestBody(action="1")
            )
        )
    assert caught.value.status_code in {400, 409}
    jobs.run(job_id)
    jobs.wait(job_id, "job_running")
    answer = sdk.execute_flink_job_savepoint(
        m.ExecuteFlinkJobSavepointRequest(
            job_id=job_id, body=m.ExecuteFlinkJobSavepointRequestBody(action="1")
        )
    )
    assert str(answer.is_success).lower() == "true"
    deadline = time.monotonic() + 90
    detail = jobs.show(job_id)
    while not detail.savepoint_path and time.monotonic() < deadline:
        time.sleep(0.5)
        detail = jobs.show(job_id)
    assert detail.savepoint_path, detail
    savepoint = detail.savepoint_path
    with pytest.raises(ClientRequestException) as caught:
        sdk.execute_flink_job_savepoint(
            m.ExecuteFlinkJobSavepointRequest(
                job_id=job_id, body=m.ExecuteFlinkJobSavepointRequestBody(action="9")
            )
        )
    assert caught.value.status_code == 400

    jobs.stop(job_id)
    jobs.run(job_id, resume_savepoint=True)
    jobs.wait(job_id, "job_running")
    restored = _restored_path(millstream_server, _flink_job_id(sdk, job_id))
    assert restored is not None
    assert restored.rstrip("/").rsplit("/", 1)[-1] == savepoint.rstrip("/").rsplit("/", 1)[-1]
    jobs.stop(job_id)
    sdk.delete_flink_job(m.DeleteFlinkJobRequest(job_id=job_id))


def test_batch_delete_refuses_a_live_job_only(sdk: Any, jobs: Jobs) -> None:
    idle = _sql_job(sdk, f"dli-del-{uuid.uuid4().hex[:6]}")
    live = _sql_job(sdk, f"dli-del-{uuid.uuid4().hex[:6]}")
    jobs.run(live)
    jobs.wait(live, "job_running")
    answer = sdk.batch_delete_flink_jobs(
        m.BatchDeleteFlinkJobsRequest(body=m.BatchDeleteFlinkJobsRequestBody(job_ids=[idle, live]))
    )
    results = [str(item.is_success).lower() for item in answer.body]
    assert results == ["true", "false"]
    with pytest.raises(ClientRequestException) as caught:
        sdk.show_flink_job(m.ShowFlinkJobRequest(job_id=idle))
    assert caught.value.error_code == "DLI.0002"
    assert jobs.show(live).status == "job_running"
    jobs.stop(live)
    again = sdk.batch_delete_flink_jobs(
        m.BatchDeleteFlinkJobsRequest(body=m.BatchDeleteFlinkJobsRequestBody(job_ids=[live]))
    )
    assert [str(item.is_success).lower() for item in again.body] == ["true"]
