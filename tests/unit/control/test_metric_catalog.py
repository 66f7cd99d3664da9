"""``control.metric_catalog.FlinkMetricReader``: every sampled metric of a job in
``1 + V`` requests (the plan once), aggregated over sources, sinks or all vertices."""

from __future__ import annotations

from millstream.control.metric_catalog import SAMPLED_METRICS, FlinkMetricReader, SampledMetric
from tests.factories import make_cluster
from tests.unit.control.metric_fakes import FakeInspector

CLUSTER = make_cluster(rest_url="http://flink-a")


def _inspector() -> FakeInspector:
    inspector = FakeInspector()
    inspector.job_values["f1"] = {
        "numberOfCompletedCheckpoints": 7,
        "lastCheckpointDuration": 120,
        "numRestarts": 2,
    }
    inspector.vertex_values["f1"] = {
        ("s1", "numRecordsOutPerSecond", "sum"): 10.0,
        ("s2", "numRecordsOutPerSecond", "sum"): 5.5,
        ("j", "numRecordsOutPerSecond", "sum"): 3.0,
        ("j", "numRecordsInPerSecond", "sum"): 15.5,
        ("k", "numRecordsInPerSecond", "sum"): 3.0,
        ("s1", "Shuffle.Netty.Output.Buffers.outPoolUsage", "max"): 0.25,
        ("j", "Shuffle.Netty.Output.Buffers.outPoolUsage", "max"): 0.75,
    }
    return inspector


def test_reads_job_and_vertex_metrics_aggregated_over_their_vertices() -> None:
    values = FlinkMetricReader(_inspector()).read(CLUSTER, "f1")
    assert values == {
        "numberOfCompletedCheckpoints": 7.0,
        "lastCheckpointDuration": 120.0,
        "numRestarts": 2.0,
        "all.numRecordsOutPerSecond.sum": 18.5,
        "sources.numRecordsOutPerSecond.sum": 15.5,
        "all.numRecordsInPerSecond.sum": 18.5,
        "sinks.numRecordsInPerSecond.sum": 3.0,
        "all.Shuffle.Netty.Output.Buffers.outPoolUsage.max": 0.75,
    }  # no lastCheckpointSize, no inPoolUsage: Flink reported none


def test_one_request_for_job_metrics_and_one_per_vertex_and_the_plan_once() -> None:
    inspector = _inspector()
    reader = FlinkMetricReader(inspector)
    reader.read(CLUSTER, "f1")
    first = [path for _, path in inspector.gets]
    assert len(first) == 1 + 1 + 4 + 4  # job metrics, plan, four listings, four vertices
    assert first[0].startswith("/jobs/f1/metrics?get=")
    assert sorted(first[0].split("=", 1)[1].split(",")) == sorted(
        {m.flink for m in SAMPLED_METRICS if not m.vertices}
    )
    assert "/jobs/f1/plan" in first
    inspector.gets.clear()
    reader.read(CLUSTER, "f1")
    assert len(inspector.gets) == 1 + 4
    reader.forget(set())
    inspector.gets.clear()
    reader.read(CLUSTER, "f1")
    assert ("http://flink-a", "/jobs/f1/plan") in inspector.gets


def test_only_job_metrics_asked_reads_no_vertex() -> None:
    inspector = _inspector()
    values = FlinkMetricReader(inspector).read(CLUSTER, "f1", [SampledMetric("numRestarts")])
    assert values == {"numRestarts": 2.0}
    assert [path for _, path in inspector.gets] == ["/jobs/f1/metrics?get=numRestarts"]


def test_values_that_are_not_numbers_are_left_out() -> None:
    inspector = _inspector()
    inspector.job_values["f1"] = {"numRestarts": "n/a", "lastCheckpointSize": "NaN"}  # type: ignore[dict-item]
    values = FlinkMetricReader(inspector).read(
        CLUSTER, "f1", [SampledMetric("numRestarts"), SampledMetric("lastCheckpointSize")]
    )
    assert values == {}


def test_only_names_a_vertex_reports_are_asked() -> None:
    inspector = _inspector()
    FlinkMetricReader(inspector).read(CLUSTER, "f1")
    asked = {path for _, path in inspector.gets if "/vertices/k/" in path and "get=" in path}
    assert asked == {"/jobs/f1/vertices/k/subtasks/metrics?get=numRecordsInPerSecond&agg=max,sum"}


def test_a_vertex_listing_nothing_yet_is_listed_again_next_time() -> None:
    inspector = _inspector()
    reported = inspector.vertex_values["f1"]
    inspector.vertex_values["f1"] = {}  # Flink's metric fetcher has not polled yet
    reader = FlinkMetricReader(inspector)
    assert "sources.numRecordsOutPerSecond.sum" not in reader.read(CLUSTER, "f1")
    inspector.vertex_values["f1"] = reported
    assert reader.read(CLUSTER, "f1")["sources.numRecordsOutPerSecond.sum"] == 15.5


def test_sources_and_sinks_are_read_from_their_operators_when_the_vertex_reports_them() -> None:
    # A source chained to its sink sends nothing over the network: the vertices' own
    # rates are 0, their operators' are what the job reads and writes.
    inspector = _inspector()
    inspector.vertex_values["f1"].update(
        {
            ("s1", "numRecordsOutPerSecond", "sum"): 0.0,
            ("s1", "Source__a[1].numRecordsOutPerSecond", "sum"): 40.0,
            ("s1", "Source__a[1].numRecordsOutPerSecond", "max"): 40.0,
            ("k", "numRecordsInPerSecond", "sum"): 0.0,
            ("k", "c[4]__Writer.numRecordsInPerSecond", "sum"): 38.0,
            ("k", "c[4]__Writer.numRecordsInPerSecond", "max"): 38.0,
        }
    )
    values = FlinkMetricReader(inspector).read(CLUSTER, "f1")
    assert values["sources.numRecordsOutPerSecond.sum"] == 40.0  # s1's operator; s2 has none
    assert values["sinks.numRecordsInPerSecond.sum"] == 38.0
    assert values["all.numRecordsOutPerSecond.sum"] == 8.5  # vertex rates stay vertex rates
