"""The store port of the reconciler at scale: live jobs as small heads, loaded by change.

A tick must not load 10,000 full jobs to find the few that need work. The reconciler
(``control.reconciler.heads``) keeps one ``JobHead`` per live job (what deciding "nothing
to do" needs), reads the live jobs' ``(id, version)`` pairs each tick, and loads heads
only of new or changed jobs and full jobs only of those it acts on. ``store/`` implements
``ReconcilerRepositories``; ``SqlStore`` is a ``ReconcilerStore``.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from millstream.control.ports import Repositories
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.observed import ObservedState

__all__ = ["JobHead", "ReconcilerRepositories", "ReconcilerStore"]


@dataclass(frozen=True, slots=True)
class JobHead:
    """What the reconciler needs to see that a live job needs nothing this tick."""

    id: str
    version: int
    workspace: str
    cluster: str
    status: JobStatus
    desired: DesiredState
    flink_job_id: str | None
    observed_state: ObservedState | None
    observed_modified_ms: int | None
    stop_savepoint_id: str | None
    status_reason: str | None
    queue: str | None
    admitted: bool

    @property
    def waits(self) -> bool:
        """Queued without admission and still wanted (``control.admission.waits``)."""
        return self.queue is not None and not self.admitted and self.desired is DesiredState.RUNNING


class ReconcilerRepositories(Repositories, Protocol):
    def read_live_job_versions(self) -> dict[str, int]:
        """Job id -> version of every job whose status is not terminal."""
        ...

    def read_job_heads(self, *, job_ids: Collection[str] | None = None) -> list[JobHead]:
        """Heads of the live jobs among ``job_ids`` (None: of all live jobs), oldest first."""
        ...


class ReconcilerStore(Protocol):
    def transaction(self) -> AbstractContextManager[ReconcilerRepositories]:
        """One unit of work, as ``ports.Store.transaction``."""
        ...

    def reading(self) -> AbstractContextManager[ReconcilerRepositories]:
        """A unit of work that only reads, as ``ports.Store.reading``."""
        ...
