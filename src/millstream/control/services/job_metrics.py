"""Flink's current metrics of one running job, read through the diagnosis service's
read-only Flink proxy: job metrics, and vertex metrics aggregated over subtasks and over
the job's sources (vertices with no input), sinks (vertices feeding none) or all
vertices.

Every value is what Flink answers now, ``None`` when Flink has no value (a metric it does
not report, a job it already forgot). Used by DLI's ``ShowFlinkMetric``. The plan's
vertices (``Vertex``, ``parse_plan``, ``select_vertices``) come from
``control.metric_catalog``, which reads the same values in batches for the metric history.
"""

from __future__ import annotations

from typing import Any, Protocol

from millstream.control.context import Scope
from millstream.control.metric_catalog import (
    ALL,
    SINKS,
    SOURCES,
    Vertex,
    parse_plan,
    select_vertices,
)
from millstream.control.services.diagnosis import ProxyResource
from millstream.domain.jobs import Job

__all__ = [
    "ALL",
    "SINKS",
    "SOURCES",
    "FlinkProxy",
    "JobMetrics",
    "Vertex",
    "parse_plan",
    "select_vertices",
]


class FlinkProxy(Protocol):
    """What is read through: ``DiagnosisService.proxy`` (its path policy applies)."""

    def proxy(self, scope: Scope, resource: ProxyResource, path: str) -> Any: ...


class JobMetrics:
    """Reads one submitted job's metrics; the plan is read once, on first need."""

    def __init__(self, diagnosis: FlinkProxy, scope: Scope, job: Job) -> None:
        self._diagnosis = diagnosis
        self._scope = scope
        self._job = job
        self._plan: list[Vertex] | None = None

    def _get(self, path: str) -> Any:
        # The proxy rewrites Millstream's job id to Flink's JobID of the current attempt.
        return self._diagnosis.proxy(
            self._scope, ProxyResource("jobs", self._job.id), f"/jobs/{self._job.id}{path}"
        )

    def vertices(self, which: str = ALL) -> list[Vertex]:
        """The plan's vertices: ``all``, the ``sources`` or the ``sinks``."""
        if self._plan is None:
            self._plan = parse_plan(self._get("/plan"))
        return select_vertices(self._plan, which)

    def job_metric(self, name: str) -> float | None:
        """A job-level metric (``numRestarts``, ``lastCheckpointSize``...)."""
        return _first(self._get(f"/metrics?get={name}"), "value")

    def vertex_metric(self, vertex: Vertex, name: str, aggregate: str = "sum") -> float | None:
        """A task metric of one vertex, aggregated over its subtasks (sum, max, min, avg)."""
        rows = self._get(f"/vertices/{vertex.id}/subtasks/metrics?get={name}&agg={aggregate}")
        return _first(rows, aggregate)

    def over_vertices(self, name: str, which: str = ALL, aggregate: str = "sum") -> float | None:
        """``vertex_metric`` over several vertices: summed, or the maximum for ``max``."""
        values = [
            value
            for vertex in self.vertices(which)
            if (value := self.vertex_metric(vertex, name, aggregate)) is not None
        ]
        if not values:
            return None
        return max(values) if aggregate == "max" else sum(values)


def _first(rows: Any, field: str) -> float | None:
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get(field) is not None:
            try:
                return float(row[field])
            except (TypeError, ValueError):
                return None
    return None
