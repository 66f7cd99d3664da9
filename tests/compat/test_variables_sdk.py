"""The official ``alibabacloud-ververica20220718`` SDK against a live server for variables,
ListEngineVersionMetadata and GetLatestJobStartLog.

The server is real uvicorn on a free port serving the production app (``create_api``:
signatures, roles, audit) with the variable and log routers, over real services on SQLite;
Flink is faked (``tests.integration.api.test_native_variables.build_stack``) and its
JobManager log is a file in the data directory, as for the embedded cluster. Real Flink is
driven the same way in the last test (marked ``flink``): the session's local cluster,
the real engine and reconciler, its log directory read for GetLatestJobStartLog.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions
from tests.integration.api.test_native_variables import NS, SQL, WS, Stack, build_stack
from tests.ports import free_port

from millstream.control.reconciler import Reconciler
from millstream.control.services.access import AccessService
from millstream.domain.jobs import JobStatus
from millstream.engine import LocalCluster
from millstream.engine.engine import FlinkEngine
from millstream.engine.runtime import FlinkRuntime
from millstream.store import SqlStore
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import load_cipher


@dataclass
class Server:
    stack: Stack
    client: Client

    @property
    def headers(self) -> dict[str, str]:
        return {"workspace": WS}


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("millstream")
    issued: list[tuple[str, str]] = []

    def access(store: SqlStore) -> AccessService:
        service = AccessService(SqlAccessStore(store.engine), load_cipher(None, data_dir))
        admin = service.ensure_admin()
        assert admin is not None
        issued.append((admin.key.id, admin.secret))
        return service

    stack = build_stack(data_dir, access=access)
    port = _free_port()
    uv = uvicorn.Server(
        uvicorn.Config(stack.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    key, secret = issued[0]
    config = open_api_models.Config(
        access_key_id=key, access_key_secret=secret, endpoint=f"127.0.0.1:{port}", protocol="http"
    )
    yield Server(stack, Client(config))
    uv.should_exit = True
    thread.join(timeout=10)
    stack.store.close()


def _create(server: Server, name: str, value: str, kind: str = "Plain") -> vv.Variable:
    request = vv.CreateVariableRequest(body=vv.Variable(name=name, value=value, kind=kind))
    response = server.client.create_variable_with_options(
        NS, request, vv.CreateVariableHeaders(workspace=WS), _runtime()
    )
    assert response.body.success is True
    data: vv.Variable = response.body.data
    return data


def _runtime() -> RuntimeOptions:
    # CreateDeployment plans the SQL on real Flink: a cold cluster's first plan takes
    # more than the SDK's default 10 s read timeout on a busy 2-core machine (as in
    # test_native_sdk_e2e.py and test_volcengine_sdk.py).
    return RuntimeOptions(read_timeout=120_000, connect_timeout=10_000)


def _list(server: Server) -> vv.ListVariablesResponseBody:
    response = server.client.list_variables_with_options(
        NS,
        vv.ListVariablesRequest(page_index=1, page_size=50),
        vv.ListVariablesHeaders(workspace=WS),
        _runtime(),
    )
    body: vv.ListVariablesResponseBody = response.body
    return body


def test_variable_lifecycle_through_the_sdk(server: Server) -> None:
    created = _create(server, "sdk_rows", "10")
    assert (created.name, created.value, created.kind) == ("sdk_rows", "10", "Plain")
    updated = server.client.update_variable_with_options(
        NS,
        "sdk_rows",
        vv.UpdateVariableRequest(body=vv.Variable(name="sdk_rows", value="11", description="d")),
        vv.UpdateVariableHeaders(workspace=WS),
        _runtime(),
    )
    assert (updated.body.data.value, updated.body.data.description) == ("11", "d")
    listed = _list(server)
    assert listed.total_size == len(listed.data)
    assert ("sdk_rows", "11") in [(v.name, v.value) for v in listed.data]
    deleted = server.client.delete_variable_with_options(
        NS, "sdk_rows", vv.DeleteVariableHeaders(workspace=WS), _runtime()
    )
    assert deleted.body.success is True
    assert "sdk_rows" not in [v.name for v in _list(server).data]


def test_encrypted_variable_is_never_returned_in_clear(server: Server) -> None:
    created = _create(server, "sdk_password", "hunter2", kind="Encrypted")
    assert created.value == "******"
    listed = {v.name: v for v in _list(server).data}
    assert (listed["sdk_password"].value, listed["sdk_password"].kind) == ("******", "Encrypted")
    assert b"hunter2" not in (server.stack.data_dir / "millstream.db").read_bytes()


def test_duplicate_variable_is_a_client_error(server: Server) -> None:
    _create(server, "sdk_dup", "1")
    with pytest.raises(ClientException) as caught:
        _create(server, "sdk_dup", "2")
    assert caught.value.code == "VariableAlreadyExists"
    assert caught.value.status_code == 409


def test_list_engine_version_metadata(server: Server) -> None:
    response = server.client.list_engine_version_metadata_with_options(
        vv.ListEngineVersionMetadataHeaders(workspace=WS), _runtime()
    )
    data = response.body.data
    assert data.default_engine_version == "flink-2.3.0"
    names = [m.engine_version for m in data.engine_version_metadata]
    assert names[0] == "flink-2.3.0"
    assert "vvr-8.0.9-flink-1.17" in names
    assert data.engine_version_metadata[0].status == "STABLE"
    assert data.engine_version_metadata[0].features.use_for_sql_deployments is True


def test_get_latest_job_start_log(server: Server) -> None:
    _create(server, "table_rows", "3")
    deployment = server.client.create_deployment_with_options(
        NS,
        vv.CreateDeploymentRequest(
            body=vv.Deployment(
                name="sdk-start-log",
                engine_version="vvr-8.0.9-flink-1.17",
                artifact=vv.Artifact(kind="SQLSCRIPT", sql_artifact=vv.SqlArtifact(sql_script=SQL)),
            )
        ),
        vv.CreateDeploymentHeaders(workspace=WS),
        _runtime(),
    ).body.data
    job = server.client.start_job_with_params_with_options(
        NS,
        vv.StartJobWithParamsRequest(
            body=vv.JobStartParameters(deployment_id=deployment.deployment_id)
        ),
        vv.StartJobWithParamsHeaders(workspace=WS),
        _runtime(),
    ).body.data
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    server.stack.write_jobmanager_log(f"{now},000 INFO  x [] - Submitting job {job.job_id}")
    log = server.client.get_latest_job_start_log_with_options(
        NS, deployment.deployment_id, vv.GetLatestJobStartLogHeaders(workspace=WS), _runtime()
    )
    assert log.body.success is True
    assert f"Submitting job {job.job_id}" in log.body.data


# --------------------------------------------------------------------------- real Flink


@dataclass
class FlinkServer:
    server: Server
    reconciler: Reconciler
    out_dir: Path


def _serve(stack: Stack, access: list[tuple[str, str]]) -> tuple[uvicorn.Server, Client]:
    port = _free_port()
    uv = uvicorn.Server(
        uvicorn.Config(stack.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=uv.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    key, secret = access[0]
    config = open_api_models.Config(
        access_key_id=key, access_key_secret=secret, endpoint=f"127.0.0.1:{port}", protocol="http"
    )
    return uv, Client(config)


@pytest.fixture(scope="module")
def on_flink(
    flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlinkServer]:
    data_dir: Path = tmp_path_factory.mktemp("millstream-flink")
    issued: list[tuple[str, str]] = []

    def access(store: SqlStore) -> AccessService:
        service = AccessService(SqlAccessStore(store.engine), load_cipher(None, data_dir))
        admin = service.ensure_admin()
        assert admin is not None
        issued.append((admin.key.id, admin.secret))
        return service

    engine = FlinkEngine(data_dir=data_dir, runtime=FlinkRuntime.detect(), request_timeout=60)
    stack = build_stack(
        data_dir, access=access, engine=engine, rest_url=flink.rest_url, log_dir=flink.log_dir
    )
    uv, client = _serve(stack, issued)
    reconciler = Reconciler(stack.store, engine, details_interval=0.0)
    yield FlinkServer(Server(stack, client), reconciler, data_dir / "out")
    reconciler.close()
    uv.should_exit = True
    engine.close()
    stack.store.close()


def _job_status(stack: Stack, job_id: str) -> JobStatus:
    with stack.store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
    assert job is not None
    return job.status


@pytest.mark.flink
def test_namespace_variable_reaches_real_flink_and_unknown_fails_at_start(
    on_flink: FlinkServer, flink: LocalCluster
) -> None:
    server = on_flink.server
    _create(server, "table_rows", "7")
    script = (
        "CREATE TEMPORARY TABLE src (x INT) WITH ('connector' = 'datagen', "
        "'number-of-rows' = '${table_rows}');\n"
        f"CREATE TEMPORARY TABLE dst (x INT) WITH ('connector' = 'filesystem', "
        f"'path' = '{on_flink.out_dir.as_uri()}', 'format' = 'csv');\n"
        "INSERT INTO dst SELECT x FROM src;"
    )
    headers = vv.CreateDeploymentHeaders(workspace=WS)
    deployment = server.client.create_deployment_with_options(
        NS,
        vv.CreateDeploymentRequest(
            body=vv.Deployment(
                name="rows-from-variable",
                execution_mode="BATCH",
                artifact=vv.Artifact(
                    kind="SQLSCRIPT", sql_artifact=vv.SqlArtifact(sql_script=script)
                ),
            )
        ),
        headers,
        _runtime(),
    ).body.data
    job = server.client.start_job_with_params_with_options(
        NS,
        vv.StartJobWithParamsRequest(
            body=vv.JobStartParameters(deployment_id=deployment.deployment_id)
        ),
        vv.StartJobWithParamsHeaders(workspace=WS),
        _runtime(),
    ).body.data
    deadline = time.monotonic() + 120
    while _job_status(server.stack, job.job_id) is not JobStatus.FINISHED:
        assert time.monotonic() < deadline, _job_status(server.stack, job.job_id)
        on_flink.reconciler.run_iteration()
        time.sleep(0.5)
    rows = [
        line
        for path in on_flink.out_dir.rglob("*")
        if path.is_file() and not path.name.startswith(".")
        for line in path.read_text().splitlines()
    ]
    assert len(rows) == 7
    start_log = server.client.get_latest_job_start_log_with_options(
        NS, deployment.deployment_id, vv.GetLatestJobStartLogHeaders(workspace=WS), _runtime()
    ).body.data
    with server.stack.store.transaction() as repos:
        stored = repos.read_job(job_id=job.job_id)
    assert stored is not None
    assert stored.flink_job_id is not None
    assert stored.flink_job_id in start_log

    # An unknown variable: 400 envelope at start, nothing submitted to Flink.
    other = server.client.create_deployment_with_options(
        NS,
        vv.CreateDeploymentRequest(
            body=vv.Deployment(
                name="undefined-variable",
                artifact=vv.Artifact(
                    kind="SQLSCRIPT",
                    sql_artifact=vv.SqlArtifact(sql_script=script.replace("table_rows", "nope")),
                ),
            )
        ),
        headers,
        _runtime(),
    ).body.data
    before = {j["jid"] for j in httpx.get(f"{flink.rest_url}/jobs/overview").json()["jobs"]}
    with pytest.raises(ClientException) as caught:
        server.client.start_job_with_params_with_options(
            NS,
            vv.StartJobWithParamsRequest(
                body=vv.JobStartParameters(deployment_id=other.deployment_id)
            ),
            vv.StartJobWithParamsHeaders(workspace=WS),
            _runtime(),
        )
    assert (caught.value.status_code, caught.value.code) == (400, "UnknownVariable")
    assert "nope" in caught.value.message
    on_flink.reconciler.run_iteration()
    after = {j["jid"] for j in httpx.get(f"{flink.rest_url}/jobs/overview").json()["jobs"]}
    assert after == before
