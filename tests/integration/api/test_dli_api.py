"""The DLI dialect over real services on SQLite, through httpx's ASGITransport.

Requests are signed with the official SDK's own signer (``huaweicloudsdkcore``'s
``Signer``) exactly as ``DliClient`` sends them (``/v1.0/{project_id}/...``, JSON bodies,
``X-Project-Id``); Flink is the fake engine and the reconciler's part (STARTING ->
RUNNING, stop completion, savepoint completion) is played by the test through the store.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from sqlalchemy.exc import OperationalError

from millstream.api.app import create_api
from millstream.api.dli import DLI
from millstream.api.dli.ids import JOBS
from millstream.api.native import NATIVE
from millstream.control.bootstrap import ensure_default_queue, ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.ports import Page
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.access import AccessService, IssuedKey
from millstream.control.services.artifacts import ArtifactService
from millstream.control.services.external_keys import ExternalKeys
from millstream.control.services.locator import Locator
from millstream.control.services.queues import QueueService
from millstream.domain.clusters import ClusterKind
from millstream.domain.jobs import Job, JobStatus, RestoreKind
from millstream.domain.namespaces import Namespace
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.store import SqlStore, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import load_cipher
from millstream.store.external_keys import SqlExternalKeyStore
from tests.fakes import FakeEngine
from tests.integration.store.conftest import DEFAULT_POSTGRES_URL, PostgresSchemas

WS = "default"
NS = "default-namespace"
HOST = "millstream"
PROJECT = "0123456789abcdef0123456789abcdef"
SQL = (
    "CREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen');\n"
    "CREATE TEMPORARY TABLE t (a INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO t SELECT a FROM s;"
)
# Seed 002's example request.
SEED_002: dict[str, Any] = {
    "name": "test",
    "desc": "job for test",
    "queue_name": "testQueue",
    "manager_cu_number": 1,
    "cu_number": 2,
    "parallel_number": 1,
    "tm_cus": 1,
    "tm_slot_num": 1,
    "log_enabled": True,
    "obs_bucket": "bucketName",
    "smn_topic": "topic",
    "main_class": "org.apache.flink.examples.streaming.JavaQueueStream",
    "restart_when_exception": False,
    "entrypoint": "javaQueueStream.jar",
    "entrypoint_args": "-windowSize 2000 -rate 3",
    "dependency_jars": ["myGroup/test.jar", "myGroup/test1.jar"],
    "dependency_files": ["myGroup/test.csv", "myGroup/test1.csv"],
}


class World:
    """The store, the services and the admin key behind the app."""

    def __init__(self, data_dir: Path, url: str | None = None) -> None:
        url = url or f"sqlite:///{data_dir / 'millstream.db'}"
        upgrade(url)
        self.store = SqlStore(url)
        ensure_defaults(
            self.store,
            workspace=WS,
            namespace=NS,
            cluster_kind=ClusterKind.EXTERNAL,
            rest_url="http://flink.invalid:8081",
        )
        ensure_default_queue(self.store, workspace=WS, capacity_cu=8.0)
        self.engine = FakeEngine()
        versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
        notifier = Notifier()
        self.access = AccessService(SqlAccessStore(self.store.engine), load_cipher(None, data_dir))
        issued = self.access.ensure_admin()
        assert issued is not None
        self.admin: IssuedKey = issued
        self.services = Services(
            deployments=DeploymentService(self.store, self.engine, versions),
            jobs=JobService(self.store, self.engine, notifier),
            savepoints=SavepointService(self.store, self.engine, notifier),
            events=EventService(self.store),
            versions=versions,
            default_workspace=WS,
            access=self.access,
            queues=QueueService(self.store, default_workspace=WS),
            artifacts=ArtifactService(
                self.store,
                FsspecArtifactStore(str(data_dir / "artifacts")),
                signing_key=b"k" * 32,
            ),
            external_keys=ExternalKeys(SqlExternalKeyStore(self.store.engine)),
            locator=Locator(self.store),
            default_namespace=NS,
        )

    def deployment_id(self, job_id: int) -> str:
        keys = self.services.external_keys
        assert keys is not None
        return keys.entity_of(JOBS, job_id, WS)

    def current_job(self, job_id: int, namespace: str = NS) -> Job:
        jobs, _ = self.services.jobs.list(
            Scope(WS, namespace), self.deployment_id(job_id), Page(0, 1)
        )
        return jobs[0]

    def set_status(self, job_id: int, status: JobStatus, **changes: Any) -> None:
        """What the reconciler does when Flink reports the job."""
        with self.store.transaction() as repos:
            job = repos.read_job(job_id=self.current_job(job_id).id)
            assert job is not None
            job.move_to(status)
            for name, value in changes.items():
                setattr(job, name, value)
            repos.update_job(job=job)

    def add_savepoint(self, job_id: int) -> str:
        job = self.current_job(job_id)
        savepoint = Savepoint(
            id="11111111-2222-3333-4444-555555555555",
            workspace=WS,
            namespace=NS,
            deployment_id=job.deployment_id,
            job_id=job.id,
            origin=SavepointOrigin.STOP_WITH_SAVEPOINT,
            state=SavepointState.COMPLETED,
            location="file:///state/savepoints/sp-1",
        )
        with self.store.transaction() as repos:
            repos.create_savepoint(savepoint=savepoint)
        return savepoint.location or ""

    def namespace_of(self, job_id: int) -> str:
        locator = self.services.locator
        assert locator is not None
        return locator.deployment_scope(self.deployment_id(job_id), workspace=WS).namespace

    def close(self) -> None:
        self.store.close()


def build_app(world: World) -> FastAPI:
    """The production app (signatures, roles, audit) serving native and DLI."""
    return create_api(world.services, world.access, dialects=[NATIVE, DLI], max_body_bytes=4096)


class Dli:
    """Signs like ``DliClient``; returns the response (status and body are the test's)."""

    def __init__(self, http: httpx.AsyncClient, key_id: str, secret: str) -> None:
        self.http = http
        self.key_id = key_id
        self.secret = secret

    async def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: list[tuple[str, Any]] | None = None,
        project: str = PROJECT,
        header_project: str | None = None,
        secret: str | None = None,
        raw_body: bytes | None = None,
    ) -> httpx.Response:
        text = json.dumps(body) if body is not None else ""
        if raw_body is not None:
            text = raw_body.decode()
        request = SdkRequest(
            method=method,
            schema="http",
            host=HOST,
            resource_path=f"/v1.0/{project}{path}",
            query_params=list(query or []),
            header_params={
                "Content-Type": "application/json",
                "User-Agent": "huaweicloud-usdk-python/3.0",
                "X-Project-Id": header_project or project,
            },
            body=text,
        )
        Signer(BasicCredentials(self.key_id, secret or self.secret, project)).sign(request)
        return await self.http.request(
            method, request.uri, content=text.encode(), headers=dict(request.header_params)
        )

    async def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = await self.send(method, path, body, **kwargs)
        answer = response.json()
        assert response.status_code == 200, answer
        assert response.headers["x-request-id"]
        return answer

    async def error(
        self, method: str, path: str, body: Any = None, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        response = await self.send(method, path, body, **kwargs)
        return _error(response)


def _error(response: httpx.Response) -> tuple[int, dict[str, Any]]:
    answer: dict[str, Any] = response.json()
    assert response.status_code >= 400, answer
    assert response.headers["x-request-id"]
    assert answer["is_success"] is False
    assert answer["error_code"].startswith("DLI.")
    assert answer["error_msg"] == answer["message"]
    return response.status_code, answer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "sqlite":
        built = World(tmp_path)
        yield built
        built.close()
        return
    schemas = PostgresSchemas(os.environ.get("MILLSTREAM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    try:
        built = World(tmp_path, schemas.create())
    except OperationalError as exc:
        schemas.drop_all()
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield built
    built.close()
    schemas.drop_all()


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(world), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        yield client


@pytest.fixture
def dli(http: httpx.AsyncClient, world: World) -> Dli:
    return Dli(http, world.admin.key.id, world.admin.secret)


async def _seed_job(dli: Dli) -> int:
    await dli.ok("POST", "/queues", {"queue_name": "testQueue", "cu_count": 4})
    created = await dli.ok("POST", "/streaming/flink-jobs", SEED_002)
    job_id = created["job"]["job_id"]
    assert isinstance(job_id, int)
    return job_id


async def _sql_job(dli: Dli, name: str = "orders", **extra: Any) -> int:
    body = {"name": name, "sql_body": SQL, "run_mode": "exclusive_cluster", **extra}
    created = await dli.ok("POST", "/streaming/sql-jobs", body)
    return int(created["job"]["job_id"])


async def test_seed_002_creates_a_jar_job(dli: Dli, world: World) -> None:
    await dli.ok("POST", "/queues", {"queue_name": "testQueue", "cu_count": 4})
    created = await dli.ok("POST", "/streaming/flink-jobs", SEED_002)
    assert created["is_success"] is True
    assert created["message"] == "A Flink job is created successfully."
    assert created["job"] == {
        "job_id": created["job"]["job_id"],
        "status_name": "job_init",
        "status_desc": "Draft: the job has not run yet",
    }
    deployment = world.services.deployments.get(
        Scope(WS, NS), world.deployment_id(created["job"]["job_id"])
    )
    assert deployment.queue == "testqueue"
    assert deployment.artifact.jar_uri == "javaQueueStream.jar"
    # The same name again (another body: an identical write would be a replay) is 409
    # DLI.0006 in DLI's words.
    status, error = await dli.error("POST", "/streaming/flink-jobs", {**SEED_002, "desc": "again"})
    assert (status, error["error_code"]) == (409, "DLI.0006")
    assert error["error_msg"] == "a Flink job named 'test' already exists in this project"


async def test_show_renders_every_setting(dli: Dli) -> None:
    job_id = await _seed_job(dli)
    shown = await dli.ok("GET", f"/streaming/jobs/{job_id}")
    detail = shown["job_detail"]
    assert (detail["job_id"], detail["name"], detail["status"]) == (job_id, "test", "job_init")
    assert detail["job_type"] == "flink_jar_job"
    assert detail["project_id"] == PROJECT
    assert detail["queue_name"] == "testqueue"
    config = detail["job_config"]
    assert config["entrypoint"] == "javaQueueStream.jar"
    assert config["dependency_jars"] == ["myGroup/test.jar", "myGroup/test1.jar"]
    assert config["smn_topic"] == "topic"
    assert (config["cu_number"], config["manager_cu_number"], config["tm_slot_num"]) == (2, 1, 1)


async def test_a_job_on_an_unknown_queue_is_refused_at_create(dli: Dli) -> None:
    status, error = await dli.error("POST", "/streaming/flink-jobs", SEED_002)
    assert (status, error["error_code"]) == (404, "DLI.0002")
    assert "testqueue" in error["error_msg"]


async def test_update_merges_into_the_job(dli: Dli, world: World) -> None:
    job_id = await _sql_job(dli)
    updated = await dli.ok(
        "PUT", f"/streaming/sql-jobs/{job_id}", {"parallel_number": 3, "desc": "more"}
    )
    assert isinstance(updated["job"]["update_time"], int)
    deployment = world.services.deployments.get(Scope(WS, NS), world.deployment_id(job_id))
    assert deployment.streaming_resource.parallelism == 3
    assert deployment.description == "more"
    assert deployment.artifact.sql_script == SQL
    status, error = await dli.error(
        "PUT", f"/streaming/flink-jobs/{job_id}", {"entrypoint": "x.jar"}
    )
    assert (status, error["error_code"]) == (400, "DLI.0001")


async def test_list_filters_and_pages(dli: Dli) -> None:
    first = await _sql_job(dli, "orders")
    second = await _sql_job(dli, "payments")
    listed = await dli.ok("GET", "/streaming/jobs")
    assert listed["job_list"]["total_count"] == 2
    assert [j["job_id"] for j in listed["job_list"]["jobs"]] == [second, first]
    assert "job_config" not in listed["job_list"]["jobs"][0]
    named = await dli.ok("GET", "/streaming/jobs", query=[("name", "pay"), ("show_detail", True)])
    assert [j["job_id"] for j in named["job_list"]["jobs"]] == [second]
    assert named["job_list"]["jobs"][0]["job_config"]["parallel_number"] == 1
    paged = await dli.ok(
        "GET", "/streaming/jobs", query=[("limit", 1), ("offset", 1), ("order", "asc")]
    )
    assert paged["job_list"]["total_count"] == 2
    assert [j["job_id"] for j in paged["job_list"]["jobs"]] == [second]
    await dli.ok("POST", "/streaming/jobs/run", {"job_ids": [first]})
    running = await dli.ok("GET", "/streaming/jobs", query=[("status", "job_submitting")])
    assert [j["job_id"] for j in running["job_list"]["jobs"]] == [first]
    status, error = await dli.error("GET", "/streaming/jobs", query=[("limit", "lots")])
    assert (status, error["error_code"]) == (400, "DLI.0001")


async def test_run_stop_with_savepoint_and_resume_from_it(dli: Dli, world: World) -> None:
    job_id = await _sql_job(dli)
    ran = await dli.ok("POST", "/streaming/jobs/run", {"job_ids": [job_id]})
    assert ran == [{"is_success": True, "message": ran[0]["message"]}]
    world.set_status(job_id, JobStatus.RUNNING, flink_job_id="a" * 32)
    shown = await dli.ok("GET", f"/streaming/jobs/{job_id}")
    assert shown["job_detail"]["status"] == "job_running"
    graph = await dli.ok("GET", f"/streaming/jobs/{job_id}/execute-graph")
    assert graph["execute_graph"]["jid"] == "a" * 32
    stopped = await dli.ok(
        "POST", "/streaming/jobs/stop", {"trigger_savepoint": True, "job_ids": [job_id]}
    )
    assert stopped[0]["is_success"] is True
    shown = await dli.ok("GET", f"/streaming/jobs/{job_id}")
    assert shown["job_detail"]["status"] == "job_savepointing"
    location = world.add_savepoint(job_id)
    world.set_status(job_id, JobStatus.CANCELLED)
    shown = await dli.ok("GET", f"/streaming/jobs/{job_id}")
    assert shown["job_detail"]["status"] == "job_cancel_success"
    assert shown["job_detail"]["has_savepoint"] is True
    assert shown["job_detail"]["savepoint_path"] == location
    await dli.ok("POST", "/streaming/jobs/run", {"resume_savepoint": True, "job_ids": [job_id]})
    assert world.current_job(job_id).restore.kind is RestoreKind.LATEST_SAVEPOINT
    # (not the first run's body: an identical write in the same second is a replay)
    again = await dli.ok(
        "POST", "/streaming/jobs/run", {"resume_savepoint": False, "job_ids": [job_id]}
    )
    assert again == [
        {
            "is_success": False,
            "message": f"job {job_id}: already running (job_submitting); stop it first",
        }
    ]


async def test_batch_items_report_per_job_and_unknown_ids_fail_the_request(dli: Dli) -> None:
    job_id = await _sql_job(dli)
    stopped = await dli.ok("POST", "/streaming/jobs/stop", {"job_ids": [job_id]})
    assert stopped[0]["is_success"] is False
    assert "not running" in stopped[0]["message"]
    status, error = await dli.error("POST", "/streaming/jobs/run", {"job_ids": [job_id, 99999]})
    assert (status, error["error_code"]) == (404, "DLI.0002")
    status, error = await dli.error("POST", "/streaming/jobs/run", {"job_ids": []})
    assert (status, error["error_code"]) == (400, "DLI.0001")


async def test_delete_refuses_a_running_job_then_deletes(dli: Dli, world: World) -> None:
    job_id = await _sql_job(dli)
    other = await _sql_job(dli, "other")
    await dli.ok("POST", "/streaming/jobs/run", {"job_ids": [job_id]})
    status, error = await dli.error("DELETE", f"/streaming/jobs/{job_id}")
    assert (status, error["error_code"]) == (409, "DLI.0007")
    # In DLI's words: the integer job id and its DLI status, no deployment or job UUID.
    assert error["error_msg"] == (
        f"job {job_id} is still running (job_submitting): stop it before deleting it"
    )
    world.set_status(job_id, JobStatus.CANCELLED)
    # The signature is the replay nonce of a write: the identical DELETE signed within
    # the same second (X-Sdk-Date has seconds) would be refused as a replay.
    await asyncio.sleep(1.05)
    deleted = await dli.ok("DELETE", f"/streaming/jobs/{job_id}")
    assert deleted["is_success"] is True
    status, error = await dli.error("GET", f"/streaming/jobs/{job_id}")
    assert (status, error["error_code"]) == (404, "DLI.0002")
    batch = await dli.ok("POST", "/streaming/jobs/delete", {"job_ids": [other]})
    assert batch[0]["is_success"] is True


async def test_savepoint_needs_a_running_job(dli: Dli, world: World) -> None:
    job_id = await _sql_job(dli)
    status, error = await dli.error("POST", f"/streaming/jobs/{job_id}/savepoint", {"action": "1"})
    assert (status, error["error_code"]) == (409, "DLI.0007")
    await dli.ok("POST", "/streaming/jobs/run", {"job_ids": [job_id]})
    world.set_status(job_id, JobStatus.RUNNING, flink_job_id="b" * 32)
    await asyncio.sleep(1.05)  # the same signed write within a second is a replay
    done = await dli.ok("POST", f"/streaming/jobs/{job_id}/savepoint", {"action": "1"})
    assert done["is_success"] is True


async def test_a_project_maps_onto_its_namespace_or_the_default(dli: Dli, world: World) -> None:
    own = "project-with-a-namespace"
    with world.store.transaction() as repos:
        repos.create_namespace(
            namespace=Namespace(id=own, workspace=WS, name=own, created_at=datetime.now(UTC))
        )
    mine = await dli.ok("POST", "/streaming/sql-jobs", {"name": "a", "sql_body": SQL}, project=own)
    assert world.namespace_of(mine["job"]["job_id"]) == own
    other = await dli.ok("POST", "/streaming/sql-jobs", {"name": "b", "sql_body": SQL})
    assert world.namespace_of(other["job"]["job_id"]) == NS
    # A job id of another project is as unknown as one nobody has.
    status, error = await dli.error("GET", f"/streaming/jobs/{mine['job']['job_id']}")
    assert (status, error["error_code"]) == (404, "DLI.0002")


async def test_operations_not_served_say_so(dli: Dli, http: httpx.AsyncClient) -> None:
    # Found by acceptance testing: the SDK's /v3/ gen-graph path was a bare
    # {"detail": "Not Found"}. (import_flink_job_savepoint is served: test_dli_gaps.py.)
    status, error = await dli.error(
        "POST", "/streaming/jobs/7/import-savepoint", {"job_id": 7, "savepoint_path": "obs://b/"}
    )
    assert (status, error["error_code"]) == (404, "DLI.0002")
    status, error = _error(await http.post(f"/v3/{PROJECT}/streaming/jobs/7/gen-graph"))
    assert (status, error["error_code"]) == (401, "DLI.0013")
    status, error = _error(await http.get(f"/v3/{PROJECT}/nothing"))
    assert (status, error["error_code"]) == (404, "DLI.0007")


async def test_errors_answer_in_the_dli_envelope(dli: Dli, http: httpx.AsyncClient) -> None:
    status, error = await dli.error("GET", "/streaming/nothing-here")
    assert (status, error["error_code"]) == (404, "DLI.0007")
    status, error = await dli.error("PATCH", "/streaming/jobs/run")
    assert status == 405
    status, error = await dli.error("POST", "/streaming/flink-jobs", None, raw_body=b"{not json")
    assert (status, error["error_code"]) == (400, "DLI.0001")
    status, error = await dli.error("GET", "/streaming/jobs/not-a-number")
    assert (status, error["error_code"]) == (400, "DLI.0001")
    status, error = await dli.error("GET", "/streaming/jobs", header_project="someone-else")
    assert (status, error["error_code"]) == (400, "DLI.0001")
    status, error = await dli.error("GET", "/streaming/jobs", secret="wrong")
    assert (status, error["error_code"]) == (401, "DLI.0013")
    status, error = _error(await http.get(f"/v1.0/{PROJECT}/streaming/jobs"))
    assert (status, error["error_code"]) == (401, "DLI.0013")
    big = {"name": "x", "sql_body": "-- " + "x" * 5000}
    status, error = await dli.error("POST", "/streaming/sql-jobs", big)
    assert (status, error["error_code"]) == (413, "DLI.0009")


async def test_queues(dli: Dli) -> None:
    created = await dli.ok("POST", "/queues", {"queue_name": "My_Queue", "cu_count": 3})
    assert created["queue_name"] == "my-queue"
    shown = await dli.ok("GET", "/queues/my_queue")
    assert (shown["queueName"], shown["cuCount"]) == ("my-queue", 3)
    listed = await dli.ok("GET", "/queues")
    assert {q["queue_name"] for q in listed["queues"]} >= {"default", "my-queue"}
    await dli.ok("DELETE", "/queues/my-queue")
    status, error = await dli.error("GET", "/queues/my-queue")
    assert (status, error["error_code"]) == (404, "DLI.0002")


async def test_export_then_import_round_trips_every_setting(dli: Dli) -> None:
    job_id = await _seed_job(dli)
    sql_id = await _sql_job(
        dli, "orders", checkpoint_interval=30, tags=[{"key": "t", "value": "v"}]
    )
    exported = await dli.ok(
        "POST", "/streaming/jobs/export", {"obs_dir": "obs://bucket/dir", "is_selected": False}
    )
    (uri,) = exported["zip_file"]
    assert uri.startswith(f"artifacts://{WS}/{NS}/exports/flink-jobs-")
    before = {
        n: (await dli.ok("GET", f"/streaming/jobs/{n}"))["job_detail"] for n in (job_id, sql_id)
    }
    skipped = await dli.ok("POST", "/streaming/jobs/import", {"zip_file": uri})
    assert [m["new_job_id"] for m in skipped["job_mapping"]] == [-1, -1]
    await dli.ok("DELETE", f"/streaming/jobs/{job_id}")
    await dli.ok("DELETE", f"/streaming/jobs/{sql_id}")
    imported = await dli.ok("POST", "/streaming/jobs/import", {"zip_file": uri, "is_cover": True})
    mapping = {m["old_job_id"]: m["new_job_id"] for m in imported["job_mapping"]}
    assert set(mapping) == {job_id, sql_id}
    for old, new in mapping.items():
        after = (await dli.ok("GET", f"/streaming/jobs/{new}"))["job_detail"]
        for key in ("job_id", "create_time", "update_time"):
            after.pop(key)
            before[old].pop(key, None)
        assert after == before[old]
    status, error = await dli.error("POST", "/streaming/jobs/import", {"zip_file": "nothing.zip"})
    assert (status, error["error_code"]) == (404, "DLI.0002")


async def test_flink_sql_job_templates(dli: Dli, world: World) -> None:
    created = await dli.ok(
        "POST",
        "/streaming/job-templates",
        {"name": "datagen", "desc": "a source", "sql_body": SQL, "job_type": "flink_sql_job"},
    )
    template_id = created["template"]["template_id"]
    assert isinstance(template_id, int)
    assert created["template"]["name"] == "datagen"
    status, error = await dli.error("POST", "/streaming/job-templates", {"name": "datagen"})
    assert (status, error["error_code"]) == (409, "DLI.0007")
    await dli.ok("PUT", f"/streaming/job-templates/{template_id}", {"desc": "changed"})
    listed = await dli.ok("GET", "/streaming/job-templates", query=[("name", "data")])
    assert listed["template_list"]["total_count"] == 1
    (shown,) = listed["template_list"]["templates"]
    assert (shown["template_id"], shown["desc"], shown["sql_body"]) == (template_id, "changed", SQL)
    job = await dli.ok(
        "POST", "/streaming/sql-jobs", {"name": "from-template", "template_id": template_id}
    )
    deployment = world.services.deployments.get(
        Scope(WS, NS), world.deployment_id(job["job"]["job_id"])
    )
    assert deployment.artifact.sql_script == SQL
    deleted = await dli.ok("DELETE", f"/streaming/job-templates/{template_id}")
    assert deleted["template"] == {"template_id": template_id}
    await asyncio.sleep(1.05)  # the same signed write within a second is a replay
    status, error = await dli.error("DELETE", f"/streaming/job-templates/{template_id}")
    assert (status, error["error_code"]) == (404, "DLI.0002")


async def test_writes_are_audited_with_operation_and_namespace(dli: Dli, world: World) -> None:
    job_id = await _sql_job(dli)
    await dli.ok("GET", f"/streaming/jobs/{job_id}")
    admin = Actor(world.admin.user.id, world.admin.user.name)
    entries, _ = world.access.read_audit(admin, Scope(WS, NS), Page(0, 10))
    assert [(e.action, e.namespace, e.status_code) for e in entries] == [
        ("dli:CreateFlinkSqlJob", NS, 200)
    ]


async def test_credentials_without_a_project_id_are_told_so(dli: Dli) -> None:
    # The SDK sends the literal template when BasicCredentials has no project id.
    response = await dli.send("GET", "/streaming/jobs", project="%7Bproject_id%7D")
    status, error = _error(response)
    assert (status, error["error_code"]) == (400, "DLI.0001")
    assert "BasicCredentials" in error["error_msg"]
