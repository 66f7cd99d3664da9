"""The clusters page shows each queue's use as a bar and its waiting jobs in start order
(console over real services: in-memory store, fake Flink, one admission pass)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from millstream.control.admission import Admitter
from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.services import (
    DeploymentPatch,
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.queues import QueuePatch, QueueService
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.web import build_console
from millstream.web.queue_views import queue_bars
from tests.fakes import FakeEngine, InMemoryStore

from .conftest import NS, WS, FakeAccess, sign_in

SCOPE = Scope(WS, NS)
ADMIN = Actor(id="u-admin", name="admin")


@dataclass
class Rig:
    services: Services
    store: InMemoryStore
    client: httpx.AsyncClient

    def start(self, name: str, priority: int = 0) -> str:
        patch = DeploymentPatch(
            name=name,
            artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL),
            queue="etl",
            priority=priority,
        )
        deployment = self.services.deployments.create(SCOPE, ADMIN, patch)
        return self.services.jobs.start(SCOPE, ADMIN, deployment.id).id


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    store = InMemoryStore()
    engine = FakeEngine()
    ensure_defaults(
        store, workspace=WS, namespace=NS, cluster_kind=ClusterKind.EXTERNAL, rest_url="http://f"
    )
    notifier = Notifier()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    services = Services(
        deployments=DeploymentService(store, engine, versions),
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
        queues=QueueService(store, default_workspace=WS),
    )
    app = FastAPI()
    app.include_router(
        build_console(
            services, access=FakeAccess(), flink_ui_url="http://ui/", secret_key=b"k" * 32
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as client:
        yield Rig(services, store, client)


async def test_clusters_page_shows_queue_use_and_the_waiting_line(rig: Rig) -> None:
    assert rig.services.queues is not None
    rig.services.queues.create(ADMIN, "etl", QueuePatch(capacity_cu=4.0))
    first = rig.start("first")
    second = rig.start("second")
    low = rig.start("low", priority=1)
    high = rig.start("high", priority=7)  # high and low start first: 2 + 2 of 4 CU
    Admitter(rig.store).run_iteration()
    await sign_in(rig.client)
    page = await rig.client.get("/console/clusters")
    assert page.status_code == 200, page.text
    section = page.text[page.text.index('id="queues"') :]
    assert "4 / 4 CU used" in section
    assert 'width="1000" height="12"><title>100% in use' in section
    waiting = re.findall(r'<tr data-job="([^"]+)">', section)
    assert waiting == [first, second]
    assert high not in waiting
    assert low not in waiting


def test_bars_are_clamped_and_toned() -> None:
    store = InMemoryStore()
    ensure_defaults(
        store, workspace=WS, namespace=NS, cluster_kind=ClusterKind.EXTERNAL, rest_url="http://f"
    )
    service = QueueService(store, default_workspace=WS)
    service.create(ADMIN, "idle", QueuePatch(capacity_cu=8.0))
    [bar] = queue_bars(service.list())
    assert (bar.used_percent, bar.tone, bar.free_cu) == (0, "ok", 8.0)
