"""Alert delivery end to end on real SQLite (migration 0018) against a local webhook
receiver (``http.server`` on 127.0.0.1, allowed by ``alerts.allowed_hosts``): a failed job
is announced once and resolved once, a failing receiver is retried with backoff, a new
``Alerter`` on the same database (a control-plane restart) neither re-sends a firing alert
nor forgets to resolve it or to deliver what was queued, throughput comes from the metric
history, and a loopback webhook is refused without the setting."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet

from millstream.control.alerting import THROUGHPUT_METRIC, Alerter
from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import SYSTEM, Scope
from millstream.control.metric_ports import MetricSample
from millstream.control.services.alerts import AlertService
from millstream.domain.alerts import AlertKind, AlertStatus, ChannelFormat, Condition
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import JobStatus
from millstream.engine.downloads import HostPolicy
from millstream.engine.webhooks import HttpWebhookSender
from millstream.store import SqlStore, upgrade
from millstream.store.alerts import SqlAlertStore
from millstream.store.cipher import FernetCipher
from millstream.store.metric_samples import SqlMetricSampleStore
from tests.factories import NAMESPACE, WORKSPACE, make_deployment, make_job

T0 = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
SCOPE = Scope(WORKSPACE, NAMESPACE)


class Receiver:
    """Records every POST; answers 500 to the first ``failures`` of them."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, list[str]], dict[str, Any]]] = []
        self.failures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length))
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append((parse_qs(urlsplit(self.path).query), body))
                payload = b'{"errcode": 0}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def statuses(self) -> list[str]:
        return [str(body.get("status")) for _, body in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    return url


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclasses.dataclass
class ControlPlane:
    """What ``server.build_runtime`` wires for alerts, over one database URL."""

    store: SqlStore
    alerter: Alerter
    service: AlertService
    samples: SqlMetricSampleStore


KEY = Fernet.generate_key()


def _control_plane(url: str, clock: Clock, *, allowed: frozenset[str]) -> ControlPlane:
    store = SqlStore(url)
    alerts = SqlAlertStore(store.engine)
    samples = SqlMetricSampleStore(store.engine)
    sender = HttpWebhookSender(HostPolicy(allowed_hosts=allowed), timeout=5.0)
    cipher = FernetCipher(KEY)
    alerter = Alerter(
        alerts,
        store,
        samples,
        sender,
        cipher,
        clock=clock,
        backoff=timedelta(seconds=5),
        max_attempts=4,
    )
    return ControlPlane(store, alerter, AlertService(alerts, sender, cipher, clock=clock), samples)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def plane(database_url: str, clock: Clock) -> Iterator[ControlPlane]:
    found = _control_plane(database_url, clock, allowed=frozenset({"127.0.0.1"}))
    ensure_defaults(
        found.store,
        workspace=WORKSPACE,
        namespace=NAMESPACE,
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url="http://flink.invalid:8081",
    )
    yield found
    found.store.close()


def _job(plane: ControlPlane, status: JobStatus, name: str = "orders") -> str:
    deployment = make_deployment(name=name)
    job = make_job(deployment, status=status)
    with plane.store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    return job.id


def _set_status(plane: ControlPlane, job_id: str, status: JobStatus) -> None:
    with plane.store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
        assert job is not None
        repos.update_job(job=dataclasses.replace(job, status=status))


def _failed_rule(plane: ControlPlane, receiver: Receiver, **kwargs: Any) -> None:
    plane.service.create(
        SCOPE,
        SYSTEM,
        "failed",
        condition=Condition(AlertKind.JOB_FAILED),
        url=receiver.url,
        **kwargs,
    )


def test_failed_job_is_announced_once_and_resolved_once(
    plane: ControlPlane, receiver: Receiver, clock: Clock
) -> None:
    job_id = _job(plane, JobStatus.FAILED)
    _failed_rule(plane, receiver)
    for _ in range(3):
        plane.alerter.run_iteration()
        clock.advance(15)
    assert receiver.statuses() == ["firing"]
    firing = plane.service.alerts(SCOPE)
    assert [a.deployment_name for a in firing] == ["orders"]
    assert firing[0].last_sent_at is not None
    _set_status(plane, job_id, JobStatus.RUNNING)
    plane.alerter.run_iteration()
    clock.advance(15)
    plane.alerter.run_iteration()
    assert receiver.statuses() == ["firing", "resolved"]
    assert receiver.received[0][1]["fingerprint"] == receiver.received[1][1]["fingerprint"]
    assert plane.service.alerts(SCOPE) == []


def test_failing_receiver_is_retried_with_backoff(
    plane: ControlPlane, receiver: Receiver, clock: Clock
) -> None:
    _job(plane, JobStatus.FAILED)
    _failed_rule(plane, receiver)
    receiver.failures = 2
    plane.alerter.run_iteration()  # attempt 1 fails: next in 5 s
    assert receiver.received == []
    clock.advance(4)
    plane.alerter.run_iteration()  # not due yet: nothing sent
    assert receiver.failures == 1  # only one attempt so far
    clock.advance(1)
    plane.alerter.run_iteration()  # attempt 2 fails: next in 10 s
    assert receiver.failures == 0
    clock.advance(9)
    plane.alerter.run_iteration()
    assert receiver.received == []
    clock.advance(1)
    plane.alerter.run_iteration()  # attempt 3 succeeds
    assert receiver.statuses() == ["firing"]
    clock.advance(60)
    plane.alerter.run_iteration()
    assert receiver.statuses() == ["firing"]  # delivered once, not again


def test_delivery_gives_up_after_max_attempts(
    plane: ControlPlane, receiver: Receiver, clock: Clock
) -> None:
    _job(plane, JobStatus.FAILED)
    _failed_rule(plane, receiver)
    receiver.failures = 100
    for _ in range(10):
        plane.alerter.run_iteration()
        clock.advance(600)
    assert receiver.failures == 100 - 4  # max_attempts, then dropped
    with SqlAlertStore(plane.store.engine).transaction() as repos:
        assert repos.count_outbox() == 0


def test_restart_neither_resends_nor_forgets(
    plane: ControlPlane, receiver: Receiver, clock: Clock, database_url: str
) -> None:
    job_id = _job(plane, JobStatus.FAILED)
    _failed_rule(plane, receiver)
    plane.alerter.run_iteration()
    assert receiver.statuses() == ["firing"]

    restarted = _control_plane(database_url, clock, allowed=frozenset({"127.0.0.1"}))
    try:
        clock.advance(15)
        restarted.alerter.run_iteration()
        assert receiver.statuses() == ["firing"]  # not re-sent
        _set_status(restarted, job_id, JobStatus.RUNNING)
        clock.advance(15)
        restarted.alerter.run_iteration()
        assert receiver.statuses() == ["firing", "resolved"]  # not forgotten
    finally:
        restarted.store.close()


def test_restart_delivers_what_was_queued(
    plane: ControlPlane, receiver: Receiver, clock: Clock, database_url: str
) -> None:
    _job(plane, JobStatus.FAILED)
    _failed_rule(plane, receiver)
    receiver.failures = 1
    plane.alerter.run_iteration()  # fails, stays in the outbox
    assert receiver.received == []

    restarted = _control_plane(database_url, clock, allowed=frozenset({"127.0.0.1"}))
    try:
        clock.advance(5)
        restarted.alerter.run_iteration()
        assert receiver.statuses() == ["firing"]
    finally:
        restarted.store.close()


def test_throughput_below_fires_from_the_metric_history_after_for_seconds(
    plane: ControlPlane, receiver: Receiver, clock: Clock
) -> None:
    job_id = _job(plane, JobStatus.RUNNING)
    plane.service.create(
        SCOPE,
        SYSTEM,
        "slow",
        condition=Condition(AlertKind.THROUGHPUT_BELOW, threshold=100, for_seconds=30),
        url=receiver.url,
        fmt=ChannelFormat.DINGTALK,
        secret="SECret",
        deployment_name="orders",
    )

    def sample(value: float) -> None:
        with plane.samples.transaction() as repos:
            repos.create_metric_samples(
                samples=[MetricSample(job_id, THROUGHPUT_METRIC, value, clock.now)]
            )

    for _ in range(3):
        sample(5.0)
        plane.alerter.run_iteration()
        clock.advance(15)
    # pending at 0 and 15 s, fires at 30 s
    assert len(receiver.received) == 1
    query, body = receiver.received[0]
    assert body["msgtype"] == "markdown"
    assert set(query) == {"timestamp", "sign"}
    pending = plane.service.alerts(SCOPE, include_pending=True)
    assert [a.status for a in pending] == [AlertStatus.FIRING]
    sample(500.0)
    plane.alerter.run_iteration()
    assert len(receiver.received) == 2
    assert "[RESOLVED]" in receiver.received[1][1]["markdown"]["title"]


def test_loopback_webhook_is_refused_unless_allowed(
    database_url: str, clock: Clock, receiver: Receiver
) -> None:
    plane = _control_plane(database_url, clock, allowed=frozenset())
    try:
        with pytest.raises(InvalidInput, match=r"alerts\.allowed_hosts"):
            _failed_rule(plane, receiver)
        with pytest.raises(InvalidInput, match="signing 'secret'"):
            plane.service.create(
                SCOPE,
                SYSTEM,
                "x",
                condition=Condition(AlertKind.JOB_FAILED),
                url="https://hooks.slack.com/services/x",
                fmt=ChannelFormat.SLACK,
                secret="s",
            )
    finally:
        plane.store.close()


def test_start_round_runs_in_the_background_and_delivers(
    plane: ControlPlane, receiver: Receiver
) -> None:
    _job(plane, JobStatus.FAILED)
    _failed_rule(plane, receiver)
    assert plane.alerter.start_round() is True
    plane.alerter.wait(10)
    assert receiver.statuses() == ["firing"]


def test_the_runtime_leader_evaluates_and_delivers(tmp_path: Path, receiver: Receiver) -> None:
    """``server.build_runtime`` wires the alerter into the daemon's periodic tasks (Flink
    not started): a rule created through the service fires from the running daemon."""
    from millstream.config import AlertSettings, Settings
    from millstream.server import build_runtime

    settings = Settings(
        data_dir=tmp_path / "data", alerts=AlertSettings(interval=1.0, allowed_hosts=["127.0.0.1"])
    )
    runtime = build_runtime(settings, start_flink=False)
    try:
        scope = Scope(settings.default_workspace, settings.default_namespace)
        deployment = make_deployment(workspace=scope.workspace, namespace=scope.namespace)
        with runtime.store.transaction() as repos:
            repos.create_deployment(deployment=deployment)
            repos.create_job(job=make_job(deployment, status=JobStatus.FAILED))
        assert runtime.services.alerts is not None
        runtime.services.alerts.create(
            scope, SYSTEM, "failed", condition=Condition(AlertKind.JOB_FAILED), url=receiver.url
        )
        runtime.daemon.start()
        deadline = datetime.now(UTC) + timedelta(seconds=20)
        while not receiver.received and datetime.now(UTC) < deadline:
            threading.Event().wait(0.2)
        assert receiver.statuses() == ["firing"]
    finally:
        runtime.daemon.stop()
        runtime.close(stop_flink=False)
