"""The official ``alibabacloud-ververica20220718`` SDK against a real uvicorn server.

The app runs over fake services on 127.0.0.1 with a free port; the SDK is configured as
sdk-wire-notes.md §1.A says (endpoint host:port, protocol http). Signatures are ignored
by the server for now.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions

from millstream.api.app import build_app
from millstream.domain.jobs import JobStatus
from tests.ports import free_port

from .conftest import authenticate_admin
from .fakes import FakeWorld, fake_services

SQL = "CREATE TEMPORARY TABLE s (a INT);\nINSERT INTO t SELECT a FROM s;"


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@pytest.fixture
def sdk_world() -> FakeWorld:
    return FakeWorld()


@pytest.fixture
def sdk(sdk_world: FakeWorld) -> Iterator[Any]:
    port = _free_port()
    app = build_app(fake_services(sdk_world), authenticate_admin)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    config = open_api_models.Config(
        access_key_id="x", access_key_secret="y", endpoint=f"127.0.0.1:{port}", protocol="http"
    )
    try:
        yield Client(config)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _headers(kind: Any) -> Any:
    return kind(workspace="default")


def _create_deployment(sdk: Any) -> Any:
    deployment = vv.Deployment(
        name="d1",
        artifact=vv.Artifact(kind="SQLSCRIPT", sql_artifact=vv.SqlArtifact(sql_script=SQL)),
        deployment_target=vv.BriefDeploymentTarget(name="default-queue"),
        engine_version="vvr-8.0.9-flink-1.17",
        execution_mode="STREAMING",
        local_variables=[],
        streaming_resource_setting=vv.StreamingResourceSetting(
            resource_setting_mode="BASIC",
            basic_resource_setting=vv.BasicResourceSetting(
                parallelism=2,
                jobmanager_resource_setting_spec=vv.BasicResourceSettingSpec(cpu=1, memory="1 GiB"),
                taskmanager_resource_setting_spec=vv.BasicResourceSettingSpec(
                    cpu=1, memory="2 GiB"
                ),
            ),
        ),
    )
    response = sdk.create_deployment_with_options(
        "ns1",
        vv.CreateDeploymentRequest(body=deployment),
        _headers(vv.CreateDeploymentHeaders),
        RuntimeOptions(),
    )
    assert response.status_code == 200
    assert response.body.success is True
    return response.body.data


def _start(sdk: Any, deployment_id: str) -> Any:
    response = sdk.start_job_with_params_with_options(
        "ns1",
        vv.StartJobWithParamsRequest(
            body=vv.JobStartParameters(
                deployment_id=deployment_id,
                restore_strategy=vv.DeploymentRestoreStrategy(
                    kind="LATEST_STATE", allow_non_restored_state=True
                ),
            )
        ),
        _headers(vv.StartJobWithParamsHeaders),
        RuntimeOptions(),
    )
    assert response.body.success is True
    return response.body.data


def test_sdk_creates_a_deployment(sdk: Any) -> None:
    deployment = _create_deployment(sdk)
    assert deployment.name == "d1"
    assert deployment.deployment_id
    assert deployment.artifact.sql_artifact.sql_script == SQL
    assert deployment.streaming_resource_setting.basic_resource_setting.parallelism == 2


def test_sdk_starts_gets_lists_and_stops_a_job(sdk: Any, sdk_world: FakeWorld) -> None:
    deployment = _create_deployment(sdk)
    job = _start(sdk, deployment.deployment_id)
    assert job.status.current_job_status == "STARTING"
    assert job.restore_strategy.kind == "LATEST_STATE"

    sdk_world.set_job_status(job.job_id, JobStatus.RUNNING)
    got = sdk.get_job_with_options(
        "ns1", job.job_id, _headers(vv.GetJobHeaders), RuntimeOptions()
    ).body.data
    assert got.job_id == job.job_id
    assert got.status.current_job_status == "RUNNING"
    assert got.metric.total_cpu == 3.0

    listed = sdk.list_jobs_with_options(
        "ns1",
        vv.ListJobsRequest(deployment_id=deployment.deployment_id, page_index=1, page_size=10),
        _headers(vv.ListJobsHeaders),
        RuntimeOptions(),
    ).body
    assert listed.total_size == 1
    assert [j.job_id for j in listed.data] == [job.job_id]

    stopped = sdk.stop_job_with_options(
        "ns1",
        job.job_id,
        vv.StopJobRequest(body=vv.StopJobRequestBody(stop_strategy="STOP_WITH_SAVEPOINT")),
        _headers(vv.StopJobHeaders),
        RuntimeOptions(),
    ).body
    assert stopped.success is True
    assert stopped.data.job_id == job.job_id


def test_sdk_plain_helper_without_workspace_header_uses_the_default(sdk: Any) -> None:
    deployment = _create_deployment(sdk)
    got = sdk.get_deployment("ns1", deployment.deployment_id).body.data
    assert got.name == "d1"


def test_sdk_sees_a_missing_job_as_client_exception(sdk: Any) -> None:
    with pytest.raises(ClientException) as caught:
        sdk.get_job_with_options("ns1", "missing", _headers(vv.GetJobHeaders), RuntimeOptions())
    assert caught.value.code == "JobNotFound"
    assert caught.value.status_code == 404
    assert "'missing' not found" in caught.value.message


def test_sdk_sees_a_second_start_as_conflict(sdk: Any) -> None:
    deployment = _create_deployment(sdk)
    _start(sdk, deployment.deployment_id)
    with pytest.raises(ClientException) as caught:
        _start(sdk, deployment.deployment_id)
    assert caught.value.code == "JobAlreadyRunning"
    assert caught.value.status_code == 409


def test_sdk_list_jobs_without_deployment_is_a_client_exception(sdk: Any) -> None:
    with pytest.raises(ClientException) as caught:
        sdk.list_jobs_with_options(
            "ns1", vv.ListJobsRequest(), _headers(vv.ListJobsHeaders), RuntimeOptions()
        )
    assert caught.value.code == "InvalidParameter"
    assert "deploymentId" in caught.value.message


def test_sdk_engine_version_metadata(sdk: Any) -> None:
    data = sdk.list_engine_version_metadata_with_options(
        _headers(vv.ListEngineVersionMetadataHeaders), RuntimeOptions()
    ).body.data
    assert data.default_engine_version == "flink-1.20"
    assert data.engine_version_metadata[0].engine_version == "flink-1.20"


def test_sdk_validate_sql_statement_reports_the_error_position(sdk: Any) -> None:
    result = sdk.validate_sql_statement_with_options(
        "ns1",
        vv.ValidateSqlStatementRequest(
            body=vv.SqlStatementWithContext(statement="SELEC 1", batch_mode=False)
        ),
        _headers(vv.ValidateSqlStatementHeaders),
        RuntimeOptions(),
    ).body.data
    assert result.validation_result == "VALIDATION_RESULT_INVALID"
    assert result.error_details.line_number == "1"
    assert result.error_details.column_number == "1"
