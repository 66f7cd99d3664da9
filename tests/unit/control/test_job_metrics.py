"""``control.services.job_metrics``: which vertices are sources and sinks, how subtask
metrics are aggregated, and that a value Flink does not report stays ``None``."""

from __future__ import annotations

from typing import Any

from millstream.control.context import Scope
from millstream.control.services.diagnosis import ProxyResource
from millstream.control.services.job_metrics import ALL, SINKS, SOURCES, JobMetrics
from millstream.domain.jobs import Job
from tests.factories import make_job

SCOPE = Scope("ws", "ns")


class FakeProxy:
    """Flink's REST answers for a diamond: two sources -> join -> one sink."""

    def __init__(self, values: dict[tuple[str, str], Any]) -> None:
        self.values = values
        self.paths: list[str] = []

    def proxy(self, scope: Scope, resource: ProxyResource, path: str) -> Any:
        assert scope == SCOPE
        assert resource == ProxyResource("jobs", "job-1")
        self.paths.append(path)
        rest = path.removeprefix("/jobs/job-1")
        if rest == "/plan":
            return {
                "plan": {
                    "nodes": [
                        {"id": "s1", "description": "Source: a"},
                        {"id": "s2", "operator": "Source: b"},
                        {"id": "j", "description": "Join", "inputs": [{"id": "s1"}, {"id": "s2"}]},
                        {"id": "k", "description": "Sink: c", "inputs": [{"id": "j"}]},
                    ]
                }
            }
        where, _, query = rest.partition("?")
        params = dict(part.split("=") for part in query.split("&"))
        vertex = where.split("/")[2] if where.startswith("/vertices/") else ""
        value = self.values.get((vertex, params["get"]))
        field = params.get("agg", "value")
        return [] if value is None else [{"id": params["get"], field: value}]


def _job() -> Job:
    return make_job(id="job-1")


def test_sources_have_no_input_and_sinks_feed_nothing() -> None:
    reader = JobMetrics(FakeProxy({}), SCOPE, _job())
    assert [(v.id, v.name) for v in reader.vertices(SOURCES)] == [
        ("s1", "Source: a"),
        ("s2", "Source: b"),
    ]
    assert [v.id for v in reader.vertices(SINKS)] == ["k"]
    assert [v.inputs for v in reader.vertices(ALL)][2] == ("s1", "s2")


def test_the_plan_is_read_once() -> None:
    proxy = FakeProxy({})
    reader = JobMetrics(proxy, SCOPE, _job())
    reader.vertices(SOURCES)
    reader.vertices(SINKS)
    assert proxy.paths.count("/jobs/job-1/plan") == 1


def test_vertex_metrics_sum_over_vertices_or_take_the_maximum() -> None:
    proxy = FakeProxy(
        {
            ("s1", "numRecordsOutPerSecond"): "2.5",
            ("s2", "numRecordsOutPerSecond"): 4,
            ("s1", "buffers.outPoolUsage"): 0.2,
            ("s2", "buffers.outPoolUsage"): 0.7,
        }
    )
    reader = JobMetrics(proxy, SCOPE, _job())
    assert reader.over_vertices("numRecordsOutPerSecond", SOURCES) == 6.5
    assert reader.over_vertices("buffers.outPoolUsage", SOURCES, "max") == 0.7
    assert "/jobs/job-1/vertices/s2/subtasks/metrics?get=numRecordsOutPerSecond&agg=sum" in (
        proxy.paths
    )


def test_what_flink_does_not_report_is_none() -> None:
    proxy = FakeProxy({("k", "numRecordsIn"): "not a number"})
    reader = JobMetrics(proxy, SCOPE, _job())
    assert reader.over_vertices("numRecordsInPerSecond", SINKS) is None
    assert reader.vertex_metric(reader.vertices(SINKS)[0], "numRecordsIn") is None
    assert reader.job_metric("numRestarts") is None


def test_job_metrics_read_the_value() -> None:
    reader = JobMetrics(FakeProxy({("", "numRestarts"): 3}), SCOPE, _job())
    assert reader.job_metric("numRestarts") == 3.0
