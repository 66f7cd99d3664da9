"""``FlinkInsightSource``: the ``JobInsightSource`` port over Flink's REST API.

Every GET goes through ``JobInspector.proxy_get`` (``engine.inspect.FlinkInspector``), so
the read-only allow-list of ``engine.proxy_paths`` applies to these reads too. Parsing is
in ``engine.insight_parsers``. Costs per call: graph and vertex metrics ``1 + 2V`` GETs
for a job of ``V`` vertices the first time, ``1 + V`` after (the names each vertex reports
are cached per Flink job, since Flink answers an aggregated request naming one metric it
does not know with nothing at all); checkpoints 2; exceptions 1; configuration 2;
TaskManagers ``1 + T``. Wired by ``composition.build_runtime``.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

from millstream.control.inspect_ports import JobInspector
from millstream.domain.clusters import Cluster
from millstream.domain.errors import MillstreamError, NotFound
from millstream.domain.job_insights import (
    CheckpointSummary,
    ExceptionHistory,
    JobConfiguration,
    JobGraph,
    TaskManagers,
    VertexMetrics,
)
from millstream.engine.insight_parsers import (
    TASKMANAGER_METRICS,
    VERTEX_METRICS,
    VertexRows,
    job_vertices,
    metric_rows,
    operator_metrics,
    parse_checkpoints,
    parse_configuration,
    parse_exceptions,
    parse_graph,
    parse_taskmanagers,
    parse_vertex_metrics,
)

__all__ = ["FlinkInsightSource"]

_MAX_VERTICES = 64  # vertices whose metrics one call reads at most
_MAX_TASKMANAGERS = 64
_MAX_CACHED = 10_000  # (job, vertex) metric listings kept at most


class FlinkInsightSource:
    """Thread-safe: the API serves several requests at once."""

    def __init__(self, inspector: JobInspector) -> None:
        self._inspector = inspector
        self._listed: dict[tuple[str, str], frozenset[str]] = {}
        self._lock = threading.Lock()

    def graph(self, cluster: Cluster, flink_job_id: str) -> JobGraph:
        job = self._get(cluster, flink_job_id, "")
        return parse_graph(job, self._loads(cluster, flink_job_id, job))

    def vertex_metrics(self, cluster: Cluster, flink_job_id: str) -> tuple[VertexMetrics, ...]:
        job = self._get(cluster, flink_job_id, "")
        return parse_vertex_metrics(job, self._loads(cluster, flink_job_id, job))

    def graph_and_vertices(
        self, cluster: Cluster, flink_job_id: str
    ) -> tuple[JobGraph, tuple[VertexMetrics, ...]]:
        job = self._get(cluster, flink_job_id, "")
        loads = self._loads(cluster, flink_job_id, job)
        return parse_graph(job, loads), parse_vertex_metrics(job, loads)

    def checkpoints(self, cluster: Cluster, flink_job_id: str) -> CheckpointSummary:
        answer = self._get(cluster, flink_job_id, "/checkpoints")
        try:
            config = self._get(cluster, flink_job_id, "/checkpoints/config")
        except NotFound:  # Flink answers 404 here when checkpointing is off
            config = None
        return parse_checkpoints(answer, config)

    def exceptions(self, cluster: Cluster, flink_job_id: str, *, limit: int) -> ExceptionHistory:
        answer = self._get(cluster, flink_job_id, f"/exceptions?maxExceptions={int(limit)}")
        return parse_exceptions(answer, limit=limit)

    def configuration(self, cluster: Cluster, flink_job_id: str) -> JobConfiguration:
        cluster_entries = self._get(cluster, flink_job_id, "/jobmanager/config")
        job_config = self._get(cluster, flink_job_id, "/config")
        return parse_configuration(cluster_entries, job_config)

    def taskmanagers(self, cluster: Cluster) -> TaskManagers:
        answer = self._inspector.proxy_get(cluster, "/taskmanagers", flink_job_id=None)
        rows = answer.get("taskmanagers") if isinstance(answer, dict) else None
        metrics: dict[str, dict[str, Any]] = {}
        names = ",".join(TASKMANAGER_METRICS)
        for row in (rows or [])[:_MAX_TASKMANAGERS]:
            tm_id = str(row.get("id", "")) if isinstance(row, dict) else ""
            if not tm_id:
                continue
            try:
                metrics[tm_id] = metric_rows(
                    self._inspector.proxy_get(
                        cluster,
                        f"/taskmanagers/{tm_id}/metrics?get={names}",
                        flink_job_id=None,
                    )
                )
            except MillstreamError:  # it left meanwhile, or its id does not fit the list
                continue
        return parse_taskmanagers(cluster.name, answer, metrics)

    def restarts(self, cluster: Cluster, flink_job_id: str) -> int | None:
        rows = metric_rows(self._get(cluster, flink_job_id, "/metrics?get=numRestarts"))
        value = rows.get("numRestarts", {}).get("value")
        try:
            return int(float(value)) if value is not None else None
        except (TypeError, ValueError):
            return None

    def forget(self, flink_job_id: str) -> None:
        """Drop the cached metric listings of one Flink job."""
        with self._lock:
            for key in [k for k in self._listed if k[0] == flink_job_id]:
                del self._listed[key]

    # ------------------------------------------------------------------ helpers

    def _get(self, cluster: Cluster, flink_job_id: str, path: str) -> Any:
        return self._inspector.proxy_get(
            cluster, f"/jobs/{flink_job_id}{path}", flink_job_id=flink_job_id
        )

    def _loads(self, cluster: Cluster, flink_job_id: str, job: Any) -> dict[str, VertexRows]:
        """Each vertex's aggregated ``VERTEX_METRICS`` (only those it reports)."""
        state = str(job.get("state", "")).upper() if isinstance(job, dict) else ""
        if state != "RUNNING":
            return {}  # a job that is not running has no live task metrics
        loads: dict[str, VertexRows] = {}
        for vertex in job_vertices(job)[:_MAX_VERTICES]:
            vertex_id = str(vertex["id"])
            names = self._reported(cluster, flink_job_id, vertex_id)
            if not names:
                continue
            query = ",".join(quote(name, safe=".") for name in names)
            loads[vertex_id] = metric_rows(
                self._get(
                    cluster,
                    flink_job_id,
                    f"/vertices/{vertex_id}/subtasks/metrics?get={query}&agg=sum,max,min",
                )
            )
        return loads

    def _reported(self, cluster: Cluster, flink_job_id: str, vertex_id: str) -> list[str]:
        """Which of ``VERTEX_METRICS`` the vertex's subtasks report. Flink lists names
        only once its metric fetcher polled the TaskManagers: a listing without any of
        ours is asked again next time."""
        key = (flink_job_id, vertex_id)
        with self._lock:
            listed = self._listed.get(key)
        if listed is None:
            listed = frozenset(
                metric_rows(
                    self._get(cluster, flink_job_id, f"/vertices/{vertex_id}/subtasks/metrics")
                )
            )
            if listed & set(VERTEX_METRICS):
                with self._lock:
                    if len(self._listed) >= _MAX_CACHED:
                        self._listed.clear()
                    self._listed[key] = listed
        return [name for name in VERTEX_METRICS if name in listed] + operator_metrics(listed)
