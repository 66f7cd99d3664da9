"""The reconciler at scale (issue 20): a tick reads only what changed, detail reads are
capped and go first to what changed, and the first tick after a takeover does not
re-read every job's details before it acts."""

from __future__ import annotations

from collections.abc import Collection

from millstream.control.ports import JobDetails
from millstream.control.reconciler import Reconciler
from millstream.domain.errors import EnginePermanentError
from millstream.domain.jobs import Job, JobStatus, StopStrategy
from millstream.domain.observed import ObservedState
from tests.fakes import _Repos
from tests.unit.control.conftest import ALICE, SCOPE, World


def _running(world: World, count: int) -> list[Job]:
    jobs = [
        world.services.jobs.start(SCOPE, ALICE, world.deployment(name=f"d{i}").id)
        for i in range(count)
    ]
    world.tick()
    for job in jobs:
        world.flink.set_state(_read(world, job.id).flink_job_id or "", "RUNNING")
    world.tick(count)  # enough ticks for every changed row's detail read
    jobs = [_read(world, job.id) for job in jobs]
    assert all(job.status is JobStatus.RUNNING for job in jobs)
    return jobs


def _read(world: World, job_id: str) -> Job:
    return world.services.jobs.get(SCOPE, job_id)


class _Reads:
    """Counts what the reconciler reads from the in-memory store."""

    def __init__(self) -> None:
        self.heads: list[str] = []
        self.jobs: list[str] = []
        heads, jobs = _Repos.read_job_heads, _Repos.read_jobs_by_id
        reads = self

        def read_job_heads(repos: _Repos, *, job_ids: Collection[str] | None = None) -> object:
            found = heads(repos, job_ids=job_ids)
            reads.heads.extend(head.id for head in found)
            return found

        def read_jobs_by_id(repos: _Repos, *, job_ids: Collection[str]) -> object:
            reads.jobs.extend(job_ids)
            return jobs(repos, job_ids=job_ids)

        self._patches = {"read_job_heads": read_job_heads, "read_jobs_by_id": read_jobs_by_id}
        self._originals = {"read_job_heads": heads, "read_jobs_by_id": jobs}

    def __enter__(self) -> _Reads:
        for name, patch in self._patches.items():
            setattr(_Repos, name, patch)
        return self

    def __exit__(self, *_: object) -> None:
        for name, original in self._originals.items():
            setattr(_Repos, name, original)


def _count_details(world: World) -> list[str]:
    reads: list[str] = []
    real = world.flink.job_details

    def counting(flink_job_id: str) -> JobDetails:
        reads.append(flink_job_id)
        return real(flink_job_id)

    world.flink.job_details = counting  # type: ignore[method-assign]
    return reads


def test_a_steady_tick_reads_no_job_and_only_heads_of_changed_ones(world: World) -> None:
    world.reconciler.close()
    world.reconciler = Reconciler(world.store, world.engine, details_interval=3600.0)
    jobs = _running(world, 4)
    with _Reads() as reads:
        report = world.reconciler.run_iteration()
        assert (reads.heads, reads.jobs, report.jobs_loaded) == ([], [], 0)
        assert report.actions == {"NOTHING": 4}
        world.services.jobs.stop(SCOPE, ALICE, jobs[1].id, StopStrategy.NONE)  # a user's change
        world.reconciler.run_iteration()
        assert reads.heads == [jobs[1].id]  # the changed job's head, nothing else
        assert jobs[1].id in reads.jobs
        assert jobs[0].id not in reads.jobs
    assert _read(world, jobs[1].id).status in (JobStatus.CANCELLING, JobStatus.CANCELLED)


def test_first_tick_after_a_takeover_reads_details_within_the_budget(world: World) -> None:
    jobs = _running(world, 5)
    for job in jobs:  # every run moved while no reconciler watched (same state)
        world.flink.jobs[job.flink_job_id or ""].modified += 10
        world.flink.jobs[job.flink_job_id or ""].restarts = 1
    world.reconciler.close()
    world.reconciler = Reconciler(world.store, world.engine, details_budget=2)  # new leader
    reads = _count_details(world)
    world.tick()
    assert len(reads) == 2
    world.tick(2)
    assert sorted(reads) == sorted(job.flink_job_id or "" for job in jobs)  # each one once
    for job in jobs:
        seen = _read(world, job.id)
        assert seen.observed.restarts == 1
        assert seen.observed.modified_ms == world.flink.jobs[job.flink_job_id or ""].modified


def test_a_new_state_is_recorded_at_once_and_its_details_read_later(world: World) -> None:
    jobs = _running(world, 3)
    world.reconciler.close()
    world.reconciler = Reconciler(world.store, world.engine, details_budget=1)
    for job in jobs:
        world.flink.set_state(job.flink_job_id or "", "RESTARTING")
    reads = _count_details(world)
    world.tick()
    assert len(reads) == 1
    # the state is the truth for all three, read or not ...
    assert all(_read(world, j.id).observed.state is ObservedState.RESTARTING for j in jobs)
    unread = [j for j in jobs if j.flink_job_id not in reads]
    # ... and a job not read yet still counts as changed: it is read on the next ticks
    assert all(_read(world, j.id).observed.modified_ms == j.observed.modified_ms for j in unread)
    world.tick(2)
    assert sorted(reads) == sorted(job.flink_job_id or "" for job in jobs)


def test_state_changes_are_read_before_periodic_reads(world: World) -> None:
    jobs = _running(world, 4)
    world.reconciler.close()
    world.reconciler = Reconciler(world.store, world.engine, details_interval=0.0, details_budget=1)
    world.flink.set_state(jobs[3].flink_job_id or "", "RESTARTING")
    reads = _count_details(world)
    world.tick()
    assert reads == [jobs[3].flink_job_id]  # all four were due; the changed one first


def test_a_job_whose_details_fail_does_not_hold_the_line(world: World) -> None:
    first, second = _running(world, 2)
    world.reconciler.close()
    world.reconciler = Reconciler(world.store, world.engine, details_budget=1)
    for job in (first, second):
        world.flink.set_state(job.flink_job_id or "", "RESTARTING")
    tried: list[str] = []
    real = world.flink.job_details

    def failing_for_first(flink_job_id: str) -> JobDetails:
        tried.append(flink_job_id)
        if flink_job_id == first.flink_job_id:
            raise EnginePermanentError("no such job")
        return real(flink_job_id)

    world.flink.job_details = failing_for_first  # type: ignore[method-assign]
    world.tick(2)
    assert tried == [first.flink_job_id, second.flink_job_id]
    assert _read(world, first.id).observed.state is ObservedState.RESTARTING  # state anyway
