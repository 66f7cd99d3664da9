"""Fakes for the metric history tests: Flink's metric REST answers and an in-memory
``MetricSampleStore``."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from millstream.control.inspect_ports import FlinkJobSnapshot
from millstream.control.metric_ports import MetricSample
from millstream.domain.clusters import Cluster
from millstream.domain.errors import EngineUnavailable, NotFound

# A diamond: two sources -> join -> one sink.
PLAN = {
    "plan": {
        "nodes": [
            {"id": "s1", "description": "Source: a"},
            {"id": "s2", "operator": "Source: b"},
            {"id": "j", "description": "Join", "inputs": [{"id": "s1"}, {"id": "s2"}]},
            {"id": "k", "description": "Sink: c", "inputs": [{"id": "j"}]},
        ]
    }
}


class FakeInspector:
    """Serves ``/jobs/{id}/metrics``, ``/plan`` and aggregated subtask metrics (and their
    listing) from ``job_values[flink_id][name]`` and
    ``vertex_values[flink_id][(vertex, name, agg)]`` as Flink 2.3 does: an aggregated
    request naming a metric the vertex does not report answers nothing. Records every
    GET; a cluster URL in ``down`` is unreachable."""

    def __init__(self) -> None:
        self.job_values: dict[str, dict[str, float]] = {}
        self.vertex_values: dict[str, dict[tuple[str, str, str], float]] = {}
        self.down: set[str] = set()
        self.gets: list[tuple[str, str]] = []
        self.gate: threading.Event | None = None  # set: answers wait for it
        self._lock = threading.Lock()

    def snapshot(self, cluster: Cluster, flink_job_id: str) -> FlinkJobSnapshot:
        raise AssertionError(f"no snapshots of {flink_job_id} on {cluster.name} expected")

    def proxy_get(self, cluster: Cluster, path: str, *, flink_job_id: str | None) -> Any:
        if self.gate is not None:
            self.gate.wait(10)
        with self._lock:
            self.gets.append((cluster.rest_url, path))
        if cluster.rest_url in self.down:
            raise EngineUnavailable(f"{cluster.rest_url} does not answer")
        parts = urlsplit(path)
        segments = parts.path.split("/")[1:]
        assert segments[:2] == ["jobs", flink_job_id], path
        if flink_job_id not in self.job_values:
            raise NotFound(f"Flink does not know {flink_job_id}")
        query = dict(parse_qsl(parts.query))
        names = query.get("get", "").split(",")
        rest = segments[2:]
        if rest == ["plan"]:
            return PLAN
        if rest == ["metrics"]:
            values = self.job_values[flink_job_id]
            return [{"id": n, "value": str(values[n])} for n in names if n in values]
        assert rest[0] == "vertices", path
        assert rest[2:] == ["subtasks", "metrics"], path
        vertex = rest[1]
        found = self.vertex_values.get(flink_job_id, {})
        listed = {name for (v, name, _) in found if v == vertex}
        if "get" not in query:  # the listing of the names the subtasks report
            return [{"id": name} for name in sorted(listed)]
        if not set(names) <= listed:  # Flink 2.3: one unknown name, no answer at all
            return []
        aggs = query["agg"].split(",")
        rows = []
        for name in names:
            row: dict[str, Any] = {"id": name}
            row.update(
                {agg: found[(vertex, name, agg)] for agg in aggs if (vertex, name, agg) in found}
            )
            if len(row) > 1:
                rows.append(row)
        return rows


class MemorySamples:
    """``MetricSampleStore`` in memory; records sweep calls."""

    def __init__(self) -> None:
        self.rows: list[MetricSample] = []
        self.deleted_before: list[datetime] = []
        self.trimmed_to: list[int] = []

    @contextmanager
    def transaction(self) -> Iterator[MemorySamples]:
        yield self

    def create_metric_samples(self, *, samples: Sequence[MetricSample]) -> None:
        self.rows.extend(samples)

    def read_metric_samples(
        self,
        *,
        job_id: str,
        names: Collection[str],
        start: datetime,
        end: datetime,
        limit: int,
    ) -> list[MetricSample]:
        found = [
            s
            for s in self.rows
            if s.job_id == job_id and s.name in names and start <= s.sampled_at <= end
        ]
        return sorted(found, key=lambda s: s.sampled_at)[:limit]

    def delete_metric_samples(self, *, sampled_before: datetime, limit: int) -> int:
        self.deleted_before.append(sampled_before)
        self.rows.sort(key=lambda s: s.sampled_at)
        expired = sum(1 for s in self.rows if s.sampled_at < sampled_before)
        deleted = min(expired, limit)
        del self.rows[:deleted]
        return deleted

    def trim_metric_samples(self, *, keep_per_job: int) -> int:
        self.trimmed_to.append(keep_per_job)
        return 0
