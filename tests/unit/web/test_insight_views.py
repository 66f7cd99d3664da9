"""The job page's drawn graph and charts from job-insight values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from millstream.domain.job_insights import (
    GraphEdge,
    GraphVertex,
    InsightMetric,
    JobGraph,
    MetricSeries,
    VertexMetrics,
)
from millstream.web import insight_views

GRAPH = JobGraph(
    vertices=(
        GraphVertex("src", "Source: src[1] -> Calc[2]", 2, busy_ratio=0.05),
        GraphVertex("snk", "Sink: snk[3]", 1, operators=("Sink: snk[3]",)),
    ),
    edges=(GraphEdge("src", "snk", "REBALANCE"),),
)


def test_graph_view_lists_chained_operators_and_colours_by_load() -> None:
    metrics = (VertexMetrics("snk", "Sink: snk[3]", 1, backpressured_ms_per_second=800.0),)
    view = insight_views.graph_view(GRAPH, metrics)
    assert view is not None
    source, sink = view.vertices
    assert source.lines == ["Source: src[1]", "Calc[2]"]  # split from Flink's name
    assert source.heat.state == "idle"
    assert sink.heat.state == "backpressured"  # from the vertex metrics' 800 ms/s
    assert "parallelism 2" in source.tooltip
    assert [e.label for e in view.edges] == ["REBALANCE"]
    ended = insight_views.graph_view(GRAPH, metrics, coloured=False)
    assert ended is not None
    assert {v.heat.state for v in ended.vertices} == {"unknown"}  # an ended job is grey
    assert insight_views.graph_view(None) is None
    assert insight_views.graph_view(JobGraph()) is None


def test_chart_views_scale_each_metric_into_its_unit() -> None:
    at = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)

    def series(metric: InsightMetric, *values: float) -> MetricSeries:
        points = tuple((at + i * 1000, v) for i, v in enumerate(values))
        return MetricSeries("j", metric, points)

    views = insight_views.chart_views(
        {
            InsightMetric.RECORDS_IN: series(InsightMetric.RECORDS_IN, 40, 50),
            InsightMetric.CHECKPOINT_DURATION: series(InsightMetric.CHECKPOINT_DURATION, 1500),
            InsightMetric.BUSY: series(InsightMetric.BUSY, 250),
        }
    )
    by_key = {view.key: view for view in views}
    assert set(by_key) == {"records", "checkpoint-duration", "restarts", "load"}
    assert [e.latest for e in by_key["records"].legend] == ["50/s", "—"]
    assert by_key["checkpoint-duration"].legend[0].latest == "1.5 s"
    assert by_key["load"].legend[0].latest == "25%"
    assert by_key["restarts"].chart is None
    assert set(insight_views.CHART_METRICS) >= {InsightMetric.RECORDS_OUT, InsightMetric.RESTARTS}


def test_history_step_keeps_a_long_life_near_240_points() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert insight_views.history_step(start, start + timedelta(minutes=5)) is None
    assert insight_views.history_step(start, start + timedelta(hours=2)) == 30
