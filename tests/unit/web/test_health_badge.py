"""The console shows a deployment's health: an UNHEALTHY badge with the reason on the
deployment page and on its job's page, nothing when the deployment is not checked."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from millstream.control.context import SYSTEM, Scope
from millstream.control.services import DeploymentPatch
from millstream.control.services.health import HealthService
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.health import (
    HealthPolicy,
    HealthState,
    HealthStatus,
    UnhealthyReason,
)
from millstream.web import build_console
from tests.unit.web.conftest import NS, WS, World, sign_in

SQL = (
    "CREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen');\n"
    "CREATE TEMPORARY TABLE t (a INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO t SELECT a FROM s;"
)


class _Repos:
    def __init__(self, statuses: dict[str, HealthStatus]) -> None:
        self.statuses = statuses

    def read_health_policy(self, *, deployment_id: str) -> HealthPolicy | None:  # noqa: ARG002
        return None

    def read_health_policies(self) -> list[HealthPolicy]:
        return []

    def write_health_policy(self, *, policy: HealthPolicy) -> None:  # noqa: ARG002
        raise AssertionError("not written here")

    def delete_health_policy(self, *, deployment_id: str) -> bool:  # noqa: ARG002
        return False

    def read_health_status(self, *, deployment_id: str) -> HealthStatus | None:
        return self.statuses.get(deployment_id)

    def read_health_statuses(self, *, deployment_ids: Collection[str]) -> list[HealthStatus]:
        return [s for key, s in self.statuses.items() if key in deployment_ids]

    def write_health_status(self, *, status: HealthStatus) -> None:
        self.statuses[status.deployment_id] = status


class _HealthStore:
    def __init__(self) -> None:
        self.repos = _Repos({})

    @contextmanager
    def transaction(self) -> Iterator[_Repos]:
        yield self.repos


@pytest.fixture
async def checked(world: World) -> AsyncIterator[tuple[World, _HealthStore]]:
    health = _HealthStore()
    services = dataclasses.replace(
        world.services, health=HealthService(health, world.services.deployments)
    )
    app = FastAPI()
    app.include_router(
        build_console(services, access=world.access, flink_ui_url=lambda: "", secret_key=b"k" * 32)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as client:
        yield dataclasses.replace(world, services=services, client=client), health


async def test_unhealthy_badge_on_deployment_and_job_pages(
    checked: tuple[World, _HealthStore],
) -> None:
    world, health = checked
    await sign_in(world.client)
    scope = Scope(WS, NS)
    artifact = Artifact(ArtifactKind.SQLSCRIPT, sql_script=SQL)
    deployment = world.services.deployments.create(
        scope, SYSTEM, DeploymentPatch(name="orders", artifact=artifact)
    )
    job = world.services.jobs.start(scope, SYSTEM, deployment.id)
    page = await world.client.get(f"/console/deployments/{deployment.id}")
    assert page.status_code == 200
    assert 'id="deployment-health"' not in page.text  # not checked: no badge
    health.repos.statuses[deployment.id] = HealthStatus(
        deployment.id,
        WS,
        NS,
        state=HealthState.UNHEALTHY,
        reason=UnhealthyReason.RESTARTS,
        message="restarted 4 times in the last 10m (at most 3 allowed)",
        since=datetime.now(UTC),
        job_id=job.id,
    )
    page = await world.client.get(f"/console/deployments/{deployment.id}")
    assert 'id="deployment-health"' in page.text
    assert "unhealthy: restarted 4 times in the last 10m" in page.text
    job_page = await world.client.get(f"/console/jobs/{job.id}")
    assert job_page.status_code == 200
    assert 'id="job-health"' in job_page.text
