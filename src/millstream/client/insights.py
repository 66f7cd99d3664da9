"""Client operations of the job-insight extension of the native API (``GetJobGraph``,
``ListJobVertexMetrics``, ``GetJobCheckpoints``, ``ListJobExceptions``,
``GetJobConfiguration``, ``ListJobTaskManagers``, ``GetJobMetricHistory``,
``ListJobLoads``). Values like those of ``client.operations``; ``MillstreamClient`` sends
them and answers the models of ``client.insight_models``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from millstream.client.insight_models import (
    METRICS,
    JobCheckpoints,
    JobConfiguration,
    JobExceptions,
    JobGraphInsight,
    JobLoad,
    JobTaskManagers,
    JobVertexMetrics,
    MetricSeries,
)
from millstream.client.models import WireModel
from millstream.client.operations import Operation

__all__ = [
    "job_checkpoints",
    "job_configuration",
    "job_exceptions",
    "job_graph",
    "job_loads",
    "job_metric_history",
    "job_taskmanagers",
    "job_vertex_metrics",
]

M = TypeVar("M", bound=WireModel)


def _ns(namespace: str) -> str:
    return f"/api/v2/namespaces/{quote(namespace, safe='')}"


def _job(namespace: str, job_id: str, tail: str) -> str:
    return f"{_ns(namespace)}/jobs/{quote(job_id, safe='')}/{tail}"


def _one(model: type[M]) -> Callable[[Any], M]:
    def parse(envelope: Any) -> M:
        data = envelope.get("data") if isinstance(envelope, dict) else None
        return model.model_validate(data if isinstance(data, dict) else {})

    return parse


def _loads(envelope: Any) -> list[JobLoad]:
    data = envelope.get("data") if isinstance(envelope, dict) else None
    return [JobLoad.model_validate(row) for row in data or [] if isinstance(row, dict)]


def job_graph(namespace: str, job_id: str) -> Operation[JobGraphInsight]:
    return Operation("GetJobGraph", "GET", _job(namespace, job_id, "graph"), _one(JobGraphInsight))


def job_vertex_metrics(namespace: str, job_id: str) -> Operation[JobVertexMetrics]:
    path = _job(namespace, job_id, "vertices")
    return Operation("ListJobVertexMetrics", "GET", path, _one(JobVertexMetrics))


def job_checkpoints(namespace: str, job_id: str) -> Operation[JobCheckpoints]:
    path = _job(namespace, job_id, "checkpoints")
    return Operation("GetJobCheckpoints", "GET", path, _one(JobCheckpoints))


def job_exceptions(namespace: str, job_id: str, *, limit: int = 50) -> Operation[JobExceptions]:
    path = _job(namespace, job_id, "exceptions")
    return Operation(
        "ListJobExceptions", "GET", path, _one(JobExceptions), query={"limit": str(limit)}
    )


def job_configuration(namespace: str, job_id: str) -> Operation[JobConfiguration]:
    path = _job(namespace, job_id, "configuration")
    return Operation("GetJobConfiguration", "GET", path, _one(JobConfiguration))


def job_taskmanagers(namespace: str, job_id: str) -> Operation[JobTaskManagers]:
    path = _job(namespace, job_id, "taskmanagers")
    return Operation("ListJobTaskManagers", "GET", path, _one(JobTaskManagers))


def job_metric_history(
    namespace: str,
    job_id: str,
    metric: str,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    step_seconds: int | None = None,
) -> Operation[MetricSeries]:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    query: dict[str, str | None] = {
        "metric": metric,
        "start": None if start_ms is None else str(start_ms),
        "end": None if end_ms is None else str(end_ms),
        "step": None if step_seconds is None else str(step_seconds),
    }
    path = _job(namespace, job_id, "metrics/history")
    return Operation("GetJobMetricHistory", "GET", path, _one(MetricSeries), query=query)


def job_loads(namespace: str) -> Operation[list[JobLoad]]:
    return Operation("ListJobLoads", "GET", f"{_ns(namespace)}/job-loads", _loads)
