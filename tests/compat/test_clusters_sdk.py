"""The official ``alibabacloud-ververica20220718`` SDK drives session clusters and
deployment targets against a live uvicorn server.

Real ``ClusterService`` over a migrated SQLite store; deployment targets are health
checked by the real ``FlinkProbe`` against a stand-in Flink REST server (``GET
/overview``) on 127.0.0.1; session cluster status moves through the real reconciler with
fake processes (real processes: tests/integration/engine/test_cluster_manager.py).
The ``flinkRestUrl`` extension is sent the way a user would: a ``ResourceSpec`` subclass.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from fastapi import FastAPI
from tests.fakes import FakeEngine
from tests.integration.api.conftest import authenticate_admin
from tests.integration.api.fakes import FakeWorld, fake_services
from tests.ports import free_port
from tests.unit.control.test_clusters import FakeProcesses

from millstream.api.app import build_app
from millstream.api.native.clusters import build_clusters_router
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.reconciler import Reconciler
from millstream.control.services.clusters import ClusterService
from millstream.domain.namespaces import Namespace
from millstream.engine.cluster_manager import FlinkProbe
from millstream.store import SqlStore, upgrade

NAMESPACE = "ns1"


class FlinkTarget(vv.ResourceSpec):  # type: ignore[misc]  # the SDK is untyped
    """``ResourceSpec`` + Millstream's ``flinkRestUrl`` (user code; the SDK is unchanged)."""

    def __init__(self, flink_rest_url: str, cpu: float | None = None, memory: str | None = None):
        super().__init__(cpu=cpu, memory=memory)
        self.flink_rest_url = flink_rest_url

    def to_map(self) -> dict[str, Any]:
        result: dict[str, Any] = super().to_map()
        result["flinkRestUrl"] = self.flink_rest_url
        return result


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@dataclass
class Live:
    sdk: Client
    store: SqlStore
    flink_url: str


def _serve(app: FastAPI, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return server, thread


def _fake_flink() -> FastAPI:
    app = FastAPI()

    @app.get("/overview")
    def overview() -> dict[str, Any]:
        return {"taskmanagers": 1, "slots-total": 4, "slots-available": 4, "flink-version": "2.3.0"}

    return app


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    directory: Path = tmp_path_factory.mktemp("clusters-sdk")
    url = f"sqlite:///{directory / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    with store.transaction() as repos:
        repos.create_namespace(
            namespace=Namespace(
                id=str(uuid.uuid4()),
                workspace="default",
                name=NAMESPACE,
                created_at=datetime.now(UTC),
            )
        )
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    service = ClusterService(store, FlinkProbe(timeout=2), versions, default_workspace="default")
    app = build_app(
        fake_services(FakeWorld()),
        authenticate_admin,
        routers=[lambda guard: build_clusters_router(service, guard)],
    )
    flink_port, api_port = _free_port(), _free_port()
    flink_server, flink_thread = _serve(_fake_flink(), flink_port)
    api_server, api_thread = _serve(app, api_port)
    config = open_api_models.Config(
        access_key_id="x", access_key_secret="y", endpoint=f"127.0.0.1:{api_port}", protocol="http"
    )
    try:
        yield Live(Client(config), store, f"http://127.0.0.1:{flink_port}")
    finally:
        for server, thread in ((api_server, api_thread), (flink_server, flink_thread)):
            server.should_exit = True
            thread.join(timeout=10)
        store.close()


def _tick(store: SqlStore, processes: FakeProcesses, times: int = 1) -> None:
    reconciler = Reconciler(store, FakeEngine(), processes=processes)
    try:
        for _ in range(times):
            reconciler.run_iteration()
    finally:
        reconciler.close()


def test_session_cluster_operations_through_the_sdk(live: Live) -> None:
    sdk = live.sdk
    body = vv.SessionCluster(
        name="sdk-session",
        engine_version="vvr-8.0.9-flink-1.17",
        basic_resource_setting=vv.BasicResourceSetting(
            parallelism=2,
            jobmanager_resource_setting_spec=vv.BasicResourceSettingSpec(cpu=1, memory="1 GiB"),
            taskmanager_resource_setting_spec=vv.BasicResourceSettingSpec(cpu=1, memory="1 GiB"),
        ),
        flink_conf={"taskmanager.numberOfTaskSlots": "2"},
        labels={"team": "a"},
        logging=vv.Logging(
            log_4j_loggers=[vv.Log4jLogger(logger_name="org.apache", logger_level="WARN")]
        ),
    )
    created = sdk.create_session_cluster(NAMESPACE, vv.CreateSessionClusterRequest(body=body))
    cluster = created.body.data
    assert created.body.success is True
    assert cluster.name == "sdk-session"
    assert cluster.session_cluster_id
    assert cluster.status.current_session_cluster_status == "STOPPED"
    assert cluster.basic_resource_setting.parallelism == 2
    assert cluster.labels == {"team": "a"}

    sdk.start_session_cluster(NAMESPACE, "sdk-session")
    status = sdk.get_session_cluster(NAMESPACE, "sdk-session").body.data.status
    assert status.current_session_cluster_status == "STARTING"
    processes = FakeProcesses()
    _tick(live.store, processes, times=2)
    running = sdk.get_session_cluster(NAMESPACE, "sdk-session").body.data
    assert running.status.current_session_cluster_status == "RUNNING"
    assert running.status.running.started_at is not None
    assert running.status.running.reference_deployment_ids == []

    listed = sdk.list_session_clusters(NAMESPACE).body.data
    assert [c.name for c in listed] == ["sdk-session"]

    updated = sdk.update_session_cluster(
        NAMESPACE,
        "sdk-session",
        vv.UpdateSessionClusterRequest(body=vv.SessionCluster(labels={"team": "b"})),
    ).body.data
    assert updated.labels == {"team": "b"}
    assert updated.basic_resource_setting.parallelism == 2

    with pytest.raises(ClientException) as refused:
        sdk.delete_session_cluster(NAMESPACE, "sdk-session")
    assert refused.value.code == "SessionClusterNotStopped"
    sdk.stop_session_cluster(NAMESPACE, "sdk-session")
    _tick(live.store, processes)
    deleted = sdk.delete_session_cluster(NAMESPACE, "sdk-session").body
    assert deleted.data.status.current_session_cluster_status == "STOPPED"
    with pytest.raises(ClientException) as missing:
        sdk.get_session_cluster(NAMESPACE, "sdk-session")
    assert missing.value.code == "SessionClusterNotFound"


def test_bad_session_cluster_through_the_sdk(live: Live) -> None:
    with pytest.raises(ClientException) as bad:
        live.sdk.create_session_cluster(
            NAMESPACE,
            vv.CreateSessionClusterRequest(
                body=vv.SessionCluster(name="s2", engine_version="spark-3.5")
            ),
        )
    assert bad.value.code == "InvalidEngineVersion"
    assert "valid:" in (bad.value.message or "")


def test_deployment_target_operations_through_the_sdk(live: Live) -> None:
    sdk = live.sdk
    with pytest.raises(ClientException) as unreachable:
        sdk.create_deployment_target(
            NAMESPACE,
            vv.CreateDeploymentTargetRequest(
                deployment_target_name="ext",
                body=FlinkTarget(f"http://127.0.0.1:{_free_port()}", cpu=4, memory="16 GiB"),
            ),
        )
    assert unreachable.value.code == "FlinkRestUrlUnreachable"
    with pytest.raises(ClientException) as plain:
        sdk.create_deployment_target(
            NAMESPACE,
            vv.CreateDeploymentTargetRequest(
                deployment_target_name="ext", body=vv.ResourceSpec(cpu=4, memory="16 GiB")
            ),
        )
    assert plain.value.code == "FlinkRestUrlRequired"

    created = sdk.create_deployment_target(
        NAMESPACE,
        vv.CreateDeploymentTargetRequest(
            deployment_target_name="ext",
            body=FlinkTarget(live.flink_url, cpu=4, memory="16 GiB"),
        ),
    ).body.data
    assert (created.name, created.namespace) == ("ext", NAMESPACE)
    assert (created.quota.limit.cpu, created.quota.limit.memory) == (4, "16 GiB")

    listed = sdk.list_deployment_targets(
        NAMESPACE, vv.ListDeploymentTargetsRequest(page_index=1, page_size=10)
    ).body
    assert [t.name for t in listed.data] == ["ext"]
    assert listed.total_size == 1

    updated = sdk.update_deployment_target(
        NAMESPACE,
        "ext",
        vv.UpdateDeploymentTargetRequest(body=vv.ResourceSpec(cpu=2, memory="8 GiB")),
    ).body.data
    assert (updated.quota.limit.cpu, updated.quota.limit.memory) == (2, "8 GiB")

    deleted = sdk.delete_deployment_target(NAMESPACE, "ext").body.data
    assert deleted.name == "ext"
    with pytest.raises(ClientException) as missing:
        sdk.delete_deployment_target(NAMESPACE, "ext")
    assert missing.value.code == "DeploymentTargetNotFound"
