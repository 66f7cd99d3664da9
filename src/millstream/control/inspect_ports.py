"""Ports for reading what Flink knows about a job: the diagnosis snapshot and the
read-only REST proxy (FlinkApiProxy).

``engine.inspect.FlinkInspector`` implements ``JobInspector``;
``control.services.diagnosis`` calls it. Nothing here writes to Flink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from millstream.domain.clusters import Cluster
from millstream.domain.diagnosis import CheckpointStats, ExceptionEntry, VertexPressure

__all__ = ["FlinkJobSnapshot", "JobInspector"]


@dataclass(frozen=True, slots=True)
class FlinkJobSnapshot:
    """Flink's view of one job at one moment; ``found`` is False when Flink does not
    know the job (it ended and the cluster forgot it)."""

    found: bool = True
    state: str | None = None
    uptime_ms: int | None = None
    restarts: int | None = None
    exceptions: tuple[ExceptionEntry, ...] = ()
    checkpoints: CheckpointStats | None = None
    backpressure: tuple[VertexPressure, ...] = ()


class JobInspector(Protocol):
    """Read-only access to a cluster's REST API. Unreachable clusters raise
    ``EngineUnavailable``; a path outside what the proxy allows raises ``InvalidInput``;
    a path Flink does not know raises ``NotFound``."""

    def snapshot(self, cluster: Cluster, flink_job_id: str) -> FlinkJobSnapshot: ...

    def proxy_get(self, cluster: Cluster, path: str, *, flink_job_id: str | None) -> Any:
        """GET ``path`` (with an optional query) if it is one of the listed read-only
        endpoints of job ``flink_job_id`` or of the cluster; Flink's JSON answer."""
        ...
