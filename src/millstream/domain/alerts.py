"""Alerts: rules on a namespace's jobs and the pure evaluation that turns observations
into firing and resolved transitions.

A rule has a ``Condition`` (what to watch), a ``Selector`` (which deployments of its
namespace: all, one by name, or by labels) and a ``Channel`` (a webhook and its payload
format). ``control.alerting`` observes each selected deployment's newest job
(``Observation``) and calls ``evaluate``; it persists the returned ``AlertState``s and
delivers the returned ``Transition``s. One alert per (rule, deployment) carries a stable
``fingerprint``: a firing alert is announced once (de-duplication) and once more when it
resolves. Conditions with ``for_seconds`` go through ``PENDING`` first and fire only when
the breach has lasted that long.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from millstream.domain.errors import InvalidInput

__all__ = [
    "KIND_METRIC",
    "MAX_WINDOW_SECONDS",
    "AlertKind",
    "AlertRule",
    "AlertState",
    "AlertStatus",
    "Channel",
    "ChannelFormat",
    "Condition",
    "Evaluation",
    "Observation",
    "Selector",
    "Transition",
    "TransitionEvent",
    "evaluate",
    "fingerprint",
    "measure",
    "validate_condition",
]

MAX_WINDOW_SECONDS = 7 * 24 * 3600


class AlertKind(enum.StrEnum):
    JOB_FAILED = "job_failed"
    JOB_STATE_IS = "job_state_is"
    RESTARTS_OVER = "restarts_over"
    CHECKPOINT_FAILURES_OVER = "checkpoint_failures_over"
    BACKPRESSURE_OVER = "backpressure_over"
    THROUGHPUT_BELOW = "throughput_below"
    SOURCE_LAG_OVER = "source_lag_over"
    UNHEALTHY = "unhealthy"  # the deployment's health check (domain.health) says so


# The observation metric each metric-based kind compares (``Observation.metrics`` keys).
KIND_METRIC: dict[AlertKind, str] = {
    AlertKind.RESTARTS_OVER: "restarts",
    AlertKind.CHECKPOINT_FAILURES_OVER: "failed_checkpoints",
    AlertKind.BACKPRESSURE_OVER: "backpressure",
    AlertKind.THROUGHPUT_BELOW: "throughput",
    AlertKind.SOURCE_LAG_OVER: "source_lag",
}


class ChannelFormat(enum.StrEnum):
    GENERIC = "generic"
    SLACK = "slack"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"


class AlertStatus(enum.StrEnum):
    PENDING = "PENDING"  # breached, not yet for ``for_seconds``
    FIRING = "FIRING"
    RESOLVED = "RESOLVED"


class TransitionEvent(enum.StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Condition:
    """``threshold``: restarts / failed checkpoints (counts), backpressure (a 0..1 ratio),
    throughput (records/s) or source lag (records). ``state``: for ``job_state_is``.
    ``window_seconds``: restarts counted over it. ``for_seconds``: how long the breach
    lasts before the alert fires."""

    kind: AlertKind
    threshold: float | None = None
    state: str | None = None
    window_seconds: int | None = None
    for_seconds: int = 0


@dataclass(frozen=True, slots=True)
class Selector:
    """Which deployments of the namespace: all, or those with this name and/or labels."""

    deployment_name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        if self.deployment_name is not None and name != self.deployment_name:
            return False
        return all(labels.get(key) == value for key, value in self.labels.items())


@dataclass(frozen=True, slots=True)
class Channel:
    """A webhook. ``secret_ciphertext``: the encrypted DingTalk/Feishu signing secret."""

    url: str
    format: ChannelFormat = ChannelFormat.GENERIC
    secret_ciphertext: str | None = None


@dataclass(frozen=True, slots=True)
class AlertRule:
    id: str
    workspace: str
    namespace: str
    name: str
    condition: Condition
    channel: Channel
    selector: Selector = field(default_factory=Selector)
    enabled: bool = True
    creator: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One deployment's newest job as seen now: its states (Millstream's job status and
    the engine's observed state) and the metrics the rule's kind needs (``KIND_METRIC``)."""

    deployment_id: str
    deployment_name: str
    job_id: str | None = None
    states: frozenset[str] = frozenset()
    metrics: Mapping[str, float] = field(default_factory=dict)
    unhealthy: str | None = None  # why the health check finds it unhealthy, if it does


@dataclass(frozen=True, slots=True)
class AlertState:
    fingerprint: str
    rule_id: str
    workspace: str
    namespace: str
    deployment_id: str
    deployment_name: str
    status: AlertStatus
    summary: str
    firing_since: datetime  # when the breach began (PENDING) or the alert fired
    value: float | None = None
    resolved_at: datetime | None = None
    last_sent_at: datetime | None = None
    modified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    event: TransitionEvent
    rule: AlertRule
    state: AlertState


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What to write (``states``), forget (``deleted`` fingerprints) and announce."""

    states: list[AlertState] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)


def fingerprint(rule_id: str, deployment_id: str) -> str:
    """The alert's stable identity: the same rule on the same deployment."""
    return hashlib.sha256(f"{rule_id}\x00{deployment_id}".encode()).hexdigest()[:32]


def validate_condition(condition: Condition) -> None:
    """``InvalidInput`` saying what to fix when the condition cannot be evaluated."""
    kind = condition.kind
    if kind is AlertKind.JOB_STATE_IS and not condition.state:
        raise InvalidInput("condition 'job_state_is' needs a 'state' (e.g. FAILED, RESTARTING)")
    if kind in KIND_METRIC:
        if condition.threshold is None or condition.threshold < 0:
            raise InvalidInput(f"condition {kind.value!r} needs a non-negative 'threshold'")
        if kind is AlertKind.BACKPRESSURE_OVER and condition.threshold > 1:
            raise InvalidInput("'backpressure_over' threshold is a ratio between 0 and 1")
    if kind is AlertKind.RESTARTS_OVER and not condition.window_seconds:
        raise InvalidInput("condition 'restarts_over' needs a 'windowSeconds'")
    window = condition.window_seconds
    if window is not None and not 1 <= window <= MAX_WINDOW_SECONDS:
        raise InvalidInput(f"'windowSeconds' must be between 1 and {MAX_WINDOW_SECONDS}")
    if not 0 <= condition.for_seconds <= MAX_WINDOW_SECONDS:
        raise InvalidInput(f"'forSeconds' must be between 0 and {MAX_WINDOW_SECONDS}")


def measure(condition: Condition, observation: Observation) -> tuple[bool, float | None, str]:
    """Whether the observation breaches the condition, the value compared and a summary.
    A metric with no value does not breach (a stopped job has no throughput to alert on)."""
    kind = condition.kind
    name = observation.deployment_name
    if kind is AlertKind.JOB_FAILED:
        failed = "FAILED" in observation.states
        return failed, None, f"job of deployment {name} failed"
    if kind is AlertKind.UNHEALTHY:
        why = observation.unhealthy
        summary = f"deployment {name} is unhealthy: {why}" if why else f"deployment {name}"
        return why is not None, None, summary if why else f"{summary} is healthy"
    if kind is AlertKind.JOB_STATE_IS:
        wanted = (condition.state or "").upper()
        return wanted in observation.states, None, f"job of deployment {name} is {wanted}"
    metric = KIND_METRIC[kind]
    value = observation.metrics.get(metric)
    threshold = condition.threshold or 0.0
    if value is None:
        return False, None, f"{metric} of deployment {name}: no value"
    if kind is AlertKind.THROUGHPUT_BELOW:
        breached = value < threshold
        relation = "below" if breached else "at or above"
    else:
        breached = value > threshold
        relation = "over" if breached else "at or below"
    summary = f"{metric} of deployment {name} is {value:g}, {relation} {threshold:g}"
    return breached, value, summary


def evaluate(
    rule: AlertRule,
    observations: Sequence[Observation],
    states: Mapping[str, AlertState],
    now: datetime,
) -> Evaluation:
    """One round of ``rule`` over its deployments' observations and its stored states
    (by fingerprint). A stored alert whose deployment is no longer observed resolves."""
    result = Evaluation()
    seen: set[str] = set()
    for observation in observations:
        key = fingerprint(rule.id, observation.deployment_id)
        seen.add(key)
        breached, value, summary = measure(rule.condition, observation)
        _step(rule, key, observation, breached, value, summary, states.get(key), now, result)
    for key, state in sorted(states.items()):
        if key not in seen:
            gone = Observation(state.deployment_id, state.deployment_name)
            summary = f"deployment {state.deployment_name} is no longer watched"
            _step(rule, key, gone, False, None, summary, state, now, result)
    return result


def _step(
    rule: AlertRule,
    key: str,
    observation: Observation,
    breached: bool,
    value: float | None,
    summary: str,
    previous: AlertState | None,
    now: datetime,
    result: Evaluation,
) -> None:
    status = previous.status if previous is not None else None
    if not breached:
        if status is AlertStatus.FIRING and previous is not None:
            resolved = dataclasses.replace(
                previous,
                status=AlertStatus.RESOLVED,
                summary=summary,
                value=value,
                resolved_at=now,
                modified_at=now,
            )
            result.states.append(resolved)
            result.transitions.append(Transition(TransitionEvent.RESOLVED, rule, resolved))
        elif status is AlertStatus.PENDING:
            result.deleted.append(key)
        return
    if status is AlertStatus.FIRING and previous is not None:
        if previous.value != value or previous.summary != summary:
            result.states.append(
                dataclasses.replace(previous, value=value, summary=summary, modified_at=now)
            )
        return
    since = previous.firing_since if status is AlertStatus.PENDING and previous else now
    lasted = now - since >= timedelta(seconds=rule.condition.for_seconds)
    state = AlertState(
        fingerprint=key,
        rule_id=rule.id,
        workspace=rule.workspace,
        namespace=rule.namespace,
        deployment_id=observation.deployment_id,
        deployment_name=observation.deployment_name,
        status=AlertStatus.FIRING if lasted else AlertStatus.PENDING,
        summary=summary,
        value=value,
        firing_since=now if lasted else since,
        last_sent_at=previous.last_sent_at if previous is not None else None,
        modified_at=now,
    )
    result.states.append(state)
    if lasted:
        result.transitions.append(Transition(TransitionEvent.FIRING, rule, state))
