"""Port for reading a job's insides from Flink (``JobInsightSource``).

``engine.job_insights.FlinkInsightSource`` implements it over the read-only Flink REST
proxy (``JobInspector.proxy_get``, whose allow-list is ``engine.proxy_paths``);
``control.services.job_insights.JobInsightsService`` calls it. Every method raises
``NotFound`` when Flink does not know the job (any more) and ``EngineUnavailable`` when
the cluster does not answer.
"""

from __future__ import annotations

from typing import Protocol

from millstream.domain.clusters import Cluster
from millstream.domain.job_insights import (
    CheckpointSummary,
    ExceptionHistory,
    JobConfiguration,
    JobGraph,
    TaskManagers,
    VertexMetrics,
)

__all__ = ["JobInsightSource"]


class JobInsightSource(Protocol):
    def graph(self, cluster: Cluster, flink_job_id: str) -> JobGraph:
        """The job's vertices (with their busy and backpressure ratios) and edges."""
        ...

    def vertex_metrics(self, cluster: Cluster, flink_job_id: str) -> tuple[VertexMetrics, ...]:
        """Each vertex's live IO rates, time use and input watermark."""
        ...

    def graph_and_vertices(
        self, cluster: Cluster, flink_job_id: str
    ) -> tuple[JobGraph, tuple[VertexMetrics, ...]]:
        """``graph`` and ``vertex_metrics`` from one read of the job and its vertices."""
        ...

    def checkpoints(self, cluster: Cluster, flink_job_id: str) -> CheckpointSummary:
        """Counts, durations, sizes and the recent history of the job's checkpoints."""
        ...

    def exceptions(self, cluster: Cluster, flink_job_id: str, *, limit: int) -> ExceptionHistory:
        """At most ``limit`` of the job's failures, newest first."""
        ...

    def configuration(self, cluster: Cluster, flink_job_id: str) -> JobConfiguration:
        """The job's effective configuration (its own entries over the cluster's)."""
        ...

    def taskmanagers(self, cluster: Cluster) -> TaskManagers:
        """The cluster's TaskManagers with their slots, CPU and memory use."""
        ...

    def restarts(self, cluster: Cluster, flink_job_id: str) -> int | None:
        """How often Flink restarted the current run."""
        ...
