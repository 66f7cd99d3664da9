"""``domain.metric_series``: aggregates and epoch-aligned downsampling."""

from __future__ import annotations

import pytest

from millstream.domain.metric_series import Aggregate, aggregate, downsample


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        (Aggregate.AVG, 2.0),
        (Aggregate.SUM, 6.0),
        (Aggregate.MAX, 3.0),
        (Aggregate.MIN, 1.0),
        (Aggregate.COUNT, 3.0),
    ],
)
def test_aggregate(how: Aggregate, expected: float) -> None:
    assert aggregate([1.0, 3.0, 2.0], how) == expected


def test_aggregate_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        aggregate([], Aggregate.AVG)


def test_downsample_buckets_align_to_the_epoch_and_skip_empty_ones() -> None:
    points = [(60_000, 1.0), (75_000, 3.0), (119_999, 5.0), (240_000, 7.0)]
    assert downsample(points, bucket_ms=60_000, how=Aggregate.AVG) == [
        (60_000, 3.0),
        (240_000, 7.0),
    ]
    assert downsample(points, bucket_ms=60_000, how=Aggregate.MAX)[0] == (60_000, 5.0)
    assert downsample(points, bucket_ms=1_000, how=Aggregate.SUM) == [
        (60_000, 1.0),
        (75_000, 3.0),
        (119_000, 5.0),
        (240_000, 7.0),
    ]


def test_downsample_needs_a_positive_bucket() -> None:
    with pytest.raises(ValueError, match="positive"):
        downsample([(1, 1.0)], bucket_ms=0, how=Aggregate.AVG)
