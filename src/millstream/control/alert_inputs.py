"""``FlinkLiveMetrics``: the ``LiveMetrics`` port of ``control.alerting`` — the metrics
alert rules need that the metric sampler does not keep, read from Flink when a rule asks.

- ``failed_checkpoints``: the job metric ``numberOfFailedCheckpoints`` of the current run.
- ``source_lag``: FLIP-33's ``pendingRecords`` (records not yet fetched from the external
  system, reported by e.g. the Kafka source), summed over the sources' subtasks.
- ``backpressure``: the largest ``backPressuredTimeMsPerSecond`` / 1000 over the job's
  vertices (``control.vertex_loads``, through the diagnosis proxy).

Only jobs with a rule of that kind are read, once per alert round.
"""

from __future__ import annotations

from collections.abc import Collection

from millstream.control.context import Scope
from millstream.control.metric_catalog import SOURCES, FlinkMetricReader, SampledMetric
from millstream.control.ports import Store
from millstream.control.services.common import resolve_cluster
from millstream.control.vertex_loads import FlinkVertexLoads
from millstream.domain.jobs import Job

__all__ = ["FAILED_CHECKPOINTS", "SOURCE_LAG", "FlinkLiveMetrics"]

FAILED_CHECKPOINTS = SampledMetric("numberOfFailedCheckpoints")
SOURCE_LAG = SampledMetric("pendingRecords", SOURCES, "sum")


class FlinkLiveMetrics:
    def __init__(self, store: Store, reader: FlinkMetricReader, loads: FlinkVertexLoads) -> None:
        self._store = store
        self._reader = reader
        self._loads = loads

    def read(self, job: Job, names: Collection[str]) -> dict[str, float]:
        found: dict[str, float] = {}
        wanted = {
            name: metric
            for name, metric in (
                ("failed_checkpoints", FAILED_CHECKPOINTS),
                ("source_lag", SOURCE_LAG),
            )
            if name in names
        }
        if wanted and job.flink_job_id:
            with self._store.transaction() as repos:
                cluster = resolve_cluster(repos, Scope(job.workspace, job.namespace), job.cluster)
            values = self._reader.read(cluster, job.flink_job_id, list(wanted.values()))
            for name, metric in wanted.items():
                if metric.name in values:
                    found[name] = values[metric.name]
        if "backpressure" in names:
            ratios = [
                load.backpressured_ms_per_second / 1000.0
                for load in self._loads.loads(job)
                if load.backpressured_ms_per_second is not None
            ]
            if ratios:
                found["backpressure"] = max(ratios)
        return found
