"""HotUpdateJob, GetHotUpdateJobResult, GetJobDiagnosis and FlinkApiProxy through HTTP
(ASGITransport) over real SQLite (migrations included), a fake Flink for the reconciler
and the real ``FlinkInspector`` on a ``MockTransport`` Flink REST API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from millstream.api.native.operations import build_operations_router
from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.hot_updates import HotUpdateCoordinator
from millstream.control.notifier import Notifier
from millstream.control.reconciler import Reconciler
from millstream.control.services import DeploymentPatch, DeploymentService, JobService
from millstream.control.services.diagnosis import DiagnosisService
from millstream.control.services.hot_updates import HotUpdateService
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.domain.jobs import Job
from millstream.engine.inspect import FlinkInspector
from millstream.store import SqlStore, upgrade
from millstream.store.hot_updates import SqlHotUpdateStore
from tests.fakes import FakeEngine, FakeFlink

SCOPE = Scope("default", "ns1")
ADMIN = Actor("admin-id", "admin")
NS = "/api/v2/namespaces/ns1"


def _flink_rest(state: dict[str, Any]) -> httpx.MockTransport:
    """Flink's REST API for the jobs in ``state["jobs"]`` (Flink job id -> details)."""

    def handle(request: httpx.Request) -> httpx.Response:
        state["seen"].append((request.method, request.url.path, request.url.query.decode()))
        path = request.url.path
        if path == "/overview":
            return httpx.Response(200, json={"taskmanagers": 1, "slots-total": 4})
        parts = path.split("/")
        if len(parts) >= 3 and parts[1] == "jobs" and parts[2] in state["jobs"]:
            fid, rest = parts[2], "/".join(parts[3:])
            if rest == "":
                return httpx.Response(
                    200,
                    json={
                        "jid": fid,
                        "state": "RUNNING",
                        "duration": 700_000,
                        "vertices": [{"id": "v1", "name": "Calc"}],
                    },
                )
            if rest == "exceptions":
                entry = {
                    "exceptionName": "java.lang.OutOfMemoryError",
                    "stacktrace": "java.lang.OutOfMemoryError: Java heap space\n\tat x",
                    "timestamp": 5,
                    "taskName": "Calc (1/1)",
                }
                return httpx.Response(200, json={"exceptionHistory": {"entries": [entry]}})
            if rest == "checkpoints":
                counts = {"completed": 1, "failed": 3, "in_progress": 0}
                latest = {"failed": {"failure_message": "Checkpoint expired"}}
                return httpx.Response(200, json={"counts": counts, "latest": latest})
            if rest == "metrics":
                return httpx.Response(200, json=[{"id": "numRestarts", "value": "4"}])
            if rest == "vertices/v1/backpressure":
                body = {"status": "ok", "backpressureLevel": "high", "subtasks": [{"ratio": 1}]}
                return httpx.Response(200, json=body)
        return httpx.Response(404, json={"errors": ["Not found: " + path]})

    return httpx.MockTransport(handle)


@dataclass
class Rig:
    store: SqlStore
    flink: FakeFlink
    jobs: JobService
    deployments: DeploymentService
    reconciler: Reconciler
    coordinator: HotUpdateCoordinator
    rest: dict[str, Any]
    client: httpx.AsyncClient | None = None

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.reconciler.run_iteration()
            self.coordinator.run_iteration()

    def running_job(self, name: str = "d1") -> Job:
        dep = self.deployments.create(
            SCOPE,
            ADMIN,
            DeploymentPatch(
                name=name, artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL)
            ),
        )
        job = self.jobs.start(SCOPE, ADMIN, dep.id)
        self.tick()
        job = self.jobs.get(SCOPE, job.id)
        self.flink.set_state(job.flink_job_id or "", "RUNNING")
        self.tick()
        job = self.jobs.get(SCOPE, job.id)
        self.rest["jobs"][job.flink_job_id] = {}
        return job


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    flink = FakeFlink()
    engine = FakeEngine(flink)
    ensure_defaults(
        store,
        workspace="default",
        namespace="ns1",
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url=flink.rest_url,
    )
    notifier = Notifier()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    deployments = DeploymentService(store, engine, versions)
    jobs = JobService(store, engine, notifier)
    hot_store = SqlHotUpdateStore(store.engine)
    hot_updates = HotUpdateService(hot_store, jobs, deployments, notifier)
    rest: dict[str, Any] = {"jobs": {}, "seen": []}
    inspector = FlinkInspector(timeout=5, transport=_flink_rest(rest))
    diagnosis = DiagnosisService(store, inspector)
    reconciler = Reconciler(store, engine, details_interval=0.0)
    coordinator = HotUpdateCoordinator(hot_store, store, jobs)
    app = FastAPI()

    def authenticate(request: Request) -> Actor:  # noqa: ARG001
        return ADMIN

    app.include_router(
        build_operations_router(
            hot_updates, diagnosis, diagnosis, authenticate, default_workspace="default"
        )
    )
    rig = Rig(store, flink, jobs, deployments, reconciler, coordinator, rest)
    rig.client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://m"
    )
    yield rig
    reconciler.close()
    inspector.close()
    store.close()


@pytest.fixture
async def client(rig: Rig) -> AsyncIterator[httpx.AsyncClient]:
    assert rig.client is not None
    async with rig.client as c:
        yield c


async def test_hot_update_rescales_and_reports_one_operation(
    rig: Rig, client: httpx.AsyncClient
) -> None:
    job = rig.running_job()
    body = {
        "rescaleJobParam": {"jobParallelism": 2},
        "updateJobConfigParam": {"newFlinkConf": {"k": "v"}},
    }
    answer = await client.post(f"{NS}/jobs/{job.id}%3AhotUpdate", json=body)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["status"]["status"] == "HOT_UPDATING"
    assert data["status"]["requestId"] == answer.json()["requestId"]
    assert data["hotUpdateParams"] == body
    assert data["targetResourceSetting"]["flinkConf"] == {"k": "v"}
    assert data["targetResourceSetting"]["streamingResourceSetting"]["basicResourceSetting"] == {
        "parallelism": 2
    }
    rig.tick(5)
    started = (await client.get(f"{NS}/jobs/hot-updates/{data['jobHotUpdateId']}")).json()["data"]
    assert started["phase"] == "STARTING", started
    new_job_id = started["newJobId"]
    rig.flink.set_state(rig.jobs.get(SCOPE, new_job_id).flink_job_id or "", "RUNNING")
    rig.tick(2)
    result = await client.get(f"{NS}/jobs/hot-updates/{data['jobHotUpdateId']}")
    got = result.json()["data"]
    assert got["status"]["status"] == "HOT_UPDATED", got
    assert got["jobId"] == new_job_id == got["newJobId"]
    assert got["sourceJobId"] == job.id
    assert rig.jobs.get(SCOPE, new_job_id).resources.parallelism == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"rescaleJobParam": {"jobParallelism": 0}}, 400, "InvalidParameter"),
        ({"rescaleJobParam": {"jobParallelism": "many"}}, 400, "InvalidParameter"),
        (None, 400, "HotUpdateNothingToChange"),
    ],
)
async def test_hot_update_bad_input(
    rig: Rig, client: httpx.AsyncClient, body: Any, status: int, code: str
) -> None:
    job = rig.running_job()
    answer = await client.post(f"{NS}/jobs/{job.id}%3AhotUpdate", json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code


async def test_hot_update_errors_for_missing_and_busy_jobs(
    rig: Rig, client: httpx.AsyncClient
) -> None:
    missing = await client.post(f"{NS}/jobs/nope%3AhotUpdate", json={})
    assert (missing.status_code, missing.json()["code"]) == (404, "JobNotFound")
    job = rig.running_job()
    body = {"rescaleJobParam": {"jobParallelism": 2}}
    assert (await client.post(f"{NS}/jobs/{job.id}%3AhotUpdate", json=body)).status_code == 200
    busy = await client.post(
        f"{NS}/jobs/{job.id}%3AhotUpdate", json={"rescaleJobParam": {"jobParallelism": 3}}
    )
    assert (busy.status_code, busy.json()["code"]) == (409, "HotUpdateInProgress")
    unknown = await client.get(f"{NS}/jobs/hot-updates/nope")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "HotUpdateNotFound")


async def test_diagnosis_reports_findings_from_flink(rig: Rig, client: httpx.AsyncClient) -> None:
    job = rig.running_job()
    answer = await client.get(
        f"{NS}/deployments/{job.deployment_id}/jobs/{job.id}/job-diagnoses/lite"
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    symptoms = data["symptoms"]
    names = {
        s["name"] for group in ("runtime", "state", "troubleshooting") for s in symptoms[group]
    }
    assert {"JobRestarts", "Backpressure", "CheckpointFailures", "OutOfMemoryError"} <= names
    assert symptoms["autopilot"]["name"] == "ScaleUp"
    assert data["riskLevel"] == "HIGH"
    assert 0 <= data["healthScore"] < 100
    assert (data["namespace"], data["workspace"]) == ("ns1", "default")
    other = await client.get(f"{NS}/deployments/other/jobs/{job.id}/job-diagnoses/lite")
    assert (other.status_code, other.json()["code"]) == (404, "JobNotFound")


async def test_proxy_reads_the_jobs_own_paths_only(rig: Rig, client: httpx.AsyncClient) -> None:
    job = rig.running_job()
    fid = job.flink_job_id

    async def proxy(path: str, **extra: str) -> httpx.Response:
        params = {
            "namespace": "ns1",
            "resourceId": job.id,
            "resourceType": "jobs",
            "flinkApiPath": path,
        }
        params.update(extra)
        return await client.get("/flink-ui/v2/proxy", params=params)

    own = await proxy(f"/jobs/{fid}/exceptions")
    assert own.status_code == 200, own.text
    assert isinstance(own.json()["data"], str)
    assert (
        "OutOfMemoryError"
        in json.loads(own.json()["data"])["exceptionHistory"]["entries"][0]["exceptionName"]
    )
    by_our_id = await proxy(f"/jobs/{job.id}/metrics?get=numRestarts")
    assert json.loads(by_our_id.json()["data"]) == [{"id": "numRestarts", "value": "4"}]
    assert ("GET", f"/jobs/{fid}/metrics", "get=numRestarts") in rig.rest["seen"]
    assert (await proxy("/overview")).status_code == 200
    for bad in (
        "/jobs/0123456789abcdef0123456789abcdef",
        f"/jobs/{fid}/../../jars",
        "/jars",
        "http://evil.example/x",
        "//evil.example/x",
        f"/jobs/{fid}/%2e%2e/x",
        "/jobmanager/log",
    ):
        refused = await proxy(bad)
        assert refused.status_code == 400, (bad, refused.text)
        assert refused.json()["code"] == "FlinkApiPathNotAllowed", bad
    assert not any("evil" in str(s) or "jars" in s[1] for s in rig.rest["seen"])
    unlisted = await proxy(f"/jobs/{fid}/nothing-here")
    assert (unlisted.status_code, unlisted.json()["code"]) == (400, "FlinkApiPathNotAllowed")
    missing = await proxy(f"/jobs/{fid}/vertices/v9/watermarks")
    assert (missing.status_code, missing.json()["code"]) == (404, "FlinkApiNotFound")
    kind = await proxy("/overview", resourceType="clusters")
    assert kind.status_code == 400
    nojob = await proxy("/overview", resourceId="nope")
    assert (nojob.status_code, nojob.json()["code"]) == (404, "JobNotFound")
    session = await proxy("/overview", resourceType="sessionclusters", resourceId="default")
    assert session.status_code == 200
    post = await client.post("/flink-ui/v2/proxy", params={"namespace": "ns1"})
    assert post.status_code == 405
