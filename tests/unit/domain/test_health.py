"""Health checks (``domain.health``): each check trips and clears, the last stable spec is
recorded, a new spec that is not stable in time is rolled back, auto restart happens once,
and the bookkeeping's invariants under hypothesis."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.alerts import AlertKind, Condition, Observation, measure, validate_condition
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.errors import InvalidInput
from millstream.domain.health import (
    Action,
    HealthPolicy,
    HealthSample,
    HealthState,
    HealthStatus,
    UnhealthyReason,
    spec_fingerprint,
    step,
)
from millstream.domain.jobs import DesiredState, Failure, Job, JobStatus
from millstream.domain.observed import ObservedState
from tests.factories import make_deployment, make_job

T0 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
DEPLOYMENT = make_deployment()


def _policy(**overrides: object) -> HealthPolicy:
    values: dict[str, object] = {
        "deployment_id": DEPLOYMENT.id,
        "workspace": DEPLOYMENT.workspace,
        "namespace": DEPLOYMENT.namespace,
    }
    return HealthPolicy(**(values | overrides))  # type: ignore[arg-type]


def _status() -> HealthStatus:
    return HealthStatus(DEPLOYMENT.id, DEPLOYMENT.workspace, DEPLOYMENT.namespace)


def _running(**overrides: object) -> Job:
    values: dict[str, object] = {
        "status": JobStatus.RUNNING,
        "flink_job_id": "f" * 32,
        "created_at": T0,
        "flink_conf": {"execution.checkpointing.interval": "10s"},
    }
    job = make_job(DEPLOYMENT, **(values | overrides))
    job.observed.state = ObservedState.RUNNING
    job.observed.restarts = 0
    return job


def _run(
    policy: HealthPolicy,
    job: Job,
    seconds: list[int],
    *,
    status: HealthStatus | None = None,
    restarts: dict[int, int] | None = None,
    checkpoints: dict[int, float] | None = None,
    records: dict[int, float] | None = None,
) -> list[tuple[HealthStatus, Action]]:
    """Steps at T0 + each second; Flink's counters change at the given seconds."""
    status = status or _status()
    out = []
    checkpoint, record = 0.0, 0.0
    for second in seconds:
        if restarts and second in restarts:
            job.observed.restarts = restarts[second]
        checkpoint = (checkpoints or {}).get(second, checkpoint)
        record = (records or {}).get(second, record)
        sample = HealthSample(
            job, spec_version=1, completed_checkpoints=checkpoint, source_records=record
        )
        result = step(policy, status, sample, T0 + timedelta(seconds=second))
        status = result.status
        out.append((status, result.action))
    return out


def test_running_job_is_healthy() -> None:
    ((status, action),) = _run(_policy(max_restarts=3), _running(), [0])
    assert status.state is HealthState.HEALTHY
    assert action is Action.NONE


def test_too_many_restarts_in_window_is_unhealthy_and_clears_after_window() -> None:
    policy = _policy(max_restarts=2, restart_window_seconds=60)
    steps = _run(policy, _running(), [0, 5, 10, 100], restarts={5: 2, 10: 3})
    assert steps[1][0].state is HealthState.HEALTHY  # 2 restarts: at the limit
    assert steps[2][0].state is HealthState.UNHEALTHY
    assert steps[2][0].reason is UnhealthyReason.RESTARTS
    assert "restarted 3 times" in (steps[2][0].message or "")
    assert steps[3][0].state is HealthState.HEALTHY  # the restarts left the window


def test_restart_policy_resubmissions_count_as_restarts() -> None:
    job = _running(restart_history=(T0, T0 + timedelta(seconds=1)))
    ((status, _),) = _run(_policy(max_restarts=1), job, [2])
    assert status.reason is UnhealthyReason.RESTARTS


def test_a_new_attempt_is_a_new_baseline_not_a_restart() -> None:
    job = _running()
    policy = _policy(max_restarts=0)
    status, _ = _run(policy, job, [0], restarts={0: 7})[0]
    job.flink_job_id = "e" * 32
    job.observed.restarts = 0
    ((after, _),) = _run(policy, job, [1], status=status)
    assert after.state is HealthState.HEALTHY


def test_checkpoint_stall_trips_only_while_checkpointing_is_on() -> None:
    policy = _policy(checkpoint_stall_seconds=30)
    steps = _run(policy, _running(), [0, 20, 31], checkpoints={0: 1, 20: 2})
    assert [s.state for s, _ in steps] == [HealthState.HEALTHY] * 3  # progress at 20
    steps = _run(policy, _running(), [0, 31], checkpoints={0: 1})
    assert steps[1][0].reason is UnhealthyReason.CHECKPOINT_STALL
    no_checkpoints = _running(flink_conf={})
    steps = _run(policy, no_checkpoints, [0, 31], checkpoints={0: 1})
    assert steps[1][0].state is HealthState.HEALTHY


def test_idle_sources_trip_source_idle() -> None:
    policy = _policy(source_idle_seconds=10)
    steps = _run(policy, _running(), [0, 5, 14], records={0: 100, 5: 200})
    assert steps[2][0].state is HealthState.HEALTHY
    steps = _run(policy, _running(), [0, 5, 11], records={0: 100})
    assert steps[2][0].reason is UnhealthyReason.SOURCE_IDLE
    assert steps[2][0].since == T0 + timedelta(seconds=11)


def test_failed_job_is_unhealthy_with_its_failure() -> None:
    job = _running(status=JobStatus.FAILED, failure=Failure("boom", "Exception", T0))
    ((status, action),) = _run(_policy(auto_restart=True), job, [0])
    assert status.reason is UnhealthyReason.JOB_FAILED
    assert "boom" in (status.message or "")
    assert action is Action.NONE  # the restart policy owns failed jobs


def test_stopped_or_missing_job_is_unknown() -> None:
    job = _running(status=JobStatus.CANCELLED)
    ((status, _),) = _run(_policy(max_restarts=1), job, [0])
    assert status.state is HealthState.UNKNOWN
    result = step(_policy(), _status(), HealthSample(None), T0)
    assert result.status.state is HealthState.UNKNOWN


def test_unhealthy_since_is_kept_while_it_lasts() -> None:
    policy = _policy(max_restarts=0)
    steps = _run(policy, _running(), [0, 1, 2, 3], restarts={1: 1})
    assert steps[1][0].since == steps[3][0].since == T0 + timedelta(seconds=1)


def test_auto_restart_once_per_window() -> None:
    policy = _policy(max_restarts=0, auto_restart=True)
    job = _running()
    steps = _run(policy, job, [0, 1], restarts={1: 1})
    assert steps[1][1] is Action.RESTART
    pending = dataclasses.replace(steps[1][0], pending_action=Action.RESTART, pending_job_id=job.id)
    ((_, again),) = _run(policy, job, [2], status=pending)
    assert again is Action.NONE


def test_job_becomes_stable_after_the_stable_period() -> None:
    policy = _policy(stable_period_seconds=10)
    job = _running()
    steps = _run(policy, job, [0, 5, 10])
    assert steps[1][0].stable_job_id is None
    assert steps[2][0].stable_job_id == job.id
    assert steps[2][0].stable_fingerprint == spec_fingerprint(job)
    assert steps[2][0].stable_version == 1


def test_a_restart_resets_the_stable_clock() -> None:
    policy = _policy(stable_period_seconds=10)
    steps = _run(policy, _running(), [0, 5, 10, 16], restarts={5: 1})
    assert steps[2][0].stable_job_id is None
    assert steps[3][0].stable_job_id is not None


def _stable_status(policy: HealthPolicy) -> HealthStatus:
    stable = _running()
    return _run(policy, stable, [0, policy.stable_period_seconds])[-1][0]


def _new_spec(**overrides: object) -> Job:
    artifact = Artifact(ArtifactKind.SQLSCRIPT, sql_script="SELECT 1 /* new */")
    values: dict[str, object] = {"artifact": artifact, "created_at": T0 + timedelta(minutes=1)}
    return _running(**(values | overrides))


def test_new_spec_not_stable_within_readiness_timeout_is_rolled_back() -> None:
    policy = _policy(rollback=True, readiness_timeout_seconds=30, stable_period_seconds=10)
    status = _stable_status(policy)
    new = _new_spec(status=JobStatus.STARTING)
    new.observed.state = ObservedState.INITIALIZING
    early = step(policy, status, HealthSample(new, 2), T0 + timedelta(seconds=80))
    assert early.action is Action.NONE
    late = step(policy, early.status, HealthSample(new, 2), T0 + timedelta(seconds=91))
    assert late.action is Action.ROLLBACK
    assert late.status.reason is UnhealthyReason.NOT_READY
    assert late.status.stable_version == 1


def test_new_spec_that_fails_is_rolled_back_at_once() -> None:
    policy = _policy(rollback=True, readiness_timeout_seconds=300, stable_period_seconds=10)
    status = _stable_status(policy)
    new = _new_spec(status=JobStatus.FAILED, failure=Failure("bad", "X", T0))
    result = step(policy, status, HealthSample(new, 2), T0 + timedelta(seconds=61))
    assert result.action is Action.ROLLBACK
    assert "bad" in (result.status.message or "")


def test_new_spec_that_becomes_stable_is_the_new_stable_spec() -> None:
    policy = _policy(rollback=True, readiness_timeout_seconds=30, stable_period_seconds=10)
    status = _stable_status(policy)
    new = _new_spec()
    steps = _run(policy, new, [60, 70, 95], status=status)
    assert [a for _, a in steps] == [Action.NONE] * 3
    assert steps[1][0].stable_job_id == new.id


def test_same_spec_restarted_is_not_rolled_back() -> None:
    policy = _policy(rollback=True, readiness_timeout_seconds=30, stable_period_seconds=10)
    status = _stable_status(policy)
    again = _running(status=JobStatus.STARTING, created_at=T0 + timedelta(minutes=1))
    again.observed.state = ObservedState.INITIALIZING
    result = step(policy, status, HealthSample(again, 1), T0 + timedelta(hours=1))
    assert result.action is Action.NONE


def test_rollback_off_never_rolls_back() -> None:
    policy = _policy(readiness_timeout_seconds=30, stable_period_seconds=10)
    status = _stable_status(policy)
    new = _new_spec(status=JobStatus.FAILED)
    result = step(policy, status, HealthSample(new, 2), T0 + timedelta(hours=1))
    assert result.action is Action.NONE


def test_a_job_is_acted_on_once() -> None:
    policy = _policy(rollback=True, readiness_timeout_seconds=30, stable_period_seconds=10)
    status = _stable_status(policy)
    new = _new_spec(status=JobStatus.FAILED)
    done = dataclasses.replace(status, pending_job_id=new.id)
    result = step(policy, done, HealthSample(new, 2), T0 + timedelta(hours=1))
    assert result.action is Action.NONE


def test_stopping_job_is_not_rolled_back() -> None:
    policy = _policy(rollback=True, readiness_timeout_seconds=30, stable_period_seconds=10)
    status = _stable_status(policy)
    new = _new_spec(status=JobStatus.STARTING, desired=DesiredState.STOPPED)
    result = step(policy, status, HealthSample(new, 2), T0 + timedelta(hours=1))
    assert result.action is Action.NONE


@pytest.mark.parametrize(
    "overrides",
    [
        {"max_restarts": -1},
        {"max_restarts": 1001},
        {"restart_window_seconds": 0},
        {"checkpoint_stall_seconds": 0},
        {"source_idle_seconds": 31 * 24 * 3600},
        {"rollback": True, "readiness_timeout_seconds": 60, "stable_period_seconds": 60},
    ],
)
def test_invalid_policies_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        _policy(**overrides).validate()


def test_fingerprint_follows_the_spec() -> None:
    a, b = _running(), _running()
    assert spec_fingerprint(a) == spec_fingerprint(b)
    b.user_flink_conf = {"pipeline.max-parallelism": "8"}
    assert spec_fingerprint(a) != spec_fingerprint(b)


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=30),
    st.integers(0, 10),
)
def test_restart_marks_count_every_rise_and_stay_bounded(
    rises: list[tuple[int, int]], limit: int
) -> None:
    """The first sight is the baseline; every later rise of Flink's counter is marked."""
    policy = _policy(max_restarts=limit, restart_window_seconds=3600)
    job = _running()
    now = T0
    status = step(policy, _status(), HealthSample(job, 1), now).status
    counter = total = 0
    for gap, rise in rises:
        counter += rise
        total += rise
        job.observed.restarts = counter
        now += timedelta(seconds=gap + 1)
        status = step(policy, status, HealthSample(job, 1), now).status
    assert len(status.restart_marks) == total
    assert (status.state is HealthState.UNHEALTHY) == (total > limit)
    assert list(status.restart_marks) == sorted(status.restart_marks)


def test_unhealthy_alert_kind_breaches_only_when_unhealthy() -> None:
    condition = Condition(AlertKind.UNHEALTHY)
    validate_condition(condition)  # needs no threshold
    sick = Observation("d", "orders", unhealthy="restarted 3 times")
    breached, _, summary = measure(condition, sick)
    assert breached
    assert summary == "deployment orders is unhealthy: restarted 3 times"
    assert not measure(condition, Observation("d", "orders"))[0]
