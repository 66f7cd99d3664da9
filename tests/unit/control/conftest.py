"""Services and a reconciler wired to the in-memory store and a fake Flink."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.reconciler import Reconciler
from millstream.control.services import (
    DeploymentPatch,
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.domain.deployments import Deployment
from tests.fakes import FakeEngine, FakeFlink, InMemoryStore

SCOPE = Scope("ws", "ns")
ALICE = Actor("alice-id", "alice")


@dataclass
class World:
    store: InMemoryStore
    engine: FakeEngine
    flink: FakeFlink
    services: Services
    reconciler: Reconciler

    def deployment(self, name: str = "d1", sql: str = DEMO_SQL, **kwargs: object) -> Deployment:
        return self.services.deployments.create(
            SCOPE,
            ALICE,
            DeploymentPatch(
                name=name,
                artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=sql),
                **kwargs,  # type: ignore[arg-type]
            ),
        )

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.reconciler.run_iteration()


@pytest.fixture
def world() -> Iterator[World]:
    store = InMemoryStore()
    flink = FakeFlink()
    engine = FakeEngine(flink)
    ensure_defaults(
        store,
        workspace="ws",
        namespace="ns",
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
        default_workspace="ws",
    )
    reconciler = Reconciler(store, engine, details_interval=0.0)
    yield World(store, engine, flink, services, reconciler)
    reconciler.close()
