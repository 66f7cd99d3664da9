"""The reconciler's shared action types: what one action works on and what every part uses.

``Act`` is one job's unit of work in a tick (the job as read at the start of the tick,
its cluster's overview row, the cluster, the decision); every handler in ``jobs.py``,
``savepoints.py`` and ``observer.py`` takes one. ``Context`` carries what all parts of
the reconciler share (store, engine, clock) and the one way they write a job: guarded
by the job's version, with an optional event in the same transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from millstream.control.context import Scope
from millstream.control.ports import Engine, FlinkCluster, ObservedJob
from millstream.control.reconciler_ports import ReconcilerStore
from millstream.control.services.common import record_event
from millstream.control.services.variables import NamespaceVariables
from millstream.control.variables import mask_secrets
from millstream.domain.clusters import Cluster
from millstream.domain.decisions import Decision, Step
from millstream.domain.events import EventName
from millstream.domain.jobs import Failure, Job

__all__ = ["Act", "Context", "Handler", "TickReport", "ms_to_dt"]


@dataclass(slots=True)
class TickReport:
    """What one ``run_iteration`` did: the daemon logs it and the API's heartbeat shows it."""

    jobs: int = 0
    jobs_loaded: int = 0  # full jobs read (the others were decided on their heads)
    clusters_observed: int = 0
    clusters_unreachable: list[str] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, step: Step, times: int = 1) -> None:
        self.actions[step.value] = self.actions.get(step.value, 0) + times


@dataclass(slots=True)
class Act:
    """What one handler works on: the job, its cluster's row for it, the cluster, the
    decision. ``row`` is None when the cluster does not list the job's current run."""

    job: Job
    row: ObservedJob | None
    flink: FlinkCluster
    decision: Decision
    cluster: Cluster | None = None


Handler = Callable[[Act], None]


@dataclass(frozen=True, slots=True)
class Context:
    """What every part of the reconciler shares."""

    store: ReconcilerStore
    engine: Engine
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    variables: NamespaceVariables | None = None

    def save(self, job: Job, name: EventName | None = None, message: str = "") -> None:
        """Write ``job`` (StaleVersion when a user changed it meanwhile) and an event."""
        with self.store.transaction() as repos:
            job.modified_at = self.clock()
            repos.update_job(job=job)
            if name is not None:
                record_event(repos, job, name, message, now=job.modified_at)

    def redact(self, job: Job, failure: Failure | None) -> Failure | None:
        """``failure`` with every Encrypted variable of the job's namespace masked.

        Flink's failure texts may quote the submitted script or configuration, where
        Encrypted variables were substituted; every failure that comes from Flink passes
        here before it is stored on the job or quoted in an event (issue 19, item 6)."""
        if failure is None or self.variables is None:
            return failure
        secrets = self.variables.resolve(Scope(job.workspace, job.namespace)).secret_values()
        masked = mask_secrets(failure.message, secrets)
        return (
            failure if masked == failure.message else dataclasses.replace(failure, message=masked)
        )


def ms_to_dt(value: int | None) -> datetime | None:
    """Flink's epoch milliseconds (0 or negative: not yet) as a UTC datetime."""
    if value is None or value <= 0:
        return None
    return datetime.fromtimestamp(value / 1000, UTC)
