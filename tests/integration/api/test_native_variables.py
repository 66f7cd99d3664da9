"""Variables, job logs and GetLatestJobStartLog through the native API (httpx ASGITransport),
over real services on SQLite, a fake Flink and a log directory on disk.

``build_stack`` is also what ``tests/compat/test_variables_sdk.py`` serves with uvicorn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request

from millstream.api.app import RouterFactory, build_app, create_api
from millstream.api.native.logs import build_logs_router
from millstream.api.native.variables import build_variables_router
from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.ports import Engine
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.access import AccessService
from millstream.control.services.logs import LogService
from millstream.control.services.variables import VariableService
from millstream.domain.clusters import ClusterKind
from millstream.domain.jobs import JobStatus
from millstream.engine.logs import FileLogArchive, FlinkLogReader
from millstream.store import SqlStore, upgrade
from millstream.store.cipher import load_cipher
from millstream.store.variables import SqlVariableStore
from tests.fakes import FakeEngine, FakeFlink

WS, NS = "default", "ns1"
FLINK_URL = "http://fake-flink"
ADMIN = Actor(id="admin-id", name="admin")
SQL = (
    "CREATE TEMPORARY TABLE src (x INT) WITH ('connector' = 'datagen', "
    "'number-of-rows' = '${table_rows}');\n"
    "CREATE TEMPORARY TABLE dst (x INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO dst SELECT x FROM src;"
)


def authenticate_admin(request: Request) -> Actor:  # noqa: ARG001 (the auth layer's shape)
    return ADMIN


@dataclass
class Stack:
    app: FastAPI
    store: SqlStore
    flink: FakeFlink
    log_dir: Path
    data_dir: Path
    engine: Engine

    def write_jobmanager_log(self, *lines: str) -> None:
        path = self.log_dir / "flink-millstream-standalonesession-0-host.log"
        with path.open("a") as handle:
            handle.writelines(line + "\n" for line in lines)

    def set_status(self, job_id: str, status: JobStatus) -> None:
        """What the reconciler would do."""
        with self.store.transaction() as repos:
            job = repos.read_job(job_id=job_id)
            assert job is not None
            job.status = status
            if job.is_terminal:
                job.end_time = datetime.now(UTC) + timedelta(seconds=30)
            repos.update_job(job=job)


def build_stack(
    data_dir: Path,
    *,
    access: Callable[[SqlStore], AccessService] | None = None,
    engine: Engine | None = None,
    rest_url: str = FLINK_URL,
    log_dir: Path | None = None,
) -> Stack:
    """Every service real over SQLite, Flink faked, logs read from ``data_dir/flink/log``;
    with ``access`` the production app (signatures, roles), else everyone is admin."""
    url = f"sqlite:///{data_dir / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    ensure_defaults(
        store, workspace=WS, namespace=NS, cluster_kind=ClusterKind.EMBEDDED, rest_url=rest_url
    )
    flink = FakeFlink(rest_url)
    engine = engine or FakeEngine(flink)
    variable_service = VariableService(SqlVariableStore(store.engine), load_cipher(None, data_dir))
    versions = EngineVersions(installed=list(engine.engine_versions()), aliases=DEFAULT_ALIASES)
    notifier = Notifier()
    services = Services(
        deployments=DeploymentService(store, engine, versions, variables=variable_service),
        jobs=JobService(store, engine, notifier, variables=variable_service),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
    )
    if log_dir is None:
        log_dir = data_dir / "flink" / "log"
        log_dir.mkdir(parents=True)
    logs = LogService(
        store,
        FlinkLogReader(local_log_dirs={rest_url: log_dir}),
        FileLogArchive(data_dir / "logs"),
    )
    routers: list[RouterFactory] = [
        lambda guard: build_variables_router(variable_service, guard, default_workspace=WS),
        lambda guard: build_logs_router(logs, guard, default_workspace=WS),
    ]
    if access is None:
        app = build_app(services, authenticate_admin, routers=routers)
    else:
        app = create_api(services, access(store), routers=routers)
    return Stack(app, store, flink, log_dir, data_dir, engine)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    built = build_stack(tmp_path)
    yield built
    built.store.close()


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=stack.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


VARS = f"/api/v2/namespaces/{NS}/variables"


async def _ok(response: httpx.Response) -> object:
    body = response.json()
    assert response.status_code == 200, body
    assert body["success"] is True
    return body["data"]


async def test_variable_lifecycle(client: httpx.AsyncClient) -> None:
    created = await _ok(
        await client.post(VARS, json={"name": "rows", "value": "10", "description": "row count"})
    )
    assert created == {"name": "rows", "value": "10", "description": "row count", "kind": "Plain"}
    updated = await _ok(await client.patch(f"{VARS}/rows", json={"value": "20"}))
    assert updated["value"] == "20"  # type: ignore[index]
    listed = (await client.get(VARS, params={"pageIndex": 1, "pageSize": 5})).json()
    assert (listed["totalSize"], listed["pageIndex"], listed["pageSize"]) == (1, 1, 5)
    assert listed["data"][0]["value"] == "20"
    assert await _ok(await client.delete(f"{VARS}/rows")) is None
    missing = await client.delete(f"{VARS}/rows")
    assert (missing.status_code, missing.json()["errorCode"]) == (404, "VariableNotFound")


async def test_encrypted_value_is_never_answered_in_clear(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    body = {"name": "pw", "value": "hunter2", "kind": "Encrypted"}
    responses = [
        await client.post(VARS, json=body),
        await client.get(VARS),
        await client.patch(f"{VARS}/pw", json={"description": "db password"}),
    ]
    for response in responses:
        assert response.status_code == 200
        assert "hunter2" not in response.text
        assert "******" in response.text
    raw = (stack.data_dir / "millstream.db").read_bytes()
    assert b"hunter2" not in raw


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "1bad", "value": "x"}, 400, "InvalidVariableName"),
        ({"value": "x"}, 400, "InvalidVariableName"),
        ({"name": "ok"}, 400, "InvalidVariableValue"),
        ({"name": "ok", "value": "x", "kind": "Secret"}, 400, "InvalidVariableKind"),
    ],
)
async def test_bad_variables_get_the_error_envelope(
    client: httpx.AsyncClient, body: dict[str, str], status: int, code: str
) -> None:
    response = await client.post(VARS, json=body)
    envelope = response.json()
    assert (response.status_code, envelope["errorCode"], envelope["success"]) == (
        status,
        code,
        False,
    )
    assert envelope["code"] == code


async def test_duplicate_variable_is_409_and_unknown_namespace_404(
    client: httpx.AsyncClient,
) -> None:
    await _ok(await client.post(VARS, json={"name": "rows", "value": "1"}))
    duplicate = await client.post(VARS, json={"name": "rows", "value": "2"})
    assert (duplicate.status_code, duplicate.json()["errorCode"]) == (409, "VariableAlreadyExists")
    elsewhere = await client.get("/api/v2/namespaces/nope/variables")
    assert (elsewhere.status_code, elsewhere.json()["errorCode"]) == (404, "NamespaceNotFound")


async def _deploy(client: httpx.AsyncClient) -> str:
    body = {
        "name": "rows-job",
        "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": SQL}},
    }
    data = await _ok(await client.post(f"/api/v2/namespaces/{NS}/deployments", json=body))
    return str(data["deploymentId"])  # type: ignore[index]


async def test_unknown_variable_fails_start_with_a_400_and_nothing_submitted(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    deployment_id = await _deploy(client)
    response = await client.post(
        f"/api/v2/namespaces/{NS}/jobs:start", json={"deploymentId": deployment_id}
    )
    envelope = response.json()
    assert (response.status_code, envelope["errorCode"]) == (400, "UnknownVariable")
    assert "table_rows" in envelope["errorMessage"]
    assert not stack.flink.jobs


async def test_namespace_variable_is_used_at_start(client: httpx.AsyncClient) -> None:
    await _ok(await client.post(VARS, json={"name": "table_rows", "value": "5"}))
    deployment_id = await _deploy(client)
    job = await _ok(
        await client.post(
            f"/api/v2/namespaces/{NS}/jobs:start", json={"deploymentId": deployment_id}
        )
    )
    assert {"name": "table_rows", "value": "5"} in job["localVariables"]  # type: ignore[index]


async def test_logs_of_a_job_and_the_latest_start_log(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    await _ok(await client.post(VARS, json={"name": "table_rows", "value": "5"}))
    deployment_id = await _deploy(client)
    start_log = f"/api/v2/namespaces/{NS}/deployments/{deployment_id}/latest_jobmanager_start_log"
    never = await client.get(start_log)
    assert (never.status_code, never.json()["errorCode"]) == (404, "JobNotFound")
    stack.write_jobmanager_log("2020-01-01 00:00:00,000 INFO  x [] - long before the job")
    job = await _ok(
        await client.post(
            f"/api/v2/namespaces/{NS}/jobs:start", json={"deploymentId": deployment_id}
        )
    )
    job_id = job["jobId"]  # type: ignore[index]
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    stack.write_jobmanager_log(f"{now},000 INFO  x [] - Submitting job {job_id}")
    text = await _ok(await client.get(start_log))
    assert text == f"{now},000 INFO  x [] - Submitting job {job_id}\n"
    stack.set_status(str(job_id), JobStatus.CANCELLED)
    logs = await _ok(
        await client.get(
            f"/api/v2/namespaces/{NS}/jobs/{job_id}/logs", params={"kind": "jobmanager"}
        )
    )
    assert logs["source"] == "cluster"  # type: ignore[index]
    assert f"Submitting job {job_id}" in logs["content"]  # type: ignore[index]
    bad = await client.get(f"/api/v2/namespaces/{NS}/jobs/{job_id}/logs", params={"kind": "gc"})
    assert (bad.status_code, bad.json()["errorCode"]) == (400, "InvalidLogKind")


async def test_deployment_with_bad_logger_level_is_rejected(client: httpx.AsyncClient) -> None:
    body = {
        "name": "noisy",
        "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": "SELECT 1"}},
        "logging": {"log4jLoggers": [{"loggerName": "com.acme", "loggerLevel": "LOUD"}]},
    }
    response = await client.post(f"/api/v2/namespaces/{NS}/deployments", json=body)
    envelope = response.json()
    assert (response.status_code, envelope["errorCode"]) == (400, "InvalidLogLevel")
    assert "TRACE, DEBUG, INFO, WARN, ERROR" in envelope["errorMessage"]
