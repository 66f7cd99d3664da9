"""Job insights (``domain.job_insights``) → the native wire: camelCase, times as epoch
milliseconds, ratios 0..1, rates per second, sizes in bytes. A Millstream extension (the
Ververica SDK has no such models); ``millstream.client.insights`` reads the same names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from millstream.domain.job_insights import (
    CheckpointRecord,
    CheckpointSummary,
    ExceptionHistory,
    ExceptionRecord,
    GraphEdge,
    GraphVertex,
    Insight,
    JobConfiguration,
    JobGraph,
    JobLoad,
    MetricSeries,
    MinAvgMax,
    RestoredCheckpoint,
    TaskManagerInfo,
    TaskManagers,
    VertexMetrics,
)

__all__ = [
    "checkpoints_to_wire",
    "configuration_to_wire",
    "exceptions_to_wire",
    "graph_to_wire",
    "insight_to_wire",
    "job_load_to_wire",
    "series_to_wire",
    "taskmanagers_to_wire",
    "vertices_to_wire",
]


def ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def insight_to_wire(insight: Insight[Any], field: str, data: Any) -> dict[str, Any]:
    """The envelope every insight read shares; ``field`` holds the mapped ``data``."""
    return {
        "jobId": insight.job_id,
        "deploymentId": insight.deployment_id,
        "jobStatus": insight.job_status,
        "live": insight.live,
        "note": insight.note,
        field: data,
    }


def _vertex(vertex: GraphVertex) -> dict[str, Any]:
    return {
        "id": vertex.id,
        "name": vertex.name,
        "parallelism": vertex.parallelism,
        "operators": list(vertex.operators),
        "status": vertex.status,
        "busyRatio": vertex.busy_ratio,
        "backpressureRatio": vertex.backpressure_ratio,
        "idleRatio": vertex.idle_ratio,
    }


def _edge(edge: GraphEdge) -> dict[str, Any]:
    return {"source": edge.source, "target": edge.target, "shipStrategy": edge.ship_strategy}


def graph_to_wire(graph: JobGraph | None) -> dict[str, Any] | None:
    if graph is None:
        return None
    return {
        "vertices": [_vertex(v) for v in graph.vertices],
        "edges": [_edge(e) for e in graph.edges],
    }


def _vertex_metrics(vertex: VertexMetrics) -> dict[str, Any]:
    return {
        "vertexId": vertex.vertex_id,
        "name": vertex.name,
        "parallelism": vertex.parallelism,
        "recordsInPerSecond": vertex.records_in_per_second,
        "recordsOutPerSecond": vertex.records_out_per_second,
        "bytesInPerSecond": vertex.bytes_in_per_second,
        "bytesOutPerSecond": vertex.bytes_out_per_second,
        "busyMsPerSecond": vertex.busy_ms_per_second,
        "idleMsPerSecond": vertex.idle_ms_per_second,
        "backpressuredMsPerSecond": vertex.backpressured_ms_per_second,
        "inputWatermark": ms(vertex.input_watermark),
        "isSource": vertex.is_source,
        "isSink": vertex.is_sink,
        "sourceRecordsPerSecond": vertex.source_records_per_second,
        "sinkRecordsPerSecond": vertex.sink_records_per_second,
    }


def vertices_to_wire(vertices: tuple[VertexMetrics, ...] | None) -> list[dict[str, Any]]:
    return [_vertex_metrics(v) for v in vertices or ()]


def _mam(stats: MinAvgMax) -> dict[str, Any]:
    return {"min": stats.min, "avg": stats.avg, "max": stats.max}


def _checkpoint(record: CheckpointRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "id": record.id,
        "status": record.status.value,
        "kind": record.kind.value,
        "triggeredAt": ms(record.triggered_at),
        "finishedAt": ms(record.finished_at),
        "durationMs": record.duration_ms,
        "sizeBytes": record.size_bytes,
        "stateSizeBytes": record.state_size_bytes,
        "location": record.location,
        "failure": record.failure,
    }


def _restored(restored: RestoredCheckpoint | None) -> dict[str, Any] | None:
    if restored is None:
        return None
    return {
        "id": restored.id,
        "kind": restored.kind.value,
        "restoredAt": ms(restored.restored_at),
        "location": restored.location,
    }


def checkpoints_to_wire(summary: CheckpointSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {
        "completed": summary.completed,
        "failed": summary.failed,
        "inProgress": summary.in_progress,
        "restored": summary.restored,
        "durationMs": _mam(summary.duration_ms),
        "sizeBytes": _mam(summary.size_bytes),
        "intervalMs": summary.interval_ms,
        "lastCompleted": _checkpoint(summary.last_completed),
        "lastFailed": _checkpoint(summary.last_failed),
        "restoredFrom": _restored(summary.restored_from),
        "history": [_checkpoint(r) for r in summary.history],
    }


def _exception(record: ExceptionRecord) -> dict[str, Any]:
    return {
        "at": ms(record.at),
        "name": record.name,
        "message": record.message,
        "stacktrace": record.stacktrace,
        "task": record.task,
        "location": record.location,
        "concurrent": record.concurrent,
    }


def exceptions_to_wire(history: ExceptionHistory | None) -> dict[str, Any]:
    history = history or ExceptionHistory()
    return {"entries": [_exception(e) for e in history.entries], "truncated": history.truncated}


def configuration_to_wire(config: JobConfiguration | None) -> list[dict[str, Any]]:
    return [
        {"key": e.key, "value": e.value, "source": e.source.value}
        for e in (config.entries if config else ())
    ]


def _taskmanager(tm: TaskManagerInfo) -> dict[str, Any]:
    return {
        "id": tm.id,
        "address": tm.address,
        "slotsTotal": tm.slots_total,
        "slotsFree": tm.slots_free,
        "cpuCores": tm.cpu_cores,
        "cpuLoad": tm.cpu_load,
        "heapUsedBytes": tm.heap_used_bytes,
        "heapMaxBytes": tm.heap_max_bytes,
        "managedUsedBytes": tm.managed_used_bytes,
        "managedTotalBytes": tm.managed_total_bytes,
        "physicalMemoryBytes": tm.physical_memory_bytes,
        "lastHeartbeat": ms(tm.last_heartbeat),
    }


def taskmanagers_to_wire(tms: TaskManagers | None) -> dict[str, Any] | None:
    if tms is None:
        return None
    return {
        "cluster": tms.cluster,
        "slotsTotal": tms.slots_total,
        "slotsFree": tms.slots_free,
        "items": [_taskmanager(tm) for tm in tms.taskmanagers],
    }


def series_to_wire(series: MetricSeries) -> dict[str, Any]:
    return {
        "jobId": series.job_id,
        "metric": series.metric.value,
        "start": ms(series.start),
        "end": ms(series.end),
        "points": [[at, value] for at, value in series.points],
    }


def job_load_to_wire(load: JobLoad) -> dict[str, Any]:
    return {
        "jobId": load.job_id,
        "deploymentId": load.deployment_id,
        "deploymentName": load.deployment_name,
        "namespace": load.namespace,
        "status": load.status,
        "live": load.live,
        "recordsInPerSecond": load.records_in_per_second,
        "recordsOutPerSecond": load.records_out_per_second,
        "backpressureRatio": load.backpressure_ratio,
        "busiestVertex": load.busiest_vertex,
        "busyRatio": load.busy_ratio,
        "restarts": load.restarts,
        "note": load.note,
    }
