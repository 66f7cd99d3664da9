"""``JobHeads``: the live jobs between ticks, re-read only when their version moved."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any, cast

from millstream.control.reconciler.heads import JobHeads
from millstream.control.reconciler_ports import JobHead, ReconcilerRepositories
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.observed import ObservedState


def _head(job_id: str, **changes: Any) -> JobHead:
    head = JobHead(
        id=job_id,
        version=1,
        workspace="w",
        cluster="c",
        status=JobStatus.RUNNING,
        desired=DesiredState.RUNNING,
        flink_job_id=f"f-{job_id}",
        observed_state=ObservedState.RUNNING,
        observed_modified_ms=1,
        stop_savepoint_id=None,
        status_reason=None,
        queue=None,
        admitted=False,
    )
    return dataclasses.replace(head, **changes)


class _Stored:
    """The store's live heads; counts the head reads."""

    def __init__(self, *heads: JobHead) -> None:
        self.heads = {head.id: head for head in heads}
        self.reads: list[list[str] | None] = []

    def write(self, job_id: str, **changes: Any) -> None:
        head = self.heads[job_id]
        self.heads[job_id] = dataclasses.replace(head, version=head.version + 1, **changes)

    def read_live_job_versions(self) -> dict[str, int]:
        return {head.id: head.version for head in self.heads.values()}

    def read_job_heads(self, *, job_ids: Collection[str] | None = None) -> list[JobHead]:
        self.reads.append(None if job_ids is None else sorted(job_ids))
        return [h for h in self.heads.values() if job_ids is None or h.id in job_ids]


def _repos(stored: _Stored) -> ReconcilerRepositories:
    return cast("ReconcilerRepositories", stored)


def test_an_unchanged_store_gives_the_same_heads_without_reading_any() -> None:
    stored = _Stored(*(_head(f"j{i}") for i in range(8)))
    heads = JobHeads()
    first = heads.refresh(_repos(stored))
    assert stored.reads == [None]  # all of them, once
    assert heads.refresh(_repos(stored)) is first
    assert stored.reads == [None]


def test_only_written_new_and_ended_jobs_change_the_heads() -> None:
    stored = _Stored(*(_head(f"j{i}") for i in range(8)))
    heads = JobHeads()
    heads.refresh(_repos(stored))
    stored.write("j3", observed_state=ObservedState.RESTARTING)
    stored.heads["j8"] = _head("j8")
    del stored.heads["j5"]  # ended
    now = heads.refresh(_repos(stored))
    assert stored.reads == [None, ["j3", "j8"]]
    assert [h.id for h in now] == ["j0", "j1", "j2", "j3", "j4", "j6", "j7", "j8"]
    assert now[3].observed_state is ObservedState.RESTARTING
    assert heads.refresh(_repos(stored)) is now  # and then nothing again
    assert len(stored.reads) == 2


def test_waiting_for_admission_follows_the_heads() -> None:
    stored = _Stored(*(_head(f"j{i}") for i in range(8)))
    heads = JobHeads()
    heads.refresh(_repos(stored))
    assert not heads.any_waiting()
    stored.write("j2", queue="q")  # queued, not admitted yet
    heads.refresh(_repos(stored))
    assert heads.any_waiting()
    stored.write("j2", admitted=True)
    heads.refresh(_repos(stored))
    assert not heads.any_waiting()
    stored.write("j4", queue="q")
    heads.refresh(_repos(stored))
    del stored.heads["j4"]  # ended while it waited
    heads.refresh(_repos(stored))
    assert not heads.any_waiting()
