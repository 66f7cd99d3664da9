"""Which Flink metrics the metric history keeps, and how one job's are read in few requests.

``SAMPLED_METRICS`` are the values ``control.services.job_metrics.JobMetrics`` reads one
by one: job metrics (completed checkpoints, last checkpoint duration and size,
``numRestarts``) and vertex metrics aggregated over each vertex's subtasks and then over
the job's sources, sinks or all vertices (summed, or the maximum for ``max``).
``FlinkMetricReader`` reads all of them through the read-only ``JobInspector`` with
``1 + V`` GETs for a job of ``V`` vertices: ``/jobs/{id}/metrics?get=a,b,..`` and
``/jobs/{id}/vertices/{v}/subtasks/metrics?get=..&agg=sum,max``. Its plan and the
names each vertex reports are read once per Flink job (Flink answers an aggregated
request naming one metric it does not know with nothing at all). Used by
``control.metric_sampler`` (every sampling round) and ``control.services.metric_history``
(the live point). Names are Millstream's, e.g. ``numRestarts`` or
``sources.numRecordsOutPerSecond.sum``; a dialect maps its own.

What sources emit and sinks take is read from their *operators* where the vertex reports
them (``Source__src[1].numRecordsOutPerSecond``): a source chained to its sink in one
vertex sends nothing over the network, so the vertex's own record rates are 0 there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from millstream.control.inspect_ports import JobInspector
from millstream.domain.clusters import Cluster

__all__ = [
    "ALL",
    "SAMPLED_METRICS",
    "SINKS",
    "SOURCES",
    "FlinkMetricReader",
    "SampledMetric",
    "Vertex",
    "is_sink_operator_rate",
    "is_source_operator_rate",
    "parse_plan",
    "select_vertices",
]

ALL, SOURCES, SINKS = "all", "sources", "sinks"

# Plans kept at most (one per running Flink job); beyond it the reader forgets them all.
_MAX_PLANS = 10_000
# Operator-level record rates read per vertex at most (a vertex chaining many sources).
_MAX_OPERATOR_RATES = 8


@dataclass(frozen=True, slots=True)
class Vertex:
    """One vertex of the job's plan: Flink's id and its operator description."""

    id: str
    name: str
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SampledMetric:
    """A job metric (``vertices`` empty) or a vertex metric over ``all``, ``sources`` or
    ``sinks``, aggregated over subtasks by ``aggregate`` (``sum`` or ``max``)."""

    flink: str
    vertices: str = ""
    aggregate: str = "sum"

    @property
    def name(self) -> str:
        """The name samples are stored under."""
        if not self.vertices:
            return self.flink
        return f"{self.vertices}.{self.flink}.{self.aggregate}"


SAMPLED_METRICS: tuple[SampledMetric, ...] = (
    SampledMetric("numberOfCompletedCheckpoints"),
    SampledMetric("lastCheckpointDuration"),
    SampledMetric("lastCheckpointSize"),
    SampledMetric("numRestarts"),
    SampledMetric("numRecordsInPerSecond", ALL),
    SampledMetric("numRecordsOutPerSecond", ALL),
    SampledMetric("numRecordsOutPerSecond", SOURCES),
    SampledMetric("numRecordsInPerSecond", SINKS),
    # Flink 2.x names of the network buffer pools' usage (Flink 1.x: buffers.inPoolUsage).
    SampledMetric("Shuffle.Netty.Input.Buffers.inPoolUsage", ALL, "max"),
    SampledMetric("Shuffle.Netty.Output.Buffers.outPoolUsage", ALL, "max"),
    # the busiest and most back-pressured subtask of any vertex (job insights' charts)
    SampledMetric("busyTimeMsPerSecond", ALL, "max"),
    SampledMetric("backPressuredTimeMsPerSecond", ALL, "max"),
)


class FlinkMetricReader:
    """Reads the sampled metrics of running Flink jobs; caches each job's plan.

    Thread-safe: the sampler reads several jobs at once."""

    def __init__(self, inspector: JobInspector) -> None:
        self._inspector = inspector
        self._plans: dict[str, list[Vertex]] = {}
        self._listed: dict[tuple[str, str], frozenset[str]] = {}  # (job, vertex): names
        self._lock = threading.Lock()

    def read(
        self,
        cluster: Cluster,
        flink_job_id: str,
        metrics: Collection[SampledMetric] = SAMPLED_METRICS,
    ) -> dict[str, float]:
        """Each metric's value by ``SampledMetric.name``; those Flink has no value for
        are left out. Flink errors propagate (``EngineUnavailable``, ``NotFound``)."""
        base = f"/jobs/{flink_job_id}"

        def get(path: str) -> Any:
            return self._inspector.proxy_get(cluster, base + path, flink_job_id=flink_job_id)

        values: dict[str, float] = {}
        job_names = sorted({m.flink for m in metrics if not m.vertices})
        if job_names:
            rows = _by_id(get(f"/metrics?get={_names(job_names)}"))
            for name in job_names:
                value = _number(rows.get(name, {}).get("value"))
                if value is not None:
                    values[name] = value
        over_vertices = [m for m in metrics if m.vertices]
        if not over_vertices:
            return values
        plan = self._plan(flink_job_id, get)
        wanted = {m.flink for m in over_vertices}
        operators = [p for m in over_vertices if (p := _operator_rate(m)) is not None]
        aggregates = ",".join(sorted({m.aggregate for m in over_vertices}))
        per_vertex: dict[str, dict[str, dict[str, Any]]] = {}
        for vertex in plan:
            listed = self._vertex_names(flink_job_id, vertex.id, wanted, get)
            names = (
                sorted(listed & wanted)
                + sorted(name for name in listed if any(rate(name) for rate in operators))[
                    :_MAX_OPERATOR_RATES
                ]
            )
            if names:
                per_vertex[vertex.id] = _by_id(
                    get(
                        f"/vertices/{vertex.id}/subtasks/metrics"
                        f"?get={_names(names)}&agg={aggregates}"
                    )
                )
        for metric in over_vertices:
            rate = _operator_rate(metric)
            by_operator = [
                value
                for vertex in select_vertices(plan, metric.vertices)
                for name, row in per_vertex.get(vertex.id, {}).items()
                if rate is not None and rate(name)
                if (value := _number(row.get("sum"))) is not None
            ]
            if by_operator:
                values[metric.name] = sum(by_operator)
                continue
            found = [
                value
                for vertex in select_vertices(plan, metric.vertices)
                if (
                    value := _number(
                        per_vertex.get(vertex.id, {}).get(metric.flink, {}).get(metric.aggregate)
                    )
                )
                is not None
            ]
            if found:
                values[metric.name] = max(found) if metric.aggregate == "max" else sum(found)
        return values

    def forget(self, keep: Collection[str]) -> None:
        """Drop what is cached of Flink jobs not in ``keep`` (they stopped running)."""
        wanted = set(keep)
        with self._lock:
            for flink_job_id in [j for j in self._plans if j not in wanted]:
                del self._plans[flink_job_id]
            for key in [k for k in self._listed if k[0] not in wanted]:
                del self._listed[key]

    def _vertex_names(
        self, flink_job_id: str, vertex_id: str, wanted: set[str], get: Callable[[str], Any]
    ) -> frozenset[str]:
        """The names the vertex's subtasks report (only asked ones may be read: Flink
        answers nothing at all when one asked name is unknown). Flink lists them only
        once its metric fetcher polled the TaskManagers: a listing without any wanted
        name is asked again."""
        key = (flink_job_id, vertex_id)
        with self._lock:
            listed = self._listed.get(key)
        if listed is None:
            rows = get(f"/vertices/{vertex_id}/subtasks/metrics")
            listed = frozenset(_by_id(rows))
            if listed & wanted:
                with self._lock:
                    if len(self._listed) >= _MAX_PLANS:
                        self._listed.clear()
                    self._listed[key] = listed
        return listed

    def _plan(self, flink_job_id: str, get: Callable[[str], Any]) -> list[Vertex]:
        with self._lock:
            plan = self._plans.get(flink_job_id)
        if plan is None:
            plan = parse_plan(get("/plan"))
            with self._lock:
                if len(self._plans) >= _MAX_PLANS:
                    self._plans.clear()
                self._plans[flink_job_id] = plan
        return plan


def is_source_operator_rate(name: str) -> bool:
    """``Source__src[8].numRecordsOutPerSecond``: what a source operator emits (Flink
    names an operator's metrics ``<operator>.<metric>``, spaces and colons as ``_``)."""
    operator, _, metric = name.rpartition(".")
    return metric == "numRecordsOutPerSecond" and operator.startswith("Source__")


def is_sink_operator_rate(name: str) -> bool:
    """``snk[14]__Writer.numRecordsInPerSecond`` (SQL sinks) or
    ``Sink__out.numRecordsInPerSecond``: what a sink operator takes."""
    operator, _, metric = name.rpartition(".")
    return metric == "numRecordsInPerSecond" and (
        operator.startswith("Sink__") or operator.endswith("__Writer")
    )


def _operator_rate(metric: SampledMetric) -> Callable[[str], bool] | None:
    """The operator-level names that measure ``metric`` better than its vertices do."""
    if metric.vertices == SOURCES and metric.flink == "numRecordsOutPerSecond":
        return is_source_operator_rate
    if metric.vertices == SINKS and metric.flink == "numRecordsInPerSecond":
        return is_sink_operator_rate
    return None


def parse_plan(answer: Any) -> list[Vertex]:
    """The vertices of Flink's ``GET /jobs/{id}/plan`` answer."""
    plan = answer.get("plan") if isinstance(answer, dict) else None
    nodes = plan.get("nodes") if isinstance(plan, dict) else None
    return [
        Vertex(
            id=str(node.get("id", "")),
            name=str(node.get("description") or node.get("operator") or ""),
            inputs=tuple(
                str(link.get("id", ""))
                for link in node.get("inputs") or []
                if isinstance(link, dict)
            ),
        )
        for node in nodes or []
        if isinstance(node, dict)
    ]


def select_vertices(plan: list[Vertex], which: str) -> list[Vertex]:
    """``all`` of the plan's vertices, its ``sources`` (no input) or ``sinks`` (feeding none)."""
    if which == SOURCES:
        return [v for v in plan if not v.inputs]
    if which == SINKS:
        feeding = {i for v in plan for i in v.inputs}
        return [v for v in plan if v.id not in feeding]
    return list(plan)


def _names(names: list[str]) -> str:
    return ",".join(quote(name, safe=".") for name in names)


def _by_id(rows: Any) -> dict[str, dict[str, Any]]:
    """Flink's ``[{"id": name, ...}]`` metric rows by name."""
    return {
        str(row["id"]): row
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, dict) and "id" in row
    }


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None
