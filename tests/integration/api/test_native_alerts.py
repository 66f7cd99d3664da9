"""Native alert rules and alerts (CreateAlertRule, ListAlertRules, GetAlertRule,
DeleteAlertRule, ListAlerts: a Millstream extension) through the app on ASGITransport,
over real services on SQLite: a round trip in the native envelope (the signing secret is
never read back), bad input as 400s in that envelope (never a 500), a duplicate name as
409, an unknown rule as 404, a firing alert listed, and rules that outlive the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from millstream.api.app import build_app
from millstream.control.alerting import Alerter
from millstream.control.bootstrap import ensure_defaults
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.alerts import AlertService
from millstream.domain.clusters import ClusterKind
from millstream.domain.jobs import JobStatus
from millstream.engine.downloads import HostPolicy
from millstream.engine.webhooks import HttpWebhookSender
from millstream.store import SqlStore, upgrade
from millstream.store.alerts import SqlAlertStore
from millstream.store.cipher import FernetCipher
from millstream.store.metric_samples import SqlMetricSampleStore
from tests.factories import make_deployment, make_job
from tests.fakes import FakeEngine

from .conftest import authenticate_admin

WS, NS = "default", "ns1"
RULES = f"/api/v2/namespaces/{NS}/alert-rules"
KEY = Fernet.generate_key()
# Port 9 (discard): the rule is valid, nothing listens; the API tests never deliver.
HOOK = "http://127.0.0.1:9/hook"


def _sender() -> HttpWebhookSender:
    return HttpWebhookSender(HostPolicy(allowed_hosts=frozenset({"127.0.0.1"})), timeout=0.5)


def _services(store: SqlStore) -> Services:
    engine = FakeEngine()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    notifier = Notifier()
    return Services(
        deployments=DeploymentService(store, engine, versions),
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
        alerts=AlertService(SqlAlertStore(store.engine), _sender(), FernetCipher(KEY)),
    )


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    try:
        ensure_defaults(
            store,
            workspace=WS,
            namespace=NS,
            cluster_kind=ClusterKind.EXTERNAL,
            rest_url="http://flink.invalid:8081",
        )
    finally:
        store.close()
    return url


async def _client(store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(_services(store), authenticate_admin, max_body_bytes=64 * 1024)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


def _data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


RULE: dict[str, Any] = {
    "name": "orders-failed",
    "kind": "job_failed",
    "deploymentName": "orders",
    "webhook": {"url": HOOK, "format": "feishu", "secret": "s3cret"},
}


async def test_rule_round_trip_survives_a_restart_and_delete(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        async for client in _client(store):
            created = _data(await client.post(RULES, json=RULE))
            assert created["name"] == "orders-failed"
            assert created["webhook"] == {
                "url": "http://127.0.0.1:9/…",  # a hook's path may carry its token
                "format": "feishu",
                "hasSecret": True,
            }
            assert "s3cret" not in str(created)
            duplicate = await client.post(RULES, json=RULE)
            assert duplicate.status_code == 409
            assert duplicate.json()["success"] is False
    finally:
        store.close()
    store = SqlStore(database_url)  # a new app over the same database
    try:
        async for client in _client(store):
            listed = _data(await client.get(RULES))
            assert [r["name"] for r in listed] == ["orders-failed"]
            one = _data(await client.get(RULES + "/orders-failed"))
            assert one["deploymentName"] == "orders"
            assert (await client.delete(RULES + "/orders-failed")).status_code == 200
            gone = await client.get(RULES + "/orders-failed")
            assert gone.status_code == 404
            assert gone.json()["success"] is False
            assert (await client.delete(RULES + "/orders-failed")).status_code == 404
    finally:
        store.close()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {**RULE, "kind": "cpu_high"},
        {**RULE, "name": "bad name!"},
        {**RULE, "kind": "throughput_below"},  # no threshold
        {**RULE, "kind": "backpressure_over", "threshold": 1.5},
        {**RULE, "kind": "restarts_over", "threshold": 3},  # no window
        {**RULE, "kind": "job_state_is"},  # no state
        {**RULE, "forSeconds": -1},
        {**RULE, "threshold": "high"},
        {**RULE, "webhook": {"url": "ftp://example.com/x"}},
        {**RULE, "webhook": {"url": "http://10.1.2.3/hook"}},  # private, not allowed
        {**RULE, "webhook": {"url": "http://user:pw@127.0.0.1/hook"}},
        {**RULE, "webhook": {"url": HOOK, "format": "teams"}},
        {**RULE, "webhook": {"url": HOOK, "format": "slack", "secret": "x"}},
        {**RULE, "surprise": True},
    ],
)
async def test_bad_rules_are_400_in_the_native_envelope(
    database_url: str, body: dict[str, Any]
) -> None:
    store = SqlStore(database_url)
    try:
        async for client in _client(store):
            response = await client.post(RULES, json=body)
            assert response.status_code == 400, response.text
            envelope = response.json()
            assert envelope["success"] is False
            assert envelope["errorMessage"]
    finally:
        store.close()


async def test_firing_alert_is_listed(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        deployment = make_deployment(workspace=WS, namespace=NS, name="orders")
        with store.transaction() as repos:
            repos.create_deployment(deployment=deployment)
            repos.create_job(job=make_job(deployment, status=JobStatus.FAILED))
        async for client in _client(store):
            _data(await client.post(RULES, json=RULE))
            assert _data(await client.get(f"/api/v2/namespaces/{NS}/alerts")) == []
            alerter = Alerter(
                SqlAlertStore(store.engine),
                store,
                SqlMetricSampleStore(store.engine),
                _sender(),
                FernetCipher(KEY),
            )
            alerter.evaluate_rule(_only_rule(store))  # evaluate; delivery is not under test
            alerts = _data(await client.get(f"/api/v2/namespaces/{NS}/alerts"))
            assert [(a["ruleName"], a["status"], a["deploymentName"]) for a in alerts] == [
                ("orders-failed", "FIRING", "orders")
            ]
            assert alerts[0]["lastSentAt"] is None
    finally:
        store.close()


def _only_rule(store: SqlStore) -> Any:
    with SqlAlertStore(store.engine).transaction() as repos:
        (rule,) = repos.read_alert_rules()
    return rule
