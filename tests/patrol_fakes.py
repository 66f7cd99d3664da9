"""Fakes for patrol tests: an in-memory ``PatrolStore``, a ``JobInspector`` that answers
snapshots from a table (a cluster in ``down`` is unreachable), and ``seed_running_job``
which stores a namespace, a cluster, a deployment and one RUNNING job."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from millstream.control.inspect_ports import FlinkJobSnapshot
from millstream.control.patrol_ports import ReportFilter
from millstream.control.ports import Store
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Deployment
from millstream.domain.errors import EngineUnavailable
from millstream.domain.jobs import Job, JobStatus
from millstream.domain.patrol import PatrolConfig, PatrolReport
from millstream.domain.savepoints import SavepointState
from tests.factories import make_cluster, make_deployment, make_job, make_namespace, make_savepoint


class MemoryPatrolRepos:
    def __init__(self) -> None:
        self.configs: dict[tuple[str, str], PatrolConfig] = {}
        self.reports: dict[str, PatrolReport] = {}

    def read_patrol_config(self, *, workspace: str, namespace: str) -> PatrolConfig | None:
        return self.configs.get((workspace, namespace))

    def read_patrol_configs(self) -> list[PatrolConfig]:
        return list(self.configs.values())

    def write_patrol_config(self, *, config: PatrolConfig) -> None:
        self.configs[(config.workspace, config.namespace)] = config

    def create_patrol_report(self, *, report: PatrolReport) -> None:
        self.reports[report.id] = report

    def read_patrol_report(
        self, *, workspace: str, namespace: str, report_id: str
    ) -> PatrolReport | None:
        found = self.reports.get(report_id)
        if found is None or (found.workspace, found.namespace) != (workspace, namespace):
            return None
        return found

    def _of(self, workspace: str, namespace: str) -> list[PatrolReport]:
        mine = [
            r for r in self.reports.values() if (r.workspace, r.namespace) == (workspace, namespace)
        ]
        return sorted(mine, key=lambda r: (r.started_at, r.id), reverse=True)

    def read_patrol_reports(
        self, *, workspace: str, namespace: str, where: ReportFilter, offset: int, limit: int
    ) -> tuple[list[PatrolReport], int]:
        found = [
            r
            for r in self._of(workspace, namespace)
            if (where.start is None or r.started_at >= where.start)
            and (where.end is None or r.started_at <= where.end)
            and (where.status is None or r.status is where.status)
            and (where.trigger is None or r.trigger is where.trigger)
            and (where.scope is None or r.scope.kind is where.scope)
        ]
        return found[offset : offset + limit], len(found)

    def prune_patrol_reports(self, *, workspace: str, namespace: str, keep: int) -> int:
        victims = self._of(workspace, namespace)[keep:]
        for report in victims:
            del self.reports[report.id]
        return len(victims)


class MemoryPatrolStore:
    def __init__(self) -> None:
        self.repos = MemoryPatrolRepos()

    @contextmanager
    def transaction(self) -> Iterator[MemoryPatrolRepos]:
        working = copy.deepcopy(self.repos)
        yield working
        self.repos = working


class SnapshotInspector:
    """``JobInspector`` answering ``snapshot`` from ``snapshots[flink_job_id]``."""

    def __init__(self) -> None:
        self.snapshots: dict[str, FlinkJobSnapshot] = {}
        self.down: set[str] = set()
        self.asked: list[str] = []

    def snapshot(self, cluster: Cluster, flink_job_id: str) -> FlinkJobSnapshot:
        self.asked.append(flink_job_id)
        if cluster.rest_url in self.down:
            raise EngineUnavailable(f"{cluster.rest_url} does not answer")
        return self.snapshots.get(flink_job_id, FlinkJobSnapshot(found=False))

    def proxy_get(self, cluster: Cluster, path: str, *, flink_job_id: str | None) -> Any:  # noqa: ARG002
        raise AssertionError(f"patrol reads snapshots only, not {path}")


@dataclasses.dataclass(frozen=True)
class Seeded:
    deployment: Deployment
    job: Job
    cluster: Cluster


def seed_namespace(store: Store, workspace: str, namespace: str) -> Cluster:
    cluster = make_cluster(workspace=workspace, name="default", rest_url="http://flink:8081")
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace(workspace=workspace, name=namespace))
        repos.create_cluster(cluster=cluster)
    return cluster


def seed_running_job(
    store: Store,
    cluster: Cluster,
    *,
    started: datetime,
    savepoint_at: datetime | None = None,
    labels: dict[str, str] | None = None,
    name: str = "orders",
    namespace: str = "ns",
) -> Seeded:
    deployment = make_deployment(
        workspace=cluster.workspace,
        namespace=namespace,
        name=name,
        labels=labels or {},
        cluster=cluster.name,
    )
    job = make_job(
        deployment,
        status=JobStatus.RUNNING,
        flink_job_id=deployment.id.replace("-", "")[:32],
        start_time=started,
    )
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
        if savepoint_at is not None:
            repos.create_savepoint(
                savepoint=make_savepoint(
                    deployment,
                    job,
                    state=SavepointState.COMPLETED,
                    location="file:///tmp/sp",
                    created_at=savepoint_at,
                )
            )
    return Seeded(deployment, job, cluster)
