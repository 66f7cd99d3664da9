"""Session cluster and deployment target routes through httpx ``ASGITransport``, over the
real ``ClusterService`` on a migrated SQLite store and the reconciler with fake processes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from millstream.api.app import build_app
from millstream.api.native.clusters import build_clusters_router
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.reconciler import Reconciler
from millstream.control.services.clusters import ClusterService
from millstream.domain.errors import EngineUnavailable
from millstream.domain.namespaces import Namespace
from millstream.store import SqlStore, upgrade
from tests.fakes import FakeEngine
from tests.unit.control.test_clusters import FakeProcesses

from .conftest import authenticate_admin
from .fakes import FakeWorld, fake_services

NS = "/api/v2/namespaces/ns1"
FLINK = "http://127.0.0.1:18081"


class Probe:
    def check(self, rest_url: str) -> dict[str, Any]:
        if rest_url != FLINK:
            raise EngineUnavailable(f"connection refused: {rest_url}")
        return {"taskmanagers": 1, "flink-version": "2.3.0"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    sql_store = SqlStore(url)
    with sql_store.transaction() as repos:
        repos.create_namespace(
            namespace=Namespace(
                id=str(uuid.uuid4()), workspace="default", name="ns1", created_at=datetime.now(UTC)
            )
        )
    yield sql_store
    sql_store.close()


@pytest.fixture
def service(store: SqlStore) -> ClusterService:
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    return ClusterService(store, Probe(), versions, default_workspace="default", default_slots=2)


@pytest.fixture
async def api(service: ClusterService) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(
        fake_services(FakeWorld()),
        authenticate_admin,
        routers=[lambda guard: build_clusters_router(service, guard)],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as client:
        yield client


SESSION = {
    "name": "s1",
    "engineVersion": "vvr-8.0.9-flink-1.17",
    "basicResourceSetting": {
        "parallelism": 4,
        "jobmanagerResourceSettingSpec": {"cpu": 1, "memory": "1 GiB"},
        "taskmanagerResourceSettingSpec": {"cpu": 1, "memory": "2 GiB"},
    },
    "flinkConf": {"taskmanager.numberOfTaskSlots": "2"},
    "labels": {"team": "a"},
}


async def test_session_cluster_lifecycle_over_http(api: httpx.AsyncClient, store: SqlStore) -> None:
    created = (await api.post(f"{NS}/sessionclusters", json=SESSION)).json()
    assert created["success"] is True
    data = created["data"]
    assert data["name"] == "s1"
    assert data["status"]["currentSessionClusterStatus"] == "STOPPED"
    assert data["basicResourceSetting"]["taskmanagerResourceSettingSpec"]["memory"] == "2 GiB"

    duplicate = await api.post(f"{NS}/sessionclusters", json=SESSION)
    assert duplicate.status_code == 409

    assert (await api.post(f"{NS}/sessionclusters/s1%3Astart")).json()["success"] is True
    got = (await api.get(f"{NS}/sessionclusters/s1")).json()["data"]
    assert got["status"]["currentSessionClusterStatus"] == "STARTING"

    processes = FakeProcesses()
    reconciler = Reconciler(store, FakeEngine(), processes=processes, default_slots=2)
    try:
        reconciler.run_iteration()
        reconciler.run_iteration()
    finally:
        reconciler.close()
    assert processes.specs["default/s1"].taskmanagers == 2
    listed = (await api.get(f"{NS}/sessionclusters")).json()["data"]
    assert [c["status"]["currentSessionClusterStatus"] for c in listed] == ["RUNNING"]
    assert listed[0]["status"]["running"]["referenceDeploymentIds"] == []

    patched = await api.patch(
        f"{NS}/sessionclusters/s1", json={"basicResourceSetting": {"parallelism": 6}}
    )
    body = patched.json()["data"]["basicResourceSetting"]
    assert (body["parallelism"], body["taskmanagerResourceSettingSpec"]["memory"]) == (6, "2 GiB")

    refused = await api.delete(f"{NS}/sessionclusters/s1")
    assert (refused.status_code, refused.json()["errorCode"]) == (409, "SessionClusterNotStopped")
    assert (await api.post(f"{NS}/sessionclusters/s1:stop")).status_code == 200
    stopping = await api.delete(f"{NS}/sessionclusters/s1")
    assert stopping.status_code == 409  # STOPPING: the reconciler has not stopped it yet
    reconciler = Reconciler(store, FakeEngine(), processes=processes)
    try:
        reconciler.run_iteration()
    finally:
        reconciler.close()
    deleted = await api.delete(f"{NS}/sessionclusters/s1")
    assert deleted.json()["data"]["status"]["currentSessionClusterStatus"] == "STOPPED"
    assert (await api.get(f"{NS}/sessionclusters/s1")).status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**SESSION, "name": "Bad Name"}, "InvalidClusterName"),
        ({**SESSION, "engineVersion": "spark-3"}, "InvalidEngineVersion"),
        ({**SESSION, "basicResourceSetting": {"parallelism": 0}}, "InvalidParameter"),
    ],
)
async def test_bad_session_cluster_is_a_400(
    api: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    answer = await api.post(f"{NS}/sessionclusters", json=body)
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == code


async def test_unknown_session_cluster_is_a_404(api: httpx.AsyncClient) -> None:
    answer = await api.get(f"{NS}/sessionclusters/nope")
    assert (answer.status_code, answer.json()["code"]) == (404, "SessionClusterNotFound")


async def test_deployment_target_without_url_names_the_wire_field(api: httpx.AsyncClient) -> None:
    answer = await api.post(
        f"{NS}/deployment-targets",
        params={"deploymentTargetName": "ext"},
        json={"cpu": 4, "memory": "16 GiB"},
    )
    body = answer.json()
    assert (answer.status_code, body["code"]) == (400, "FlinkRestUrlRequired")
    assert body["message"].startswith("flinkRestUrl is required")


async def test_deployment_targets_over_http(api: httpx.AsyncClient) -> None:
    unreachable = await api.post(
        f"{NS}/deployment-targets",
        params={"deploymentTargetName": "ext"},
        json={"cpu": 4, "memory": "16 GiB", "flinkRestUrl": "http://127.0.0.1:1"},
    )
    assert (unreachable.status_code, unreachable.json()["errorCode"]) == (
        400,
        "FlinkRestUrlUnreachable",
    )
    created = await api.post(
        f"{NS}/deployment-targets",
        params={"deploymentTargetName": "ext"},
        json={"cpu": 4, "memory": "16 GiB", "flinkRestUrl": FLINK},
    )
    assert created.json()["data"] == {
        "name": "ext",
        "namespace": "ns1",
        "quota": {"limit": {"cpu": 4.0, "memory": "16 GiB"}, "request": None, "used": None},
        "flinkRestUrl": FLINK,
    }
    updated = await api.put(f"{NS}/deployment-targets/ext", json={"cpu": 2, "memory": "8 GiB"})
    assert updated.json()["data"]["quota"]["limit"] == {"cpu": 2.0, "memory": "8 GiB"}
    listed = (await api.get(f"{NS}/deployment-targets")).json()
    assert [t["name"] for t in listed["data"]] == ["ext"]
    assert listed["totalSize"] == 1
    assert (await api.delete(f"{NS}/deployment-targets/ext")).status_code == 200
    missing = await api.delete(f"{NS}/deployment-targets/ext")
    assert missing.status_code == 404
