"""``Alerter``: the leader's periodic task that evaluates alert rules and delivers their
transitions to webhooks (``domain.alerts``).

Each round: observe, per enabled rule, the newest job of every selected deployment
(Millstream's job status and the engine's observed state; restarts and throughput from
the metric history; failed checkpoints, backpressure and source lag read from Flink now,
only for jobs a rule needs them for); decide with ``domain.alerts.evaluate``; persist the
alert states and queue each transition in the outbox in one transaction, so a restarted
control plane neither announces a firing alert again nor forgets one it has to resolve.
Then deliver what the outbox has due: one POST each, outside any transaction; a failure
is retried with exponential backoff (``backoff`` doubling up to ``backoff_cap``) up to
``max_attempts`` times. The outbox keeps at most ``max_outbox`` entries (the oldest go).
Delivery is at least once: a crash between a POST and its bookkeeping sends it again.
The app factory lists ``start_round`` in the ``ReconcilerDaemon``'s periodic tasks: a
round runs in a thread of its own (webhooks and Flink may be slow; the reconciler's tick
must not wait for them), and a round still running makes the next one skip.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from millstream.control.access_ports import SecretCipher
from millstream.control.alert_payloads import message_of, render
from millstream.control.alert_ports import AlertStore, LiveMetrics, OutboxEntry, WebhookSender
from millstream.control.background import BackgroundRounds
from millstream.control.metric_ports import MetricSampleStore
from millstream.control.ports import Page, Store
from millstream.domain.alerts import (
    KIND_METRIC,
    AlertKind,
    AlertRule,
    ChannelFormat,
    Observation,
    evaluate,
)
from millstream.domain.errors import MillstreamError, Unavailable
from millstream.domain.health import HealthState, HealthStatus
from millstream.domain.jobs import Job, JobStatus

__all__ = ["RESTARTS_METRIC", "THROUGHPUT_METRIC", "Alerter"]

_log = logging.getLogger(__name__)

# Metric history names (``control.metric_catalog``) the history-based kinds read.
RESTARTS_METRIC = "numRestarts"
THROUGHPUT_METRIC = "sources.numRecordsOutPerSecond.sum"
_LIVE_KINDS = frozenset(
    {AlertKind.CHECKPOINT_FAILURES_OVER, AlertKind.BACKPRESSURE_OVER, AlertKind.SOURCE_LAG_OVER}
)
_MAX_DEPLOYMENTS = 10_000
_MAX_SAMPLES = 100_000


class Alerter:
    def __init__(
        self,
        alerts: AlertStore,
        store: Store,
        samples: MetricSampleStore,
        sender: WebhookSender,
        cipher: SecretCipher,
        *,
        live: LiveMetrics | None = None,
        health: Callable[[Collection[str]], Mapping[str, HealthStatus]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_outbox: int = 1000,
        max_attempts: int = 6,
        backoff: timedelta = timedelta(seconds=5),
        backoff_cap: timedelta = timedelta(minutes=5),
        batch: int = 100,
        freshness: timedelta = timedelta(minutes=5),
    ) -> None:
        self._alerts = alerts
        self._store = store
        self._samples = samples
        self._sender = sender
        self._cipher = cipher
        self._live = live
        self._health = health
        self._clock = clock
        self._max_outbox = max_outbox
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self._batch = batch
        self._freshness = freshness
        self._rounds = BackgroundRounds("alert", self.run_iteration)

    def start_round(self) -> bool:
        """Run ``run_iteration`` in the background unless a round still runs; whether it
        started."""
        return self._rounds.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background round, if any, to end (tests, shutdown)."""
        self._rounds.wait(timeout)

    def run_iteration(self) -> None:
        """Evaluate every enabled rule, then deliver; one rule's failure spares the rest."""
        with self._alerts.transaction() as repos:
            rules = [rule for rule in repos.read_alert_rules() if rule.enabled]
        for rule in rules:
            try:
                self.evaluate_rule(rule)
            except MillstreamError as exc:
                _log.warning("alert rule %s/%s: %s", rule.namespace, rule.name, exc)
        self.deliver()

    def evaluate_rule(self, rule: AlertRule) -> None:
        now = self._clock()
        observations = self._observe(rule, now)
        with self._alerts.transaction() as repos:
            states = {s.fingerprint: s for s in repos.read_alert_states(rule_id=rule.id)}
            result = evaluate(rule, observations, states, now)
            repos.write_alert_states(states=result.states)
            repos.delete_alert_states(fingerprints=result.deleted)
            for transition in result.transitions:
                repos.create_outbox_entry(
                    entry=OutboxEntry(
                        id=uuid.uuid4().hex,
                        rule_id=rule.id,
                        fingerprint=transition.state.fingerprint,
                        event=transition.event,
                        message=message_of(transition),
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
            dropped = repos.trim_outbox(keep=self._max_outbox)
        if dropped:
            _log.warning("alert outbox full: dropped %d undelivered notifications", dropped)

    def deliver(self) -> None:
        """Send what the outbox has due."""
        now = self._clock()
        with self._alerts.transaction() as repos:
            due = repos.read_due_outbox(now=now, limit=self._batch)
            rules = {rule.id: rule for rule in repos.read_alert_rules()} if due else {}
        for entry in due:
            rule = rules.get(entry.rule_id)
            error = self._send(rule, entry.message, now) if rule is not None else None
            with self._alerts.transaction() as repos:
                if error is None:
                    repos.delete_outbox_entry(entry_id=entry.id)
                    repos.mark_alert_sent(fingerprint=entry.fingerprint, sent_at=now)
                    continue
                attempts = entry.attempts + 1
                if attempts >= self._max_attempts:
                    _log.warning("alert %s not delivered, giving up: %s", entry.fingerprint, error)
                    repos.delete_outbox_entry(entry_id=entry.id)
                    continue
                delay = min(self._backoff * 2 ** (attempts - 1), self._backoff_cap)
                repos.update_outbox_entry(
                    entry_id=entry.id,
                    attempts=attempts,
                    next_attempt_at=now + delay,
                    last_error=error,
                )

    def _send(self, rule: AlertRule, message: dict[str, Any], now: datetime) -> str | None:
        """``None`` when delivered, else why not."""
        channel = rule.channel
        try:
            secret = (
                self._cipher.decrypt(base64.b64decode(channel.secret_ciphertext))
                if channel.secret_ciphertext
                else None
            )
            query, body = render(channel.format, message, secret, now)
            answer = self._sender.post(channel.url, query, body)
            _check_answer(channel.format, answer)
        except MillstreamError as exc:
            return exc.message
        return None

    # observe
    def _observe(self, rule: AlertRule, now: datetime) -> list[Observation]:
        selector = rule.selector
        with self._store.transaction() as repos:
            deployments, _ = repos.read_deployments(
                workspace=rule.workspace,
                namespace=rule.namespace,
                page=Page(offset=0, limit=_MAX_DEPLOYMENTS),
                name=selector.deployment_name,
                labels=dict(selector.labels) or None,
            )
            newest: list[tuple[str, str, Job | None]] = []
            for deployment in deployments:
                if not selector.matches(deployment.name, deployment.labels):
                    continue
                jobs, _ = repos.read_jobs(
                    workspace=rule.workspace,
                    namespace=rule.namespace,
                    deployment_id=deployment.id,
                    page=Page(offset=0, limit=1),
                )
                newest.append((deployment.id, deployment.name, jobs[0] if jobs else None))
        observations = [self._observation(rule, d_id, name, job, now) for d_id, name, job in newest]
        if rule.condition.kind is AlertKind.UNHEALTHY and self._health is not None:
            health = self._health([o.deployment_id for o in observations])
            observations = [
                dataclasses.replace(o, unhealthy=_unhealthy(health.get(o.deployment_id)))
                for o in observations
            ]
        return observations

    def _observation(
        self, rule: AlertRule, deployment_id: str, name: str, job: Job | None, now: datetime
    ) -> Observation:
        if job is None:
            return Observation(deployment_id, name)
        states = {job.status.value}
        if job.observed.state is not None:
            states.add(job.observed.state.value)
        return Observation(
            deployment_id=deployment_id,
            deployment_name=name,
            job_id=job.id,
            states=frozenset(states),
            metrics=self._metrics(rule, job, now),
        )

    def _metrics(self, rule: AlertRule, job: Job, now: datetime) -> dict[str, float]:
        kind = rule.condition.kind
        if kind is AlertKind.RESTARTS_OVER:
            window = timedelta(seconds=rule.condition.window_seconds or 0)
            values = self._history(job, RESTARTS_METRIC, now - window, now)
            # numRestarts counts restarts within one Flink run; the restart policy's
            # resubmissions start a new run and are counted from the job's history.
            flink = max(values) - min(values) if values else 0.0
            policy = sum(1 for at in job.restart_history if at >= now - window)
            return {"restarts": flink + policy}
        if kind is AlertKind.THROUGHPUT_BELOW:
            if job.status is not JobStatus.RUNNING:
                return {}
            values = self._history(job, THROUGHPUT_METRIC, now - self._freshness, now)
            return {"throughput": values[-1]} if values else {}
        if kind in _LIVE_KINDS and self._live is not None and job.status is JobStatus.RUNNING:
            try:
                return self._live.read(job, [KIND_METRIC[kind]])
            except MillstreamError as exc:  # Flink unreachable: no value this round
                _log.info("alert metrics of job %s: %s", job.id, exc)
        return {}

    def _history(self, job: Job, name: str, start: datetime, end: datetime) -> list[float]:
        with self._samples.transaction() as repos:
            samples = repos.read_metric_samples(
                job_id=job.id, names=[name], start=start, end=end, limit=_MAX_SAMPLES
            )
        return [sample.value for sample in samples]


def _unhealthy(status: HealthStatus | None) -> str | None:
    if status is None or status.state is not HealthState.UNHEALTHY:
        return None
    return status.message or (status.reason.value if status.reason else "unhealthy")


def _check_answer(fmt: ChannelFormat, answer: Any) -> None:
    """DingTalk and Feishu answer HTTP 200 with an error code in the body."""
    if not isinstance(answer, dict):
        return
    if fmt is ChannelFormat.DINGTALK and answer.get("errcode", 0) != 0:
        raise Unavailable(f"DingTalk refused the message: {answer.get('errmsg', '')}"[:200])
    if fmt is ChannelFormat.FEISHU and answer.get("code", 0) not in (0, None):
        raise Unavailable(f"Feishu refused the message: {answer.get('msg', '')}"[:200])
