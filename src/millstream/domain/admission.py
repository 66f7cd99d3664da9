"""The admission policy: which waiting jobs a queue lets start now (DESIGN.md §5).

Pure: given a queue's capacity, the CUs its admitted jobs hold and the jobs waiting on
it, ``admit`` returns the jobs to start now, those that keep waiting (in order), those
that can never fit and those whose schedule timeout expired. The rules, in order:

1. A job whose schedule timeout expired leaves the line.
2. A job that can never fit (more than the queue's per-job maximum or its whole
   capacity) is refused at once instead of blocking everyone behind it.
3. The rest are served in order: higher ``priority`` first, then earlier
   ``enqueued_at``, then job id (a stable order across restarts).
4. Gang admission: a job is admitted whole or not at all, and only when every job ahead
   of it was admitted; the first one that does not fit blocks the line (no smaller job
   overtakes it), so a big job is never starved by a stream of small ones.

``control.admission`` calls it once per queue per reconciler tick.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

__all__ = ["Admission", "AdmissionReason", "Waiting", "admit", "queue_order"]


class AdmissionReason(enum.StrEnum):
    """Why a job is where it is, shown beside its status (``Job.status_reason``)."""

    WAITING_FOR_RESOURCES = "WAITING_FOR_RESOURCES"  # STARTING: its queue is full
    SCHEDULE_TIMEOUT = "SCHEDULE_TIMEOUT"  # FAILED: waited longer than its timeout
    INSUFFICIENT_RESOURCES = "INSUFFICIENT_RESOURCES"  # FAILED: can never fit its queue


class Waiting(NamedTuple):
    """One job waiting on a queue (a tuple: a pass builds thousands of them)."""

    job_id: str
    priority: int
    enqueued_at: datetime
    cost_cu: float
    timeout_seconds: int | None = None

    def expired(self, now: datetime) -> bool:
        return self.timeout_seconds is not None and now >= self.enqueued_at + timedelta(
            seconds=self.timeout_seconds
        )


@dataclass(frozen=True, slots=True)
class Admission:
    admitted: tuple[Waiting, ...]
    waiting: tuple[Waiting, ...]  # still waiting, in the order they will be served
    never_fit: tuple[tuple[Waiting, str], ...]  # with the reason
    timed_out: tuple[Waiting, ...]
    used_cu: float  # after admitting ``admitted``


def queue_order(job: Waiting) -> tuple[int, datetime, str]:
    """Sort key of the line: higher priority first, then first come, then id."""
    return (-job.priority, job.enqueued_at, job.job_id)


def admit(
    *,
    capacity_cu: float,
    used_cu: float,
    waiting: Iterable[Waiting],
    now: datetime,
    max_job_cu: float | None = None,
) -> Admission:
    """Decide one admission pass for one queue (see the module docstring)."""
    never_fit: list[tuple[Waiting, str]] = []
    timed_out: list[Waiting] = []
    line: list[Waiting] = []
    for job in waiting:
        if job.timeout_seconds is not None and job.expired(now):
            timed_out.append(job)
        elif max_job_cu is not None and job.cost_cu > max_job_cu:
            never_fit.append(
                (job, f"needs {job.cost_cu:g} CU, above the per-job maximum {max_job_cu:g} CU")
            )
        elif job.cost_cu > capacity_cu:
            never_fit.append(
                (job, f"needs {job.cost_cu:g} CU, above the whole capacity {capacity_cu:g} CU")
            )
        else:
            line.append(job)
    line.sort(key=queue_order)
    admitted: list[Waiting] = []
    used = used_cu
    blocked_at = len(line)
    for index, job in enumerate(line):
        # A thousandth of slack: CU figures are rounded to the thousandth.
        if used + job.cost_cu > capacity_cu + 1e-9:
            blocked_at = index
            break
        used += job.cost_cu
        admitted.append(job)
    return Admission(
        admitted=tuple(admitted),
        waiting=tuple(line[blocked_at:]),
        never_fit=tuple(never_fit),
        timed_out=tuple(timed_out),
        used_cu=round(used, 3),
    )
