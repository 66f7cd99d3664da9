"""``api.foas.metric_queries``: GetInstanceMetric's OpenTSDB ``metricJson``, parsed, and
every malformed part a 400 ``InvalidParameter`` naming it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from millstream.api.foas.errors import FoasError
from millstream.api.foas.metric_queries import Downsample, parse_metric_json
from millstream.domain.metric_series import Aggregate


def _parse(**fields: Any) -> Any:
    return parse_metric_json(json.dumps({"queries": [{"metric": "checkpoints"}]} | fields))


def test_the_documents_example_parses() -> None:
    asked = parse_metric_json(
        json.dumps(
            {
                "start": 1606291390000,
                "end": 1606294626216,
                "limit": "avg:sample:50",
                "queries": [
                    {
                        "downsample": "20s-avg",
                        "metric": "blink.projectName.jobName.task_failover.rate",
                        "granularity": "20s",
                        "aggregator": "max",
                    }
                ],
            }
        )
    )
    assert (asked.start_ms, asked.end_ms) == (1606291390000, 1606294626216)
    (query,) = asked.queries
    assert query.metric == "blink.projectName.jobName.task_failover.rate"
    assert query.aggregator is Aggregate.MAX
    assert query.downsample == Downsample(20_000, Aggregate.AVG)


def test_defaults_no_window_avg_and_no_downsample() -> None:
    asked = _parse()
    assert (asked.start_ms, asked.end_ms) == (None, None)
    assert asked.queries[0].aggregator is Aggregate.AVG
    assert asked.queries[0].downsample is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1m-avg", Downsample(60_000, Aggregate.AVG)),
        ("500ms-max", Downsample(500, Aggregate.MAX)),
        ("2h-sum-none", Downsample(7_200_000, Aggregate.SUM)),
        ("1d-MIN", Downsample(86_400_000, Aggregate.MIN)),
        ("30s-count", Downsample(30_000, Aggregate.COUNT)),
    ],
)
def test_downsample_forms(text: str, expected: Downsample) -> None:
    query = _parse(queries=[{"metric": "m", "downsample": text}]).queries[0]
    assert query.downsample == expected


def test_granularity_alone_buckets_with_the_aggregator() -> None:
    query = _parse(queries=[{"metric": "m", "granularity": "5m", "aggregator": "min"}]).queries[0]
    assert query.downsample == Downsample(300_000, Aggregate.MIN)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"queries": [{"metric": "m", "aggregator": "p99"}]}, "aggregator"),
        ({"queries": [{"metric": "m", "aggregator": 3}]}, "aggregator"),
        ({"queries": [{"metric": "m", "downsample": "1m"}]}, "downsample"),
        ({"queries": [{"metric": "m", "downsample": "1w-avg"}]}, "downsample interval"),
        ({"queries": [{"metric": "m", "downsample": "0s-avg"}]}, "downsample interval"),
        ({"queries": [{"metric": "m", "downsample": "1m-median"}]}, "downsample function"),
        ({"queries": [{"metric": "m", "downsample": "1m-avg-zero"}]}, "downsample"),
        ({"queries": [{"metric": "m", "downsample": 60}]}, "downsample"),
        ({"queries": [{"metric": "m", "granularity": "soon"}]}, "granularity"),
        ({"start": "yesterday"}, "start"),
        ({"start": -5}, "start"),
        ({"end": 10**20}, "end"),
        ({"end": True}, "end"),
        ({"start": 2000, "end": 1000}, "end is before"),
        ({"queries": []}, "queries"),
        ({"queries": [{"metric": ""}]}, "metric name"),
        ({"queries": [{"metric": "m"}] * 51}, "queries"),
    ],
)
def test_malformed_parts_are_invalid_parameter(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(FoasError) as caught:
        _parse(**fields)
    assert (caught.value.status, caught.value.code) == (400, "InvalidParameter")
    assert named in caught.value.message


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"'])
def test_metric_json_must_be_a_json_object(raw: str) -> None:
    with pytest.raises(FoasError) as caught:
        parse_metric_json(raw)
    assert caught.value.code == "InvalidParameter"


def test_start_and_end_may_be_digit_strings() -> None:
    asked = _parse(start="1606291390000", end=1606294626216.0)
    assert (asked.start_ms, asked.end_ms) == (1606291390000, 1606294626216)
