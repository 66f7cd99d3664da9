"""Health checks through the native API (GetDeploymentHealth, Get/Put/DeleteHealthPolicy,
a Millstream extension) and the leader's ``HealthChecker`` over real services on SQLite:
a policy round trip that outlives the app, bad input as 400s in the native envelope, an
unknown deployment as 404; restarts marking the deployment UNHEALTHY (visible in the API
and as an event); a failed new spec rolled back to the last stable spec."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from millstream.api.app import build_app
from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import SYSTEM, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.health_actions import HealthActions
from millstream.control.health_checks import HealthChecker
from millstream.control.notifier import Notifier
from millstream.control.ports import Page
from millstream.control.services import (
    DeploymentPatch,
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.health import HealthService, PolicyFields
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.domain.health import Action, HealthState, UnhealthyReason
from millstream.domain.jobs import DesiredState, Failure, JobStatus, RestoreKind
from millstream.domain.observed import ObservedState
from millstream.store import SqlStore, upgrade
from millstream.store.drafts import DraftStore
from millstream.store.health import SqlHealthStore
from tests.fakes import FakeEngine

from .conftest import authenticate_admin

WS, NS = "default", "ns1"
SCOPE = Scope(WS, NS)
SQL = (
    "CREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen');\n"
    "CREATE TEMPORARY TABLE t (a INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO t SELECT a FROM s;"
)
T0 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)


def _services(store: SqlStore) -> Services:
    engine = FakeEngine()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    notifier = Notifier()
    deployments = DeploymentService(store, engine, versions)
    return Services(
        deployments=deployments,
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
        health=HealthService(SqlHealthStore(store.engine), deployments),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    opened = SqlStore(url)
    ensure_defaults(
        opened,
        workspace=WS,
        namespace=NS,
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url="http://flink.invalid:8081",
    )
    yield opened
    opened.close()


async def _client(store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(_services(store), authenticate_admin, max_body_bytes=64 * 1024)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


def _deployment(store: SqlStore, sql: str = SQL) -> str:
    artifact = Artifact(ArtifactKind.SQLSCRIPT, sql_script=sql)
    patch = DeploymentPatch(name="orders", artifact=artifact)
    return _services(store).deployments.create(SCOPE, SYSTEM, patch).id


def _path(deployment_id: str, tail: str = "health-policy") -> str:
    return f"/api/v2/namespaces/{NS}/deployments/{deployment_id}/{tail}"


def _data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    data: dict[str, Any] = body["data"]
    return data


async def test_policy_round_trip_survives_a_restart_and_delete(store: SqlStore) -> None:
    deployment_id = _deployment(store)
    body = {"maxRestarts": 3, "restartWindowSeconds": 300, "autoRestart": True}
    async for client in _client(store):
        written = _data(await client.put(_path(deployment_id), json=body))
        assert (written["maxRestarts"], written["autoRestart"]) == (3, True)
        assert written["checkpointStallSeconds"] is None
    async for client in _client(store):  # a new app over the same database
        read = _data(await client.get(_path(deployment_id)))
        assert (read["maxRestarts"], read["restartWindowSeconds"]) == (3, 300)
        health = _data(await client.get(_path(deployment_id, "health")))
        assert health["state"] == "UNKNOWN"
        assert health["policy"]["maxRestarts"] == 3
        assert (await client.delete(_path(deployment_id))).status_code == 200
        assert (await client.get(_path(deployment_id))).status_code == 404
        assert (await client.delete(_path(deployment_id))).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"maxRestarts": -1},
        {"maxRestarts": "many"},
        {"restartWindowSeconds": 0},
        {"checkpointStallSeconds": 10**9},
        {"rollback": True, "readinessTimeoutSeconds": 30, "stablePeriodSeconds": 60},
        {"autoRestart": "sometimes"},
        {"healthy": True},
    ],
)
async def test_bad_policies_are_400_in_the_native_envelope(
    store: SqlStore, body: dict[str, Any]
) -> None:
    deployment_id = _deployment(store)
    async for client in _client(store):
        response = await client.put(_path(deployment_id), json=body)
        assert response.status_code == 400, response.text
        envelope = response.json()
        assert envelope["success"] is False
        assert envelope["errorMessage"]


async def test_unknown_deployment_is_404(store: SqlStore) -> None:
    async for client in _client(store):
        for path in (_path("no-such-id"), _path("no-such-id", "health")):
            response = await client.get(path)
            assert response.status_code == 404
            assert response.json()["success"] is False


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _checker(store: SqlStore, clock: Callable[[], datetime]) -> HealthChecker:
    services = _services(store)
    actions = HealthActions(
        store, services.jobs, services.deployments, revisions=DraftStore(store.engine)
    )
    return HealthChecker(SqlHealthStore(store.engine), store, actions, clock=clock)


def _set_job(store: SqlStore, job_id: str, **changes: Any) -> None:
    with store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
        assert job is not None
        observed = changes.pop("observed", {})
        for key, value in changes.items():
            setattr(job, key, value)
        for key, value in observed.items():
            setattr(job.observed, key, value)
        repos.update_job(job=job)


def _events(store: SqlStore, deployment_id: str) -> list[str]:
    events, _ = EventService(store).list(SCOPE, Page(0, 100), deployment_id=deployment_id)
    return [f"{e.name.value}: {e.message}" for e in events]


def _running(store: SqlStore, job_id: str, restarts: int = 0) -> None:
    _set_job(
        store,
        job_id,
        status=JobStatus.RUNNING,
        flink_job_id="f" * 32,
        observed={"state": ObservedState.RUNNING, "restarts": restarts},
    )


async def test_restarts_make_the_deployment_unhealthy_visibly(store: SqlStore) -> None:
    deployment_id = _deployment(store)
    services = _services(store)
    assert services.health is not None
    policy = services.health.put_policy(SCOPE, SYSTEM, deployment_id, PolicyFields(max_restarts=1))
    job = services.jobs.start(SCOPE, SYSTEM, deployment_id)
    _running(store, job.id)
    clock = Clock()
    checker = _checker(store, clock)
    status = checker.check(policy)
    assert status is not None
    assert status.state is HealthState.HEALTHY
    clock.now += timedelta(seconds=5)
    _running(store, job.id, restarts=2)
    status = checker.check(policy)
    assert status is not None
    assert (status.state, status.reason) == (HealthState.UNHEALTHY, UnhealthyReason.RESTARTS)
    assert any(
        e.startswith("JOB_UNHEALTHY: unhealthy (RESTARTS)") for e in _events(store, deployment_id)
    )
    async for client in _client(store):
        health = _data(await client.get(_path(deployment_id, "health")))
        assert (health["state"], health["reason"], health["jobId"]) == (
            "UNHEALTHY",
            "RESTARTS",
            job.id,
        )
        assert health["since"] is not None


def test_failed_new_spec_is_rolled_back_to_the_last_stable_spec(store: SqlStore) -> None:
    deployment_id = _deployment(store)
    services = _services(store)
    assert services.health is not None
    fields = PolicyFields(rollback=True, stable_period_seconds=10, readiness_timeout_seconds=60)
    policy = services.health.put_policy(SCOPE, SYSTEM, deployment_id, fields)
    clock = Clock()
    checker = _checker(store, clock)
    stable = services.jobs.start(SCOPE, SYSTEM, deployment_id)
    stable_version = services.deployments.get(SCOPE, deployment_id).version
    _running(store, stable.id)
    checker.check(policy)
    clock.now += timedelta(seconds=11)
    status = checker.check(policy)
    assert status is not None
    assert status.stable_job_id == stable.id
    # The upgrade: stop, change the SQL, start; the new job fails.
    _set_job(store, stable.id, status=JobStatus.CANCELLED, desired=DesiredState.STOPPED)
    bad_sql = SQL.replace("SELECT a", "SELECT a + 1")
    bad_patch = DeploymentPatch(artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=bad_sql))
    services.deployments.update(SCOPE, SYSTEM, deployment_id, bad_patch)
    bad = services.jobs.start(SCOPE, SYSTEM, deployment_id)
    clock.now += timedelta(seconds=5)
    checker.check(policy)  # first sight of the new job: starting, within the timeout
    _set_job(store, bad.id, status=JobStatus.FAILED, failure=Failure("boom", "X", clock.now))
    clock.now += timedelta(seconds=1)
    status = checker.check(policy)  # failed: rolled back at once (it had ended already)
    assert status is not None
    assert status.pending_action is None
    assert status.reason is UnhealthyReason.NOT_READY
    deployment = services.deployments.get(SCOPE, deployment_id)
    assert deployment.artifact.sql_script == SQL
    jobs, _ = services.jobs.list(SCOPE, deployment_id, Page(0, 10))
    assert jobs[0].id not in (stable.id, bad.id)
    assert jobs[0].desired is DesiredState.RUNNING
    rolled = [e for e in _events(store, deployment_id) if e.startswith("DEPLOYMENT_ROLLED_BACK")]
    assert len(rolled) == 1, _events(store, deployment_id)
    assert f"version {stable_version}" in rolled[0]
    assert "boom" in rolled[0]
    with DraftStore(store.engine).transaction() as repos:
        kept = repos.read_revisions(workspace=WS, namespace=NS, deployment_id=deployment_id)
    assert kept[0].spec.artifact is not None
    assert kept[0].spec.artifact.sql_script == bad_sql
    # The next round sees the rollback's job and does not act again.
    assert checker.check(policy) is not None
    jobs_after, _ = services.jobs.list(SCOPE, deployment_id, Page(0, 10))
    assert len(jobs_after) == len(jobs)


def test_auto_restart_stops_the_unhealthy_job_then_starts_from_latest_state(
    store: SqlStore,
) -> None:
    deployment_id = _deployment(store)
    services = _services(store)
    assert services.health is not None
    fields = PolicyFields(max_restarts=0, auto_restart=True)
    policy = services.health.put_policy(SCOPE, SYSTEM, deployment_id, fields)
    job = services.jobs.start(SCOPE, SYSTEM, deployment_id)
    _running(store, job.id)
    clock = Clock()
    checker = _checker(store, clock)
    checker.check(policy)
    clock.now += timedelta(seconds=2)
    _running(store, job.id, restarts=1)
    status = checker.check(policy)
    assert status is not None
    assert status.pending_action is Action.RESTART
    assert services.jobs.get(SCOPE, job.id).desired is DesiredState.STOPPED  # cancel asked
    clock.now += timedelta(seconds=1)
    assert checker.check(policy) == status  # still running: wait for the stop
    _set_job(store, job.id, status=JobStatus.CANCELLED)
    clock.now += timedelta(seconds=1)
    status = checker.check(policy)
    assert status is not None
    assert status.pending_action is None
    jobs, _ = services.jobs.list(SCOPE, deployment_id, Page(0, 10))
    assert jobs[0].id != job.id
    assert jobs[0].restore.kind is RestoreKind.LATEST_STATE
    restarted = [e for e in _events(store, deployment_id) if e.startswith("HEALTH_RESTART")]
    assert len(restarted) == 1
    assert "restarted 1 time in the last 10m" in restarted[0]
