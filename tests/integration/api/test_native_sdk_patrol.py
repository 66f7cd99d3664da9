"""Patrol through the official ``alibabacloud-ververica20220718`` SDK.

A real uvicorn server in this process serves the native dialect over the fake services
of ``fakes.py`` plus the real patrol service on a migrated SQLite database, whose
namespace holds two RUNNING jobs; Flink's view of them comes from a fake inspector (one
job restarting, failing checkpoints and backpressured, one healthy). All five operations,
and the errors a user meets: bad cron, time zone, thresholds or scope, unknown report,
unknown filter values, a date without reports.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
from millstream.control.inspect_ports import FlinkJobSnapshot
from millstream.control.patrol_evidence import PatrolEvidence
from millstream.control.services.patrol import PatrolService
from millstream.domain.diagnosis import CheckpointStats, VertexPressure
from millstream.store import SqlStore, upgrade
from millstream.store.patrol import SqlPatrolStore
from tests.patrol_fakes import SnapshotInspector, seed_namespace, seed_running_job
from tests.ports import free_port

from .conftest import authenticate_admin
from .fakes import FakeWorld, fake_services

NS = "ns1"
WS = "default"
RT = RuntimeOptions()


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@dataclasses.dataclass
class Server:
    sdk: Client
    url: str
    sick_deployment: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    now = datetime.now(UTC)
    cluster = seed_namespace(store, WS, NS)
    sick = seed_running_job(
        store,
        cluster,
        started=now - timedelta(hours=3),
        savepoint_at=now - timedelta(hours=1),
        labels={"team": "ads"},
        name="sick",
        namespace=NS,
    )
    healthy = seed_running_job(
        store,
        cluster,
        started=now - timedelta(hours=3),
        savepoint_at=now - timedelta(hours=1),
        name="healthy",
        namespace=NS,
    )
    inspector = SnapshotInspector()
    inspector.snapshots[str(sick.job.flink_job_id)] = FlinkJobSnapshot(
        restarts=12,
        checkpoints=CheckpointStats(completed=0, failed=4, latest_failure="Checkpoint expired"),
        backpressure=(VertexPressure("Map", "high", 0.97),),
    )
    inspector.snapshots[str(healthy.job.flink_job_id)] = FlinkJobSnapshot(
        restarts=0, checkpoints=CheckpointStats(completed=9)
    )
    patrol = PatrolService(SqlPatrolStore(store.engine), store, PatrolEvidence(store, inspector))
    services = dataclasses.replace(fake_services(FakeWorld()), patrol=patrol)
    port = _free_port()
    app = build_app(services, authenticate_admin)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    config = open_api_models.Config(
        access_key_id="x", access_key_secret="y", endpoint=f"127.0.0.1:{port}", protocol="http"
    )
    try:
        yield Server(Client(config), f"http://127.0.0.1:{port}", sick.deployment.id)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        store.close()


def _get_config(sdk: Client) -> Any:
    return sdk.get_patrol_config_with_options(
        NS, vv.GetPatrolConfigRequest(), vv.GetPatrolConfigHeaders(workspace=WS), RT
    ).body


def _update(sdk: Client, **fields: Any) -> Any:
    return sdk.update_patrol_config_with_options(
        NS, vv.UpdatePatrolConfigRequest(**fields), vv.UpdatePatrolConfigHeaders(workspace=WS), RT
    ).body


def _trigger(sdk: Client, **fields: Any) -> Any:
    return sdk.trigger_patrol_with_options(
        NS, vv.TriggerPatrolRequest(**fields), vv.TriggerPatrolHeaders(workspace=WS), RT
    ).body


def _list(sdk: Client, **fields: Any) -> Any:
    return sdk.list_patrol_reports_with_options(
        NS, vv.ListPatrolReportsRequest(**fields), vv.ListPatrolReportsHeaders(workspace=WS), RT
    ).body


def _detail(sdk: Client, **fields: Any) -> Any:
    return sdk.get_patrol_report_detail_with_options(
        NS,
        vv.GetPatrolReportDetailRequest(**fields),
        vv.GetPatrolReportDetailHeaders(workspace=WS),
        RT,
    ).body


def test_config_defaults_then_update_round_trips(server: Server) -> None:
    body = _get_config(server.sdk)
    assert body.success is True
    assert (body.data.enabled, body.data.scope_type, body.data.next_patrol_at) == (
        False,
        "ALL",
        None,
    )
    updated = _update(
        server.sdk,
        enabled=True,
        cron="0 9 * * *",
        timezone="Asia/Shanghai",
        scope_type="TAGS",
        scope_config=vv.UpdatePatrolConfigRequestScopeConfig(tags=["team=ads"]),
    ).data
    assert (updated.enabled, updated.cron, updated.timezone) == (True, "0 9 * * *", "Asia/Shanghai")
    assert updated.scope_config.tags == ["team=ads"]
    next_run = datetime.fromtimestamp(updated.next_patrol_at / 1000, UTC)
    assert next_run.hour == 1  # 09:00 in Shanghai
    assert next_run.minute == 0
    again = _get_config(server.sdk).data
    assert (again.scope_type, again.config_created_at) == ("TAGS", updated.config_created_at)


def test_trigger_list_and_detail_show_findings_with_advice(server: Server) -> None:
    triggered = _trigger(server.sdk, scope_type="ALL").data
    assert triggered.status == "COMPLETED"
    listing = _list(server.sdk, page=1, size=10).data
    assert listing.total == 1
    (item,) = listing.items
    assert item.report_id == triggered.report_id
    assert (item.total_jobs, item.inspected_jobs, item.trigger_type) == (2, 2, "MANUAL")
    assert (item.risk_critical_count, item.risk_warning_count) == (1, 0)
    assert item.problem_unhealthy_count == 1
    assert item.problem_delay_backpressure_count == 1
    assert item.problem_unhealthy_checkpoint_count == 1
    detail = _detail(server.sdk, report_id=triggered.report_id).data
    assert detail.overview.total == 2
    assert detail.overview.risk_summary.critical == 1
    jobs = detail.unhealthy_jobs
    assert {job.deployment_name for job in jobs} == {"sick"}
    assert {job.risk_level for job in jobs} == {"CRITICAL"}
    assert all(job.recommendation and job.analysis for job in jobs)
    assert any("Checkpoint expired" in job.description for job in jobs)
    assert jobs[0].tags == ["team=ads"]
    today = _detail(server.sdk, date="today").data
    assert today.report_id == triggered.report_id


def test_trigger_with_a_deployment_scope_and_listing_filters(server: Server) -> None:
    scoped = _trigger(
        server.sdk,
        scope_type="DEPLOYMENTS",
        scope_config=vv.TriggerPatrolRequestScopeConfig(deployment_ids=[server.sick_deployment]),
    ).data
    _trigger(server.sdk)
    assert _list(server.sdk).data.total == 2
    narrowed = _list(server.sdk, scope_type="DEPLOYMENTS", status="COMPLETED").data
    assert [i.report_id for i in narrowed.items] == [scoped.report_id]
    assert narrowed.items[0].total_jobs == 1
    assert _list(server.sdk, trigger_type="CRON").data.total == 0
    assert _list(server.sdk, status="FAILED").data.total == 0
    paged = _list(server.sdk, page=2, size=1).data
    assert (len(paged.items), paged.total) == (1, 2)


@pytest.mark.parametrize(
    "fields",
    [
        {"cron": "every morning"},
        {"timezone": "Mars/Olympus"},
        {"scope_type": "TAGS", "scope_config": vv.UpdatePatrolConfigRequestScopeConfig(tags=[])},
        {"scope_type": "EVERYTHING"},
    ],
)
def test_bad_updates_are_400(server: Server, fields: dict[str, Any]) -> None:
    with pytest.raises(ClientException) as caught:
        _update(server.sdk, **fields)
    assert caught.value.status_code == 400
    assert _get_config(server.sdk).data.enabled is False


def test_bad_thresholds_extension_is_400_and_good_one_applies(server: Server) -> None:
    path = f"{server.url}/autopilot/v2/namespaces/{NS}/patrol-config"
    headers = {"workspace": WS}
    bad = httpx.patch(path, json={"thresholds": {"backpressureRatio": 3}}, headers=headers)
    assert bad.status_code == 400
    assert "backpressure_ratio" in bad.json()["errorMessage"]
    good = httpx.patch(path, json={"thresholds": {"maxRestarts": 50}}, headers=headers)
    assert good.status_code == 200
    assert good.json()["data"]["thresholds"]["maxRestarts"] == 50
    detail = _detail(server.sdk, report_id=_trigger(server.sdk).data.report_id).data
    assert "RESTARTS" not in {job.analysis.split(":")[0] for job in detail.unhealthy_jobs}


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"report_id": "no-such-report"}, 404),
        ({}, 400),
        ({"date": "someday"}, 400),
        ({"date": "2001-01-01"}, 404),
        ({"date": "today", "timezone": "Nowhere/Land"}, 400),
    ],
)
def test_detail_errors(server: Server, fields: dict[str, Any], status: int) -> None:
    with pytest.raises(ClientException) as caught:
        _detail(server.sdk, **fields)
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    "fields", [{"status": "DONE"}, {"trigger_type": "SOMETIMES"}, {"size": 500}]
)
def test_list_errors(server: Server, fields: dict[str, Any]) -> None:
    with pytest.raises(ClientException) as caught:
        _list(server.sdk, **fields)
    assert caught.value.status_code == 400


def test_unknown_namespace_is_404(server: Server) -> None:
    with pytest.raises(ClientException) as caught:
        server.sdk.trigger_patrol_with_options(
            "nope", vv.TriggerPatrolRequest(), vv.TriggerPatrolHeaders(workspace=WS), RT
        )
    assert caught.value.status_code == 404
