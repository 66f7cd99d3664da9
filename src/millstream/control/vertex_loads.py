"""The load of each vertex of a running job, as Flink measures it now: the autoscaler's
input.

``FlinkVertexLoads`` reads through the diagnosis service's read-only Flink proxy (its
path policy applies): ``/jobs/{id}`` for the vertices and their parallelism, then per
vertex ``/jobs/{id}/vertices/{vid}/subtasks/metrics?get=busyTimeMsPerSecond,
backPressuredTimeMsPerSecond&agg=avg`` (the average over the vertex's subtasks). A value
Flink does not report (``NaN`` for some sources) is ``None``. Used by
``control.autoscaler.Autoscaler``.
"""

from __future__ import annotations

import math
from typing import Any

from millstream.control.context import Scope
from millstream.control.services.diagnosis import ProxyResource
from millstream.control.services.job_metrics import FlinkProxy
from millstream.domain.autoscale import VertexLoad
from millstream.domain.jobs import Job

__all__ = ["BACKPRESSURED", "BUSY", "FlinkVertexLoads"]

BUSY = "busyTimeMsPerSecond"
BACKPRESSURED = "backPressuredTimeMsPerSecond"


class FlinkVertexLoads:
    def __init__(self, diagnosis: FlinkProxy) -> None:
        self._diagnosis = diagnosis

    def loads(self, job: Job) -> list[VertexLoad]:
        """Every vertex of the job's current Flink run with its busy and backpressured time."""
        scope = Scope(job.workspace, job.namespace)
        resource = ProxyResource("jobs", job.id)

        def get(path: str) -> Any:
            # The proxy rewrites Millstream's job id to the current attempt's Flink JobID.
            return self._diagnosis.proxy(scope, resource, f"/jobs/{job.id}{path}")

        detail = get("")
        vertices = detail.get("vertices") if isinstance(detail, dict) else None
        loads = []
        for vertex in vertices if isinstance(vertices, list) else []:
            if not isinstance(vertex, dict) or not vertex.get("id"):
                continue
            vertex_id = str(vertex["id"])
            rows = get(f"/vertices/{vertex_id}/subtasks/metrics?get={BUSY},{BACKPRESSURED}&agg=avg")
            values = _values(rows)
            loads.append(
                VertexLoad(
                    vertex_id=vertex_id,
                    name=str(vertex.get("name") or vertex_id)[:512],
                    parallelism=_int(vertex.get("parallelism")),
                    busy_ms_per_second=values.get(BUSY),
                    backpressured_ms_per_second=values.get(BACKPRESSURED),
                )
            )
        return loads


def _values(rows: Any) -> dict[str, float]:
    found: dict[str, float] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or row.get("avg") is None:
            continue
        try:
            value = float(row["avg"])
        except (TypeError, ValueError):
            continue
        if not math.isnan(value) and not math.isinf(value):
            found[str(row.get("id"))] = value
    return found


def _int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
