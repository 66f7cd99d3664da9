"""Flink REST answers → ``domain.job_insights`` values (pure functions, no I/O).

``engine.job_insights.FlinkInsightSource`` fetches the answers and calls these; unit
tests feed them answers captured from a real Flink 2.3 job
(``tests/unit/engine/flink_answers``). Flink's wire names stay in this module. Odd or
missing fields become ``None`` rather than errors: a half-started job answers with gaps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from millstream.control.metric_catalog import is_sink_operator_rate, is_source_operator_rate
from millstream.domain.job_insights import (
    CheckpointKind,
    CheckpointRecord,
    CheckpointStatus,
    CheckpointSummary,
    ConfigEntry,
    ConfigSource,
    ExceptionHistory,
    ExceptionRecord,
    GraphEdge,
    GraphVertex,
    JobConfiguration,
    JobGraph,
    MinAvgMax,
    RestoredCheckpoint,
    TaskManagerInfo,
    TaskManagers,
    VertexMetrics,
)

__all__ = [
    "TASKMANAGER_METRICS",
    "VERTEX_METRICS",
    "VertexRows",
    "job_vertices",
    "metric_rows",
    "operator_metrics",
    "parse_checkpoints",
    "parse_configuration",
    "parse_exceptions",
    "parse_graph",
    "parse_taskmanagers",
    "parse_vertex_metrics",
]

# Task metrics read per vertex, aggregated over subtasks (``agg=sum,max,min``).
VERTEX_METRICS = (
    "numRecordsInPerSecond",
    "numRecordsOutPerSecond",
    "numBytesInPerSecond",
    "numBytesOutPerSecond",
    "busyTimeMsPerSecond",
    "idleTimeMsPerSecond",
    "backPressuredTimeMsPerSecond",
    "currentInputWatermark",
)
TASKMANAGER_METRICS = (
    "Status.JVM.CPU.Load",
    "Status.JVM.Memory.Heap.Used",
    "Status.JVM.Memory.Heap.Max",
    "Status.Flink.Memory.Managed.Used",
    "Status.Flink.Memory.Managed.Total",
)

# A vertex's aggregated metric rows: metric name -> {"sum": .., "max": .., "min": ..}.
VertexRows = Mapping[str, Mapping[str, Any]]

# Flink's "no watermark yet" (Long.MIN_VALUE) and anything before 1971 is not a moment.
_NO_WATERMARK_BELOW = 31_536_000_000


def metric_rows(answer: Any) -> dict[str, dict[str, Any]]:
    """Flink's ``[{"id": name, ...}]`` metric rows by name."""
    return {
        str(row["id"]): row
        for row in (answer if isinstance(answer, list) else [])
        if isinstance(row, dict) and "id" in row
    }


def job_vertices(job: Any) -> list[dict[str, Any]]:
    """The vertices of ``GET /jobs/{id}``."""
    vertices = job.get("vertices") if isinstance(job, dict) else None
    return [v for v in vertices or [] if isinstance(v, dict) and v.get("id")]


def _edges(job: Any) -> tuple[GraphEdge, ...]:
    plan = job.get("plan") if isinstance(job, dict) else None
    nodes = plan.get("nodes") if isinstance(plan, dict) else None
    if isinstance(plan, dict) and isinstance(plan.get("plan"), dict):  # GET /plan answer
        nodes = plan["plan"].get("nodes")
    edges: list[GraphEdge] = []
    for node in nodes or []:
        if not isinstance(node, dict):
            continue
        for link in node.get("inputs") or []:
            if isinstance(link, dict) and link.get("id"):
                edges.append(
                    GraphEdge(
                        source=str(link["id"]),
                        target=str(node.get("id", "")),
                        ship_strategy=str(link.get("ship_strategy") or "UNKNOWN"),
                    )
                )
    return tuple(edges)


def parse_graph(job: Any, loads: Mapping[str, VertexRows]) -> JobGraph:
    """``GET /jobs/{id}`` (vertices and its ``plan``) plus each vertex's metric rows."""
    vertices = []
    for vertex in job_vertices(job):
        rows = loads.get(str(vertex["id"]), {})
        busy = _agg(rows, "busyTimeMsPerSecond", "max")
        pressure = _agg(rows, "backPressuredTimeMsPerSecond", "max")
        idle = _agg(rows, "idleTimeMsPerSecond", "min")
        name = str(vertex.get("name") or "")
        vertices.append(
            GraphVertex(
                id=str(vertex["id"]),
                name=name,
                parallelism=_int(vertex.get("parallelism")) or 0,
                operators=tuple(part.strip() for part in name.split(" -> ") if part.strip()),
                status=_str(vertex.get("status")),
                busy_ratio=_ratio(busy),
                backpressure_ratio=_ratio(pressure),
                idle_ratio=_ratio(idle),
            )
        )
    return JobGraph(vertices=tuple(vertices), edges=_edges(job))


def parse_vertex_metrics(job: Any, loads: Mapping[str, VertexRows]) -> tuple[VertexMetrics, ...]:
    """Each vertex of ``GET /jobs/{id}`` with its aggregated subtask metrics."""
    edges = _edges(job)
    targets = {edge.target for edge in edges}
    sources = {edge.source for edge in edges}
    found = []
    for vertex in job_vertices(job):
        vertex_id = str(vertex["id"])
        rows = loads.get(vertex_id, {})
        watermark = _agg(rows, "currentInputWatermark", "min")
        found.append(
            VertexMetrics(
                vertex_id=vertex_id,
                name=str(vertex.get("name") or ""),
                parallelism=_int(vertex.get("parallelism")) or 0,
                records_in_per_second=_agg(rows, "numRecordsInPerSecond", "sum"),
                records_out_per_second=_agg(rows, "numRecordsOutPerSecond", "sum"),
                bytes_in_per_second=_agg(rows, "numBytesInPerSecond", "sum"),
                bytes_out_per_second=_agg(rows, "numBytesOutPerSecond", "sum"),
                busy_ms_per_second=_agg(rows, "busyTimeMsPerSecond", "max"),
                idle_ms_per_second=_agg(rows, "idleTimeMsPerSecond", "min"),
                backpressured_ms_per_second=_agg(rows, "backPressuredTimeMsPerSecond", "max"),
                input_watermark=(
                    _moment(watermark)
                    if watermark is not None and watermark > _NO_WATERMARK_BELOW
                    else None
                ),
                is_source=vertex_id not in targets,
                is_sink=vertex_id not in sources,
                source_records_per_second=_operators(rows, is_source_operator_rate),
                sink_records_per_second=_operators(rows, is_sink_operator_rate),
            )
        )
    return tuple(found)


def operator_metrics(listed: Collection[str], *, at_most: int = 2) -> list[str]:
    """The operator-level record rates worth reading of a vertex reporting ``listed``:
    what its source operators emit and its sink operators take (``at_most`` of each)."""
    sources = sorted(name for name in listed if is_source_operator_rate(name))[:at_most]
    sinks = sorted(name for name in listed if is_sink_operator_rate(name))[:at_most]
    return sources + sinks


def _operators(rows: VertexRows, which: Callable[[str], bool]) -> float | None:
    values = [v for name in rows if which(name) if (v := _agg(rows, name, "sum")) is not None]
    return float(sum(values)) if values else None


def _checkpoint(row: Any) -> CheckpointRecord | None:
    if not isinstance(row, dict) or _int(row.get("id")) is None:
        return None
    status = {
        "COMPLETED": CheckpointStatus.COMPLETED,
        "FAILED": CheckpointStatus.FAILED,
    }.get(str(row.get("status") or "").upper(), CheckpointStatus.IN_PROGRESS)
    return CheckpointRecord(
        id=_int(row.get("id")) or 0,
        status=status,
        kind=CheckpointKind.SAVEPOINT if row.get("is_savepoint") else CheckpointKind.CHECKPOINT,
        triggered_at=_moment(row.get("trigger_timestamp")),
        finished_at=_moment(row.get("failure_timestamp") or row.get("latest_ack_timestamp")),
        duration_ms=_non_negative(row.get("end_to_end_duration")),
        size_bytes=_non_negative(row.get("checkpointed_size")),
        state_size_bytes=_non_negative(row.get("state_size")),
        location=_str(row.get("external_path")) if not row.get("discarded") else None,
        failure=_str(row.get("failure_message")),
    )


def _min_avg_max(summary: Any, key: str) -> MinAvgMax:
    stats = summary.get(key) if isinstance(summary, dict) else None
    if not isinstance(stats, dict):
        return MinAvgMax()
    return MinAvgMax(
        min=_number(stats.get("min")), avg=_number(stats.get("avg")), max=_number(stats.get("max"))
    )


def parse_checkpoints(answer: Any, config: Any = None) -> CheckpointSummary:
    """``GET /jobs/{id}/checkpoints`` (and ``/checkpoints/config`` for the interval)."""
    data = _dict(answer)
    counts = _dict(data.get("counts"))
    summary = data.get("summary")
    latest = _dict(data.get("latest"))
    restored = latest.get("restored")
    restored_from = None
    if isinstance(restored, dict):
        restored_from = RestoredCheckpoint(
            id=_int(restored.get("id")),
            kind=(
                CheckpointKind.SAVEPOINT
                if restored.get("is_savepoint")
                else CheckpointKind.CHECKPOINT
            ),
            restored_at=_moment(restored.get("restore_timestamp")),
            location=_str(restored.get("external_path")),
        )
    interval = _int(config.get("interval")) if isinstance(config, dict) else None
    history = tuple(
        record for row in data.get("history") or [] if (record := _checkpoint(row)) is not None
    )
    return CheckpointSummary(
        completed=_int(counts.get("completed")) or 0,
        failed=_int(counts.get("failed")) or 0,
        in_progress=_int(counts.get("in_progress")) or 0,
        restored=_int(counts.get("restored")) or 0,
        duration_ms=_min_avg_max(summary, "end_to_end_duration"),
        size_bytes=_min_avg_max(summary, "checkpointed_size"),
        # Flink reports Long.MAX_VALUE when periodic checkpoints are off.
        interval_ms=interval if interval is not None and 0 < interval < 2**62 else None,
        last_completed=_checkpoint(latest.get("completed")),
        last_failed=_checkpoint(latest.get("failed")),
        restored_from=restored_from,
        history=history,
    )


def _root_cause(stacktrace: str, fallback_name: str) -> tuple[str, str]:
    """(class, message) of the innermost ``Caused by:`` of a Java stack trace."""
    head = ""
    for line in stacktrace.splitlines():
        if line.startswith("Caused by: "):
            head = line[len("Caused by: ") :]
    if not head:
        head = stacktrace.splitlines()[0] if stacktrace.strip() else fallback_name
    name, _, message = head.partition(": ")
    if " " in name.strip():  # not "class: message"
        return fallback_name, head.strip()
    return name.strip() or fallback_name, message.strip() or head.strip()


def _exception(row: Any) -> ExceptionRecord | None:
    if not isinstance(row, dict):
        return None
    stacktrace = str(row.get("stacktrace") or "")
    name, message = _root_cause(stacktrace, str(row.get("exceptionName") or "unknown"))
    concurrent = row.get("concurrentExceptions")
    task = _str(row.get("taskName"))
    location = _str(row.get("endpoint") or row.get("location"))
    tm = _str(row.get("taskManagerId"))
    if location and tm and tm not in location:
        location = f"{location} ({tm})"
    if task is None and isinstance(concurrent, list):  # the job-level wrapper of a task failure
        first = next((c for c in concurrent if isinstance(c, dict) and c.get("taskName")), None)
        if first is not None:
            task = _str(first.get("taskName"))
            location = location or _str(first.get("endpoint"))
    return ExceptionRecord(
        at=_moment(row.get("timestamp")),
        name=name,
        message=message,
        stacktrace=stacktrace,
        task=task,
        location=location or tm,
        concurrent=len(concurrent) if isinstance(concurrent, list) else 0,
    )


def parse_exceptions(answer: Any, *, limit: int) -> ExceptionHistory:
    """``GET /jobs/{id}/exceptions`` (Flink 1.13+ ``exceptionHistory``), newest first."""
    history = answer.get("exceptionHistory") if isinstance(answer, dict) else None
    if not isinstance(history, dict):
        return ExceptionHistory()
    rows = [r for r in history.get("entries") or [] if isinstance(r, dict)]
    entries = tuple(record for row in rows[:limit] if (record := _exception(row)) is not None)
    return ExceptionHistory(
        entries=entries, truncated=bool(history.get("truncated")) or len(rows) > limit
    )


def parse_configuration(cluster_entries: Any, job_config: Any) -> JobConfiguration:
    """``GET /jobs/{id}/jobmanager/config`` (the cluster's entries the job sees) and
    ``GET /jobs/{id}/config`` (its user configuration, which wins). Flink 2.x shows a
    job's own options (SQL ``SET``, the deployment's flinkConf) in neither: the service
    lays what Millstream submitted over this (``domain.job_insights.overlay``)."""
    merged: dict[str, ConfigEntry] = {}
    for row in cluster_entries if isinstance(cluster_entries, list) else []:
        if isinstance(row, dict) and row.get("key"):
            key = str(row["key"])
            merged[key] = ConfigEntry(key, str(row.get("value", "")), ConfigSource.CLUSTER)
    execution = job_config.get("execution-config") if isinstance(job_config, dict) else None
    user = execution.get("user-config") if isinstance(execution, dict) else None
    for key, value in (user if isinstance(user, dict) else {}).items():
        merged[str(key)] = ConfigEntry(str(key), str(value), ConfigSource.JOB)
    return JobConfiguration(entries=tuple(merged[key] for key in sorted(merged)))


def parse_taskmanagers(
    cluster: str, answer: Any, metrics: Mapping[str, Mapping[str, Any]]
) -> TaskManagers:
    """``GET /taskmanagers`` plus each one's ``/taskmanagers/{id}/metrics`` rows."""
    rows = answer.get("taskmanagers") if isinstance(answer, dict) else None
    found = []
    for row in rows or []:
        if not isinstance(row, dict) or not row.get("id"):
            continue
        tm_id = str(row["id"])
        values = metrics.get(tm_id, {})
        hardware = _dict(row.get("hardware"))
        found.append(
            TaskManagerInfo(
                id=tm_id,
                address=_address(row.get("path")),
                slots_total=_int(row.get("slotsNumber")) or 0,
                slots_free=_int(row.get("freeSlots")) or 0,
                cpu_cores=_int(hardware.get("cpuCores")),
                cpu_load=_ratio_of(_value(values, "Status.JVM.CPU.Load")),
                heap_used_bytes=_int(_value(values, "Status.JVM.Memory.Heap.Used")),
                heap_max_bytes=_int(_value(values, "Status.JVM.Memory.Heap.Max")),
                managed_used_bytes=_int(_value(values, "Status.Flink.Memory.Managed.Used")),
                managed_total_bytes=_int(_value(values, "Status.Flink.Memory.Managed.Total")),
                physical_memory_bytes=_int(hardware.get("physicalMemory")),
                # Flink names it "time since" but sends the heartbeat's epoch milliseconds.
                last_heartbeat=_moment(row.get("timeSinceLastHeartbeat")),
            )
        )
    return TaskManagers(cluster=cluster, taskmanagers=tuple(found))


# ------------------------------------------------------------------ helpers


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _value(rows: Mapping[str, Any], name: str) -> Any:
    row = rows.get(name)
    return row.get("value") if isinstance(row, Mapping) else None


def _agg(rows: VertexRows, name: str, how: str) -> float | None:
    row = rows.get(name)
    return _number(row.get(how)) if isinstance(row, Mapping) else None


def _address(path: Any) -> str | None:
    """``pekko.tcp://flink@127.0.0.1:45193/user/rpc/taskmanager_0`` → ``127.0.0.1:45193``."""
    text = _str(path)
    if text is None:
        return None
    _, at, rest = text.partition("@")
    return rest.split("/", 1)[0] if at else text


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _non_negative(value: Any) -> int | None:
    number = _int(value)
    return number if number is not None and number >= 0 else None


def _ratio(ms_per_second: float | None) -> float | None:
    return None if ms_per_second is None else _ratio_of(ms_per_second / 1000.0)


def _ratio_of(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else min(1.0, max(0.0, number))


def _moment(epoch_ms: Any) -> datetime | None:
    number = _number(epoch_ms)
    if number is None or number <= 0 or number > 4e15:
        return None
    return datetime.fromtimestamp(number / 1000.0, tz=UTC)


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
