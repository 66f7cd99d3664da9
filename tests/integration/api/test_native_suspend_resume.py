"""SuspendJob / ResumeJob and the deployment's ``restartPolicy`` (Millstream extensions of
the native dialect) through HTTP (ASGITransport), over real SQLite with its migrations, the
real services and reconciler, and a fake Flink."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request

from millstream.api.app import build_app
from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
from millstream.control.context import Actor
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.reconciler import Reconciler
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.domain.clusters import ClusterKind
from millstream.store import SqlStore, upgrade
from tests.fakes import FakeEngine, FakeFlink

ADMIN = Actor("admin-id", "admin")
NS = "/api/v2/namespaces/ns1"
HEADERS = {"workspace": "default"}


@dataclass
class Rig:
    store: SqlStore
    flink: FakeFlink
    reconciler: Reconciler
    client: httpx.AsyncClient

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.reconciler.run_iteration()


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[SqlStore, FakeFlink, Reconciler, Services]]:
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
    services = Services(
        deployments=DeploymentService(store, engine, versions),
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace="default",
    )
    reconciler = Reconciler(store, engine, details_interval=0.0)
    yield store, flink, reconciler, services
    reconciler.close()
    store.close()


@pytest.fixture
async def rig(parts: tuple[SqlStore, FakeFlink, Reconciler, Services]) -> AsyncIterator[Rig]:
    store, flink, reconciler, services = parts

    def authenticate(request: Request) -> Actor:  # noqa: ARG001 - the guard's shape
        return ADMIN

    app = build_app(services, authenticate)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://m", headers=HEADERS) as c:
        yield Rig(store, flink, reconciler, c)


def _deployment(**extra: Any) -> dict[str, Any]:
    return {
        "name": "orders",
        "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": DEMO_SQL}},
        **extra,
    }


def _data(response: httpx.Response, status: int = 200) -> Any:
    body = response.json()
    assert response.status_code == status, body
    return body["data"] if status == 200 else body


async def _running_job(rig: Rig) -> dict[str, Any]:
    deployment = _data(await rig.client.post(f"{NS}/deployments", json=_deployment()))
    job = _data(
        await rig.client.post(
            f"{NS}/jobs%3Astart", json={"deploymentId": deployment["deploymentId"]}
        )
    )
    rig.tick()
    rig.flink.set_state(_fid(rig), "RUNNING")
    rig.tick()
    running: dict[str, Any] = _data(await rig.client.get(f"{NS}/jobs/{job['jobId']}"))
    assert running["status"]["currentJobStatus"] == "RUNNING"
    return running


def _fid(rig: Rig) -> str:
    (fid,) = [fid for fid, job in rig.flink.jobs.items() if job.state != "FINISHED"]
    return fid


async def test_suspend_then_resume_through_the_native_api(rig: Rig) -> None:
    job = await _running_job(rig)
    job_id = job["jobId"]
    suspending = _data(await rig.client.post(f"{NS}/jobs/{job_id}%3Asuspend"))
    assert suspending["jobId"] == job_id
    rig.tick(3)
    suspended = _data(await rig.client.get(f"{NS}/jobs/{job_id}"))
    assert suspended["status"]["currentJobStatus"] == "SUSPENDED"
    savepoints = _data(
        await rig.client.get(f"{NS}/savepoints", params={"deploymentId": job["deploymentId"]})
    )
    (savepoint,) = savepoints
    assert savepoint["status"]["state"] == "COMPLETED"

    resumed = _data(await rig.client.post(f"{NS}/jobs/{job_id}:resume"))
    assert resumed["jobId"] == job_id
    rig.tick()
    submitted = [j.submission for j in rig.flink.jobs.values() if j.state == "INITIALIZING"]
    assert [s.savepoint_path for s in submitted] == [savepoint["savepointLocation"]]
    started = _data(await rig.client.get(f"{NS}/jobs/{job_id}"))
    assert started["status"]["currentJobStatus"] == "STARTING"
    events = _data(
        await rig.client.get(
            f"{NS}/events", params={"deploymentId": job["deploymentId"], "pageSize": 100}
        )
    )
    names = {e["eventName"] for e in events}
    assert {"JOB_SUSPEND_REQUESTED", "JOB_SUSPENDED", "JOB_RESUME_REQUESTED"} <= names


async def test_suspend_and_resume_refuse_jobs_in_the_wrong_status(rig: Rig) -> None:
    job = await _running_job(rig)
    resume = await rig.client.post(f"{NS}/jobs/{job['jobId']}%3Aresume")
    assert _data(resume, 409)["errorCode"] == "InvalidJobStatus"
    _data(await rig.client.post(f"{NS}/jobs/{job['jobId']}%3Asuspend"))
    again = await rig.client.post(f"{NS}/jobs/{job['jobId']}%3Asuspend")
    assert _data(again, 409)["errorCode"] == "InvalidJobStatus"
    unknown = await rig.client.post(f"{NS}/jobs/00000000-0000-0000-0000-000000000000%3Asuspend")
    assert _data(unknown, 404)["errorCode"] == "JobNotFound"


async def test_restart_policy_is_created_merged_on_update_and_shown(rig: Rig) -> None:
    created = _data(
        await rig.client.post(
            f"{NS}/deployments",
            json=_deployment(restartPolicy={"enabled": True, "maxRestartsPerHour": 5}),
        )
    )
    assert created["restartPolicy"] == {"enabled": True, "maxRestartsPerHour": 5}
    dep_id = created["deploymentId"]
    updated = _data(
        await rig.client.put(
            f"{NS}/deployments/{dep_id}", json={"restartPolicy": {"enabled": False}}
        )
    )
    assert updated["restartPolicy"] == {"enabled": False, "maxRestartsPerHour": 5}
    plain = _data(await rig.client.post(f"{NS}/deployments", json=_deployment(name="plain")))
    assert plain["restartPolicy"] == {"enabled": False, "maxRestartsPerHour": 3}


@pytest.mark.parametrize("body", [{"maxRestartsPerHour": 0}, {"maxRestartsPerHour": 100000}])
async def test_bad_restart_policy_is_a_clear_400(rig: Rig, body: dict[str, Any]) -> None:
    response = await rig.client.post(f"{NS}/deployments", json=_deployment(restartPolicy=body))
    envelope = _data(response, 400)
    assert envelope["success"] is False
    assert "maximum restarts per hour" in envelope["errorMessage"]


async def test_restart_policy_of_the_wrong_type_is_a_400(rig: Rig) -> None:
    response = await rig.client.post(
        f"{NS}/deployments", json=_deployment(restartPolicy={"maxRestartsPerHour": "many"})
    )
    assert _data(response, 400)["success"] is False
