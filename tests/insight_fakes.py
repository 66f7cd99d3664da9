"""A fake ``JobInsightSource`` (the port ``engine.job_insights.FlinkInsightSource``
implements): fixed answers for the Flink jobs in ``known``, ``NotFound`` for the others,
``EngineUnavailable`` while ``down``; records each call as ``what@cluster``."""

from __future__ import annotations

from millstream.domain.clusters import Cluster
from millstream.domain.errors import EngineUnavailable, NotFound
from millstream.domain.job_insights import (
    CheckpointSummary,
    ConfigEntry,
    ConfigSource,
    ExceptionHistory,
    JobConfiguration,
    JobGraph,
    TaskManagers,
    VertexMetrics,
)

__all__ = ["SNK", "SRC", "FakeSource"]

SRC = VertexMetrics(
    "v1",
    "Source: src",
    1,
    records_out_per_second=100.0,
    is_source=True,
    busy_ms_per_second=10.0,
    backpressured_ms_per_second=300.0,
)
SNK = VertexMetrics(
    "v2",
    "snk: Writer",
    2,
    records_in_per_second=90.0,
    is_sink=True,
    busy_ms_per_second=700.0,
    backpressured_ms_per_second=0.0,
)


class FakeSource:
    """``JobInsightSource`` answering for the Flink jobs in ``known``."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.down = False
        self.calls: list[str] = []

    def _check(self, what: str, flink_job_id: str | None, cluster: Cluster) -> None:
        self.calls.append(f"{what}@{cluster.name}")
        if self.down:
            raise EngineUnavailable("connection refused")
        if flink_job_id is not None and flink_job_id not in self.known:
            raise NotFound("Flink does not know the job")

    def graph(self, cluster: Cluster, flink_job_id: str) -> JobGraph:
        self._check("graph", flink_job_id, cluster)
        return JobGraph()

    def vertex_metrics(self, cluster: Cluster, flink_job_id: str) -> tuple[VertexMetrics, ...]:
        self._check("vertices", flink_job_id, cluster)
        return (SRC, SNK)

    def graph_and_vertices(
        self, cluster: Cluster, flink_job_id: str
    ) -> tuple[JobGraph, tuple[VertexMetrics, ...]]:
        return self.graph(cluster, flink_job_id), self.vertex_metrics(cluster, flink_job_id)

    def checkpoints(self, cluster: Cluster, flink_job_id: str) -> CheckpointSummary:
        self._check("checkpoints", flink_job_id, cluster)
        return CheckpointSummary(completed=3)

    def exceptions(self, cluster: Cluster, flink_job_id: str, *, limit: int) -> ExceptionHistory:
        self._check("exceptions", flink_job_id, cluster)
        return ExceptionHistory(truncated=limit < 10)

    def configuration(self, cluster: Cluster, flink_job_id: str) -> JobConfiguration:
        self._check("configuration", flink_job_id, cluster)
        return JobConfiguration(
            (
                ConfigEntry("execution.checkpointing.interval", "2s", ConfigSource.CLUSTER),
                ConfigEntry("parallelism.default", "1", ConfigSource.CLUSTER),
            )
        )

    def taskmanagers(self, cluster: Cluster) -> TaskManagers:
        self._check("taskmanagers", None, cluster)
        return TaskManagers(cluster.name)

    def restarts(self, cluster: Cluster, flink_job_id: str) -> int | None:
        self._check("restarts", flink_job_id, cluster)
        return 2
