"""The job page's insides as values the templates print: the drawn job graph (boxes,
curves, colours), the metric charts over the job's life and the sampling step of the
kept history.

Pure functions over ``domain.job_insights`` values; ``insight_data`` reads those from the
job-insights service and calls these; ``tests/unit/web`` covers them directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from millstream.domain.job_insights import (
    GraphVertex,
    InsightMetric,
    JobGraph,
    MetricSeries,
    VertexMetrics,
)
from millstream.web.job_graph import Box, Edge, Heat, heat, layout, operator_lines
from millstream.web.metric_charts import LineChart, line_chart
from millstream.web.numbers import compact

__all__ = [
    "CHART_METRICS",
    "ChartView",
    "DrawnVertex",
    "GraphView",
    "LegendEntry",
    "chart_views",
    "graph_view",
    "history_step",
]

_MAX_CHART_POINTS = 240  # per series: enough for a 520 px chart, cheap to send every poll


@dataclass(frozen=True, slots=True)
class DrawnVertex:
    """One vertex box: where it is, its colour and the operator lines it lists."""

    vertex: GraphVertex
    box: Box[GraphVertex]
    heat: Heat
    lines: list[str]
    tooltip: str


@dataclass(frozen=True, slots=True)
class GraphView:
    width: float
    height: float
    vertices: list[DrawnVertex]
    edges: list[Edge]


def _operators(vertex: GraphVertex) -> list[str]:
    """Chained operators in chain order; Flink's ``a -> b`` name when none are listed."""
    if vertex.operators:
        return list(vertex.operators)
    return [part.strip() for part in vertex.name.split(" -> ") if part.strip()] or [vertex.id]


def graph_view(
    graph: JobGraph | None, metrics: Sequence[VertexMetrics] = (), *, coloured: bool = True
) -> GraphView | None:
    """The job graph laid out, each vertex coloured by its busy and backpressured time
    (the vertex metrics' when given, so graph and table agree, else the graph's own
    ratios; grey when not ``coloured``, as for an ended job); None without vertices."""
    if graph is None or not graph.vertices:
        return None
    by_id = {m.vertex_id: m for m in metrics}
    drawn = layout(
        graph.vertices,
        [(e.source, e.target, e.ship_strategy) for e in graph.edges],
        lambda v: len(_operators(v)),
    )
    vertices: list[DrawnVertex] = []
    for box in drawn.boxes:
        vertex = box.vertex
        busy, pressed = _load(vertex, by_id.get(vertex.id)) if coloured else (None, None)
        colour = heat(busy, pressed)
        operators = _operators(vertex)
        tooltip = "\n".join([*operators, f"parallelism {vertex.parallelism}", colour.state])
        vertices.append(DrawnVertex(vertex, box, colour, operator_lines(operators), tooltip))
    return GraphView(drawn.width, drawn.height, vertices, drawn.edges)


def _load(vertex: GraphVertex, measured: VertexMetrics | None) -> tuple[float | None, float | None]:
    """(busy, backpressured) ratios of a vertex: the vertex metrics' ms per second, each
    falling back to the graph's ratio (the two are read at slightly different times)."""
    busy, pressed = vertex.busy_ratio, vertex.backpressure_ratio
    if measured is not None and measured.busy_ms_per_second is not None:
        busy = measured.busy_ms_per_second / 1000
    if measured is not None and measured.backpressured_ms_per_second is not None:
        pressed = measured.backpressured_ms_per_second / 1000
    return busy, pressed


# ------------------------------------------------------------------ charts


@dataclass(frozen=True, slots=True)
class LegendEntry:
    name: str
    slot: int
    latest: str


@dataclass(frozen=True, slots=True)
class ChartView:
    """One chart card: its title, the drawing (None: nothing kept yet) and its legend."""

    key: str
    title: str
    chart: LineChart | None
    legend: list[LegendEntry]


# (key, title, unit, step-drawn, [(series name, metric, scale)])
_CHARTS: tuple[tuple[str, str, str, bool, tuple[tuple[str, InsightMetric, float], ...]], ...] = (
    (
        "records",
        "Records per second",
        "/s",
        False,
        (
            ("in (sources)", InsightMetric.RECORDS_IN, 1.0),
            ("out (sinks)", InsightMetric.RECORDS_OUT, 1.0),
        ),
    ),
    (
        "checkpoint-duration",
        "Checkpoint duration",
        " s",
        False,
        (("last completed", InsightMetric.CHECKPOINT_DURATION, 0.001),),
    ),
    ("restarts", "Restarts", "", True, (("restarts", InsightMetric.RESTARTS, 1.0),)),
    (
        "load",
        "Busy and backpressured time",
        "%",
        False,
        (
            ("busiest subtask", InsightMetric.BUSY, 0.1),
            ("most backpressured", InsightMetric.BACKPRESSURE, 0.1),
        ),
    ),
)

CHART_METRICS: tuple[InsightMetric, ...] = tuple(
    metric for *_, series in _CHARTS for _, metric, _ in series
)


def chart_views(history: Mapping[InsightMetric, MetricSeries]) -> list[ChartView]:
    """The job page's charts from the kept series (a metric missing draws nothing)."""
    views: list[ChartView] = []
    for key, title, unit, step, series in _CHARTS:
        lines: list[tuple[str, list[tuple[int, float]]]] = []
        for name, metric, scale in series:
            kept = history.get(metric)
            points = [(at, value * scale) for at, value in kept.points] if kept else []
            lines.append((name, points))
        chart = line_chart(lines, step=step)
        legend = [
            LegendEntry(
                line.name,
                line.slot,
                "—" if line.latest is None else f"{compact(line.latest)}{unit}",
            )
            for line in (chart.lines if chart else [])
        ]
        views.append(ChartView(key, title, chart, legend))
    return views


def history_step(start: datetime, end: datetime) -> int | None:
    """Seconds per averaged point so a series over ``start..end`` stays near
    ``_MAX_CHART_POINTS`` points; None (every sample) for a short life."""
    span = (end - start).total_seconds()
    step = int(span // _MAX_CHART_POINTS)
    return step if step >= 2 else None
