"""Metric charts and numbers: axis scaling, series drawing, and the console's units."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from millstream.web import numbers
from millstream.web.metric_charts import line_chart, nice_ceiling

T0 = int(datetime(2026, 1, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [
        (0, 1.0),
        (0.7, 1.0),
        (1, 1.0),
        (1.2, 2.0),
        (2.2, 2.5),
        (3, 5.0),
        (51, 100.0),
        (9999, 10000.0),
    ],
)
def test_nice_ceiling(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == pytest.approx(ceiling)


def test_line_chart_shares_one_time_axis_and_a_zero_based_y_axis() -> None:
    chart = line_chart(
        [("in", [(T0, 10.0), (T0 + 60_000, 40.0)]), ("out", [(T0 + 30_000, 20.0)])],
        width=200,
        height=100,
    )
    assert chart is not None
    first, second = chart.lines
    xs = [float(p.split(",")[0]) for p in first.points.split()]
    ys = [float(p.split(",")[1]) for p in first.points.split()]
    assert xs == [chart.left, chart.right]  # the series spans the whole window
    assert ys[1] < ys[0]  # more is higher up
    assert ys[1] == pytest.approx(chart.bottom - 40 / 50 * (chart.bottom - chart.top))
    assert [t.label for t in chart.y_ticks] == ["0", "25", "50"]
    assert [t.label for t in chart.x_ticks] == ["12:00:00", "12:01:00"]
    assert second.count == 1
    assert len(second.points.split()) == 2
    assert first.latest == 40.0


def test_step_charts_draw_stairs() -> None:
    chart = line_chart([("restarts", [(T0, 0.0), (T0 + 1000, 1.0), (T0 + 2000, 1.0)])], step=True)
    assert chart is not None
    assert len(chart.lines[0].points.split()) == 5  # 3 points + 2 risers


def test_no_points_no_chart() -> None:
    assert line_chart([("a", []), ("b", [])]) is None
    assert line_chart([("a", [(T0, float("nan"))])]) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (0.25, "0.25"), (950, "950"), (1234, "1.23k"), (3_400_000, "3.4M"), (12.6, "13")],
)
def test_compact(value: float, text: str) -> None:
    assert numbers.compact(value) == text


def test_units() -> None:
    assert numbers.rate(None) == "—"
    assert numbers.byte_size(512) == "512 B"
    assert numbers.byte_size(3 * 1024 * 1024) == "3.0 MiB"
    assert numbers.byte_size(5 * 1024**4) == "5120.0 GiB"
    assert numbers.ratio(0.456) == "46%"
    assert numbers.ms_share(250.0) == "25%"
    assert numbers.ms_share(None) == "—"
    assert numbers.milliseconds(1500) == "1.5 s"
    assert numbers.clock(datetime(2026, 1, 1, 9, 3, 4, tzinfo=UTC)) == "09:03:04 UTC"
    assert numbers.clock(None) == "—"
