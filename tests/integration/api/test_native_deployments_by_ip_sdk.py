"""Native GetDeploymentsByIp through the official ververica SDK client, against the app
served by uvicorn in-process: real services on SQLite, jobs brought to RUNNING by the
reconciler on a fake Flink, and the real ``FlinkInspector`` (the diagnosis service's
proxy) on a ``MockTransport`` Flink REST API that says where each vertex runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions

from millstream.api.app import build_app
from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
from millstream.control.context import SYSTEM, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.ports import Page
from millstream.control.reconciler import Reconciler
from millstream.control.services import (
    DeploymentPatch,
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.diagnosis import DiagnosisService
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.engine.inspect import FlinkInspector
from millstream.store import SqlStore, upgrade
from tests.fakes import FakeEngine, FakeFlink
from tests.ports import free_port

from .conftest import authenticate_admin

WS, NS = "default", "ns1"
SCOPE = Scope(WS, NS)


def _flink_rest(placement: dict[str, dict[str, list[str]]]) -> httpx.MockTransport:
    """Flink's REST API: ``placement[flink job id][vertex id]`` lists TaskManager endpoints."""

    def handle(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if len(parts) >= 3 and parts[1] == "jobs" and parts[2] in placement:
            vertices = placement[parts[2]]
            if len(parts) == 3:
                listed = [{"id": vid, "name": vid} for vid in vertices]
                return httpx.Response(200, json={"jid": parts[2], "vertices": listed})
            if len(parts) == 6 and parts[3] == "vertices" and parts[5] == "taskmanagers":
                rows = [
                    {"endpoint": endpoint, "taskmanager-id": f"tm-{i}", "status": "RUNNING"}
                    for i, endpoint in enumerate(vertices.get(parts[4], []))
                ]
                return httpx.Response(200, json={"id": parts[4], "taskmanagers": rows})
        return httpx.Response(404, json={"errors": ["Not found: " + request.url.path]})

    return httpx.MockTransport(handle)


@dataclass
class Stack:
    sdk: Any
    store: SqlStore
    flink: FakeFlink
    deployments: DeploymentService
    jobs: JobService
    reconciler: Reconciler
    placement: dict[str, dict[str, list[str]]]

    def running(self, name: str, where: dict[str, list[str]]) -> str:
        """A deployment called ``name`` whose job runs with ``where`` as its placement."""
        deployment = self.deployments.create(
            SCOPE,
            SYSTEM,
            DeploymentPatch(
                name=name, artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL)
            ),
        )
        job = self.jobs.start(SCOPE, SYSTEM, deployment.id)
        self.reconciler.run_iteration()
        flink_job_id = self.jobs.get(SCOPE, job.id).flink_job_id
        assert flink_job_id is not None
        self.flink.set_state(flink_job_id, "RUNNING")
        self.reconciler.run_iteration()
        self.placement[flink_job_id] = where
        return deployment.id


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    flink = FakeFlink()
    engine = FakeEngine(flink)
    ensure_defaults(
        store,
        workspace=WS,
        namespace=NS,
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url=flink.rest_url,
    )
    notifier = Notifier()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    placement: dict[str, dict[str, list[str]]] = {}
    inspector = FlinkInspector(timeout=5, transport=_flink_rest(placement))
    services = Services(
        deployments=DeploymentService(store, engine, versions),
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
        diagnosis=DiagnosisService(store, inspector),
    )
    reconciler = Reconciler(store, engine, details_interval=0.0)
    port = _free_port()
    app = build_app(services, authenticate_admin)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    config = open_api_models.Config(
        access_key_id="x", access_key_secret="y", endpoint=f"127.0.0.1:{port}", protocol="http"
    )
    try:
        yield Stack(
            Client(config),
            store,
            flink,
            services.deployments,
            services.jobs,
            reconciler,
            placement,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        reconciler.close()
        inspector.close()
        store.close()


def _by_ip(stack: Stack, **query: Any) -> Any:
    return stack.sdk.get_deployments_by_ip_with_options(
        NS,
        vv.GetDeploymentsByIpRequest(**query),
        vv.GetDeploymentsByIpHeaders(workspace=WS),
        RuntimeOptions(),
    )


def test_deployments_are_found_by_the_address_of_a_taskmanager_they_run_on(
    stack: Stack,
) -> None:
    orders = stack.running(
        "orders", {"src": ["10.0.0.5:41234"], "sink": ["10.0.0.6:41234", "10.0.0.5:41234"]}
    )
    stack.running("clicks", {"src": ["10.0.0.7:40000"]})
    stack.running("v6", {"src": ["[fd00::7]:40000"]})

    found = _by_ip(stack, src_ip="10.0.0.6").body
    assert found.success is True
    assert [d.deployment_id for d in found.data] == [orders]
    assert found.data[0].name == "orders"
    assert found.data[0].streaming_resource_setting is not None

    trimmed = _by_ip(stack, src_ip="10.0.0.5", ignore_resource_setting=True).body.data
    assert [d.name for d in trimmed] == ["orders"]
    assert trimmed[0].streaming_resource_setting is None

    assert [d.name for d in _by_ip(stack, src_ip="fd00::7").body.data] == ["v6"]
    assert _by_ip(stack, src_ip="10.9.9.9").body.data == []


def test_a_job_that_is_not_running_is_not_found(stack: Stack) -> None:
    deployment_id = stack.running("orders", {"src": ["10.0.0.5:41234"]})
    job = stack.jobs.list(SCOPE, deployment_id, Page(offset=0, limit=1))[0][0]
    stack.flink.set_state(job.flink_job_id or "", "FAILED")
    stack.reconciler.run_iteration()
    assert _by_ip(stack, src_ip="10.0.0.5").body.data == []


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ({"src_ip": "10.0.0.300"}, "srcIp must be an IPv4 or IPv6 address"),
        ({"src_ip": "not-an-ip"}, "srcIp must be an IPv4 or IPv6 address"),
        ({}, "srcIp is required"),
        ({"src_ip": "10.0.0.5", "dst_ip": "10.0.0.9"}, "dstIp is not supported"),
        ({"src_ip": "10.0.0.5", "src_port": "41234"}, "srcPort is not supported"),
    ],
)
def test_bad_or_unsupported_queries_are_a_400(
    stack: Stack, query: dict[str, str], needle: str
) -> None:
    with pytest.raises(ClientException) as caught:
        _by_ip(stack, **query)
    assert caught.value.code == "InvalidParameter"
    assert needle in caught.value.message
