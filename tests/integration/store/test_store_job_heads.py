"""The reconciler's reads by change (``store.job_heads``): live versions, heads, jobs by id."""

from __future__ import annotations

from datetime import UTC, datetime

from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.observed import ObservedState, ObservedStatus
from millstream.store import SqlStore
from tests.factories import make_deployment, make_job


def test_live_versions_and_heads_skip_ended_jobs_and_follow_updates(store: SqlStore) -> None:
    deployments = {status: make_deployment() for status in JobStatus}
    jobs = {status: make_job(deployments[status], status=status) for status in JobStatus}
    with store.transaction() as repos:
        for status in JobStatus:
            repos.create_deployment(deployment=deployments[status])
            repos.create_job(job=jobs[status])
    live = {JobStatus.STARTING, JobStatus.RUNNING, JobStatus.CANCELLING, JobStatus.SUSPENDED}
    running = jobs[JobStatus.RUNNING]
    with store.transaction() as repos:
        assert repos.read_live_job_versions() == {jobs[s].id: 1 for s in live}
        running.observed = ObservedStatus(state=ObservedState.RESTARTING, modified_ms=42)
        running.desired = DesiredState.STOPPED
        running.stop_savepoint_id = "sp-1"
        running.queue, running.admitted_at = "q", datetime(2024, 5, 1, tzinfo=UTC)
        repos.update_job(job=running)
    with store.transaction() as repos:
        versions = repos.read_live_job_versions()
        every = repos.read_job_heads()
        [head] = repos.read_job_heads(job_ids=[running.id, jobs[JobStatus.FAILED].id])
        by_id = {j.id: j for j in repos.read_jobs_by_id(job_ids=[running.id, "nope"])}
    assert versions[running.id] == 2
    assert {h.id for h in every} == {jobs[s].id for s in live}
    assert (head.id, head.version, head.cluster, head.status) == (
        running.id,
        2,
        running.cluster,
        JobStatus.RUNNING,
    )
    assert (head.observed_state, head.observed_modified_ms) == (ObservedState.RESTARTING, 42)
    assert (head.desired, head.stop_savepoint_id) == (DesiredState.STOPPED, "sp-1")
    assert (head.queue, head.admitted, head.waits) == ("q", True, False)
    assert list(by_id) == [running.id]
    assert by_id[running.id].observed.modified_ms == 42


def test_heads_are_read_in_chunks_beyond_the_parameter_limit(store: SqlStore) -> None:
    deployments = [make_deployment() for _ in range(1100)]
    jobs = [make_job(deployment, status=JobStatus.RUNNING) for deployment in deployments]
    with store.transaction() as repos:
        for deployment, job in zip(deployments, jobs, strict=True):
            repos.create_deployment(deployment=deployment)
            repos.create_job(job=job)
    ids = [job.id for job in jobs]
    with store.transaction() as repos:
        heads = repos.read_job_heads(job_ids=ids)
        loaded = repos.read_jobs_by_id(job_ids=ids)
    assert sorted(h.id for h in heads) == sorted(ids)
    assert sorted(j.id for j in loaded) == sorted(ids)
