"""The reconciler's decisions carried out against a fake Flink and the in-memory store."""

from __future__ import annotations

import pytest

from millstream.control.ports import JobDetails, Page
from millstream.control.reconciler import Reconciler
from millstream.domain.errors import InvalidSql
from millstream.domain.events import EventName
from millstream.domain.jobs import (
    Failure,
    Job,
    JobStatus,
    RestoreKind,
    RestoreStrategy,
    StopStrategy,
)
from millstream.domain.observed import ObservedState
from millstream.domain.savepoints import SavepointOrigin, SavepointState
from tests.fakes import _Repos
from tests.unit.control.conftest import ALICE, SCOPE, World


def _events(world: World, job_id: str) -> list[EventName]:
    events, _ = world.services.events.list(SCOPE, Page(0, 1000), job_id=job_id)
    return [e.name for e in events]


def test_start_submits_once_and_becomes_running(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.STARTING
    assert job.flink_job_id in world.flink.jobs
    world.flink.set_state(job.flink_job_id or "", "RUNNING")
    world.tick(3)
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.RUNNING
    assert job.observed.state is ObservedState.RUNNING
    assert [c for c in world.flink.calls if c[0] == "submit"] == [("submit", job.flink_job_id)]
    assert EventName.JOB_RUNNING in _events(world, job.id)


def test_a_job_running_again_after_flinks_restart_says_so(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    flink_id = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(flink_id, "RUNNING")
    world.tick(3)
    assert _events(world, job.id).count(EventName.JOB_RUNNING) == 1
    world.flink.set_state(flink_id, "RESTARTING")
    world.tick(3)
    assert world.services.jobs.get(SCOPE, job.id).observed.state is ObservedState.RESTARTING
    world.flink.jobs[flink_id].restarts = 1
    world.flink.set_state(flink_id, "RUNNING")
    world.tick(3)
    events = _events(world, job.id)
    assert events.count(EventName.JOB_RUNNING) == 2  # RUNNING, then RUNNING again
    assert events.index(EventName.JOB_RESTARTED) < len(events) - 1 - events[::-1].index(
        EventName.JOB_RUNNING
    )
    world.tick(3)
    assert _events(world, job.id).count(EventName.JOB_RUNNING) == 2  # once per restart


def test_partially_running_job_stays_starting(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    job = world.services.jobs.get(SCOPE, job.id)
    world.flink.set_state(job.flink_job_id or "", "RUNNING", all_running=False)
    world.tick()
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.STARTING


def test_submission_lost_before_recording_is_retried_with_same_id(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.flink.reachable = False
    world.tick()  # cluster unreachable: nothing happens
    world.flink.reachable = True
    world.tick()
    first = world.services.jobs.get(SCOPE, job.id).flink_job_id
    world.flink.jobs.clear()  # Flink never kept it
    world.tick()
    again = world.services.jobs.get(SCOPE, job.id)
    assert again.flink_job_id == first
    assert again.attempt == 1


def test_cluster_lost_running_job_resubmits_from_latest_checkpoint(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.flink.jobs[fid].checkpoint = "file:///state/checkpoints/chk-7"
    world.flink.jobs[fid].modified += 1
    world.tick(2)
    world.flink.jobs.clear()  # JobManager restarted without HA
    world.tick()
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.attempt == 2
    assert job.flink_job_id != fid
    assert job.restored_from == "file:///state/checkpoints/chk-7"
    assert world.flink.jobs[job.flink_job_id or ""].submission.savepoint_path == job.restored_from
    assert EventName.JOB_RESUBMITTING in _events(world, job.id)


def test_stop_with_savepoint_records_savepoint_and_cancels(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.STOP_WITH_SAVEPOINT)
    world.tick(3)
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.CANCELLED
    savepoints, _total = world.services.savepoints.list(SCOPE, Page(), deployment_id=dep.id)
    stops = [s for s in savepoints if s.origin is SavepointOrigin.STOP_WITH_SAVEPOINT]
    assert len(stops) == 1
    assert stops[0].state is SavepointState.COMPLETED
    assert stops[0].location
    assert stops[0].location.startswith("file:///state/savepoints/")


def test_failed_stop_savepoint_keeps_job_running(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    world.flink.savepoint_failure = "disk full"
    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.STOP_WITH_SAVEPOINT)
    world.tick(3)
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.RUNNING
    assert ("cancel", fid) not in world.flink.calls
    assert EventName.STOP_FAILED in _events(world, job.id)


def test_a_stop_with_savepoint_of_a_job_the_cluster_lost_is_not_a_silent_cancel(
    world: World,
) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    del world.flink.jobs[fid]  # the JobManager restarted: every job gone
    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.STOP_WITH_SAVEPOINT)
    world.tick(3)
    events = _events(world, job.id)
    assert EventName.STOP_FAILED in events
    assert EventName.JOB_CANCELLED not in events
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is not JobStatus.CANCELLED
    assert EventName.JOB_RESUBMITTING in events  # from its latest state


def test_restart_with_latest_savepoint_uses_stop_savepoint(world: World) -> None:
    dep = world.deployment()
    first = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    world.flink.set_state(world.services.jobs.get(SCOPE, first.id).flink_job_id or "", "RUNNING")
    world.tick()
    world.services.jobs.stop(SCOPE, ALICE, first.id, StopStrategy.STOP_WITH_SAVEPOINT)
    world.tick(3)
    savepoints, _ = world.services.savepoints.list(SCOPE, Page(), deployment_id=dep.id)
    location = savepoints[0].location
    second = world.services.jobs.start(
        SCOPE, ALICE, dep.id, restore=RestoreStrategy(kind=RestoreKind.LATEST_SAVEPOINT)
    )
    world.tick()
    second = world.services.jobs.get(SCOPE, second.id)
    assert second.restored_from == location
    assert world.flink.jobs[second.flink_job_id or ""].submission.savepoint_path == location


def test_cancel_without_savepoint(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.NONE)
    world.tick(2)
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.CANCELLED
    assert ("cancel", fid) in world.flink.calls


def test_runtime_failure_carries_root_cause(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    from datetime import UTC, datetime

    world.flink.jobs[fid].failure = Failure(
        "NumberFormatException: For input string: abc",
        "java.lang.NumberFormatException",
        datetime.now(UTC),
    )
    world.flink.set_state(fid, "FAILED")
    world.tick()
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.FAILED
    assert job.failure is not None
    assert "NumberFormatException" in job.failure.reason
    assert job.end_time is not None


def test_restarts_are_counted_and_recorded(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    world.flink.jobs[fid].restarts = 2
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.observed.restarts == 2
    assert job.status is JobStatus.RUNNING
    assert EventName.JOB_RESTARTED in _events(world, job.id)


def test_rejected_submission_fails_the_job(world: World) -> None:
    dep = world.deployment()
    world.flink.reject_submissions = "ClassNotFoundException: com.example.Main"
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.FAILED
    assert job.failure is not None
    assert "ClassNotFound" in job.failure.message


def test_unreachable_cluster_does_not_fail_jobs(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    world.flink.set_state(world.services.jobs.get(SCOPE, job.id).flink_job_id or "", "RUNNING")
    world.tick()
    world.flink.reachable = False
    world.tick(3)
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.RUNNING
    events = _events(world, job.id)
    assert events.count(EventName.CLUSTER_UNREACHABLE) == 1
    world.flink.reachable = True
    world.tick()
    assert EventName.CLUSTER_REACHABLE in _events(world, job.id)


def test_user_savepoint_completes(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    world.flink.set_state(world.services.jobs.get(SCOPE, job.id).flink_job_id or "", "RUNNING")
    world.tick()
    savepoint = world.services.savepoints.create(SCOPE, ALICE, dep.id)
    world.tick(2)
    savepoint = world.services.savepoints.get(SCOPE, savepoint.id)
    assert savepoint.state is SavepointState.COMPLETED
    assert savepoint.location


def test_invalid_sql_rejected_at_create(world: World) -> None:
    world.flink.bad_sql = InvalidSql('Encountered "SELEC"', line=3, column=1)
    import pytest

    with pytest.raises(InvalidSql):
        world.deployment(sql="SELEC 1;")
    assert world.store.data.deployments == {}


def test_resubmission_prefers_the_newest_checkpoint_in_storage(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.flink.jobs[fid].checkpoint = "file:///state/checkpoints/chk-3"
    world.tick(2)
    world.engine.checkpoints_on_disk[fid] = "file:///state/checkpoints/chk-9"
    world.flink.jobs.clear()  # JobManager lost the job after more checkpoints
    world.tick()
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.attempt == 2
    assert job.restored_from == "file:///state/checkpoints/chk-9"


def test_stop_retries_when_the_reconciler_wrote_the_job_meanwhile(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    real_update = _Repos.update_job
    raced = {"done": False}

    def update_after_a_concurrent_write(self: _Repos, *, job: Job) -> None:
        if not raced["done"]:  # the reconciler committed between the stop's read and write
            raced["done"] = True
            self.d.jobs[job.id].version += 1
        real_update(self, job=job)

    monkeypatch.setattr(_Repos, "update_job", update_after_a_concurrent_write)
    stopped = world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.NONE)
    assert raced["done"]
    assert stopped.stop_strategy is StopStrategy.NONE


def test_job_cancelled_in_flink_itself_ends_cancelled(world: World) -> None:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.RUNNING
    world.flink.set_state(fid, "CANCELED")  # e.g. the Cancel button of Flink's web UI
    world.tick()
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.CANCELLED
    world.services.jobs.start(SCOPE, ALICE, dep.id)  # and the deployment can start again


def test_steady_jobs_are_not_written_and_detail_reads_are_capped(world: World) -> None:
    world.reconciler = Reconciler(world.store, world.engine, details_interval=0.0, details_budget=2)
    jobs = []
    for index in range(5):
        dep = world.deployment(name=f"d{index}")
        jobs.append(world.services.jobs.start(SCOPE, ALICE, dep.id))
    world.tick()
    for job in jobs:
        world.flink.set_state(world.services.jobs.get(SCOPE, job.id).flink_job_id or "", "RUNNING")
    world.tick(3)  # every row changed at least once: all read, all RUNNING
    versions = {job.id: world.services.jobs.get(SCOPE, job.id).version for job in jobs}
    reads = {"n": 0}
    real = world.flink.job_details

    def counting(flink_job_id: str) -> JobDetails:
        reads["n"] += 1
        return real(flink_job_id)

    world.flink.job_details = counting  # type: ignore[method-assign]
    world.tick()
    assert reads["n"] == 2  # the budget, though all five were due
    assert {job.id: world.services.jobs.get(SCOPE, job.id).version for job in jobs} == versions
    world.reconciler.close()
