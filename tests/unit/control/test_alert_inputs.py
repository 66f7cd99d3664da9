"""``FlinkLiveMetrics`` reads what alert rules need from Flink's REST answers (served by a
fake inspector and proxy): ``numberOfFailedCheckpoints``, FLIP-33 ``pendingRecords``
summed over the source vertices only, and the largest per-vertex average of
``backPressuredTimeMsPerSecond`` as a 0..1 ratio; nothing asked, nothing read."""

from __future__ import annotations

from typing import Any

from millstream.control.alert_inputs import FlinkLiveMetrics
from millstream.control.context import Scope
from millstream.control.metric_catalog import FlinkMetricReader
from millstream.control.services.diagnosis import ProxyResource
from millstream.control.vertex_loads import FlinkVertexLoads
from millstream.domain.clusters import Cluster
from millstream.domain.jobs import JobStatus
from tests.factories import make_cluster, make_job
from tests.fakes import InMemoryStore

FLINK = "f" * 32
_PLAN = {
    "plan": {
        "nodes": [
            {"id": "src", "description": "Source: kafka"},
            {"id": "map", "description": "Map", "inputs": [{"id": "src"}]},
        ]
    }
}


class FakeInspector:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def snapshot(self, cluster: Cluster, flink_job_id: str) -> Any:  # noqa: ARG002
        raise AssertionError("not used")

    def proxy_get(self, cluster: Cluster, path: str, *, flink_job_id: str | None) -> Any:  # noqa: ARG002
        self.paths.append(path)
        base = f"/jobs/{FLINK}"
        answers: dict[str, Any] = {
            base + "/metrics?get=numberOfFailedCheckpoints": [
                {"id": "numberOfFailedCheckpoints", "value": "3"}
            ],
            base + "/plan": _PLAN,
            base + "/vertices/src/subtasks/metrics": [{"id": "pendingRecords"}],
            base + "/vertices/map/subtasks/metrics": [{"id": "pendingRecords"}],
            base + "/vertices/src/subtasks/metrics?get=pendingRecords&agg=sum": [
                {"id": "pendingRecords", "sum": 1200}
            ],
            base + "/vertices/map/subtasks/metrics?get=pendingRecords&agg=sum": [
                {"id": "pendingRecords", "sum": 99999}  # not a source: not counted
            ],
        }
        return answers[path]


class FakeProxy:
    def proxy(self, scope: Scope, resource: ProxyResource, path: str) -> Any:  # noqa: ARG002
        job = f"/jobs/{resource.id}"
        if path == job:
            return {"vertices": [{"id": "src", "parallelism": 2}, {"id": "map"}]}
        ratio = {"src": 100.0, "map": 650.0}[path.split("/vertices/")[1].split("/")[0]]
        return [
            {"id": "busyTimeMsPerSecond", "avg": 10.0},
            {"id": "backPressuredTimeMsPerSecond", "avg": ratio},
        ]


def _live() -> tuple[FlinkLiveMetrics, FakeInspector, Any]:
    store = InMemoryStore()
    cluster = make_cluster(name="default")
    with store.transaction() as repos:
        repos.create_cluster(cluster=cluster)
    inspector = FakeInspector()
    job = make_job(status=JobStatus.RUNNING, flink_job_id=FLINK, cluster="default")
    live = FlinkLiveMetrics(store, FlinkMetricReader(inspector), FlinkVertexLoads(FakeProxy()))
    return live, inspector, job


def test_reads_failed_checkpoints_source_lag_and_backpressure() -> None:
    live, _, job = _live()
    found = live.read(job, ["failed_checkpoints", "source_lag", "backpressure"])
    assert found == {"failed_checkpoints": 3.0, "source_lag": 1200.0, "backpressure": 0.65}


def test_reads_only_what_is_asked() -> None:
    live, inspector, job = _live()
    assert live.read(job, ["failed_checkpoints"]) == {"failed_checkpoints": 3.0}
    assert inspector.paths == [f"/jobs/{FLINK}/metrics?get=numberOfFailedCheckpoints"]
    assert live.read(job, []) == {}
