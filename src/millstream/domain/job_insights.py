"""A job's insides as Flink reports them: its graph, per-vertex load, checkpoints,
exceptions, effective configuration and the TaskManagers of its cluster.

Plain frozen values in Millstream's words, no Flink wire names (``engine.insight_parsers``
turns Flink's REST answers into these). ``control.services.job_insights`` serves them to
the native API, the console and ``millstream top``; each answer is wrapped in an
``Insight`` that says whether Flink answered live or only what Millstream kept.

Units: rates are per second; ``*_ms_per_second`` are milliseconds of each second
(0..1000); ratios are 0..1; sizes are bytes; moments are timezone-aware UTC datetimes;
durations are milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

__all__ = [
    "HIDDEN",
    "SENSITIVE_KEY_PARTS",
    "CheckpointKind",
    "CheckpointRecord",
    "CheckpointStatus",
    "CheckpointSummary",
    "ConfigEntry",
    "ConfigSource",
    "ExceptionHistory",
    "ExceptionRecord",
    "GraphEdge",
    "GraphVertex",
    "Insight",
    "InsightMetric",
    "JobConfiguration",
    "JobGraph",
    "JobLoad",
    "MetricSeries",
    "MinAvgMax",
    "RestoredCheckpoint",
    "TaskManagerInfo",
    "TaskManagers",
    "VertexMetrics",
    "busiest",
    "overlay",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Insight(Generic[T]):
    """One answer about a job: ``data`` and where it came from.

    ``live`` is True when Flink answered now. When it is False, ``data`` is what
    Millstream kept (or None when nothing is kept) and ``note`` says why Flink has no
    live data (the job ended, it was never submitted, its cluster does not answer)."""

    job_id: str
    deployment_id: str
    job_status: str  # the job's Millstream status (RUNNING, FAILED, ...)
    live: bool
    data: T | None
    note: str | None = None


# ------------------------------------------------------------------ graph


@dataclass(frozen=True, slots=True)
class GraphVertex:
    """One task of the job graph (operators chained into it, in chain order)."""

    id: str
    name: str
    parallelism: int
    operators: tuple[str, ...] = ()
    status: str | None = None  # RUNNING, FINISHED, ... as Flink names the task state
    busy_ratio: float | None = None  # 0..1, busiest subtask
    backpressure_ratio: float | None = None  # 0..1, most back-pressured subtask
    idle_ratio: float | None = None  # 0..1, least idle subtask


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """Records flow from ``source`` to ``target`` (vertex ids) by ``ship_strategy``
    (FORWARD, HASH, REBALANCE, RESCALE, BROADCAST, GLOBAL, ...)."""

    source: str
    target: str
    ship_strategy: str


@dataclass(frozen=True, slots=True)
class JobGraph:
    vertices: tuple[GraphVertex, ...] = ()
    edges: tuple[GraphEdge, ...] = ()


# ------------------------------------------------------------------ vertex metrics


@dataclass(frozen=True, slots=True)
class VertexMetrics:
    """Live IO and time use of one vertex: rates summed over its subtasks, time use of
    its busiest / idlest / most back-pressured subtask (ms of each second), and its
    current input watermark (the lowest over subtasks; None: no watermark yet)."""

    vertex_id: str
    name: str
    parallelism: int
    records_in_per_second: float | None = None
    records_out_per_second: float | None = None
    bytes_in_per_second: float | None = None
    bytes_out_per_second: float | None = None
    busy_ms_per_second: float | None = None
    idle_ms_per_second: float | None = None
    backpressured_ms_per_second: float | None = None
    input_watermark: datetime | None = None
    is_source: bool = False
    is_sink: bool = False
    # What its source operators read / its sink operators write, per second (None: it
    # has none, or Flink does not say). Unlike the task's records in/out these count a
    # source and a sink chained into one vertex too.
    source_records_per_second: float | None = None
    sink_records_per_second: float | None = None


# ------------------------------------------------------------------ checkpoints


class CheckpointStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class CheckpointKind(StrEnum):
    CHECKPOINT = "CHECKPOINT"
    SAVEPOINT = "SAVEPOINT"


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    id: int
    status: CheckpointStatus
    kind: CheckpointKind = CheckpointKind.CHECKPOINT
    triggered_at: datetime | None = None
    finished_at: datetime | None = None  # the last acknowledgement (or the failure)
    duration_ms: int | None = None
    size_bytes: int | None = None  # checkpointed (incremental) size
    state_size_bytes: int | None = None  # full state size
    location: str | None = None  # external path of a completed, retained one
    failure: str | None = None  # why it failed


@dataclass(frozen=True, slots=True)
class MinAvgMax:
    min: float | None = None
    avg: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class RestoredCheckpoint:
    """What the current run restored from."""

    id: int | None
    kind: CheckpointKind
    restored_at: datetime | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class CheckpointSummary:
    completed: int = 0
    failed: int = 0
    in_progress: int = 0
    restored: int = 0
    duration_ms: MinAvgMax = field(default_factory=MinAvgMax)
    size_bytes: MinAvgMax = field(default_factory=MinAvgMax)  # checkpointed size
    interval_ms: int | None = None  # None: periodic checkpoints are off
    last_completed: CheckpointRecord | None = None
    last_failed: CheckpointRecord | None = None
    restored_from: RestoredCheckpoint | None = None
    history: tuple[CheckpointRecord, ...] = ()  # newest first, as many as Flink keeps


# ------------------------------------------------------------------ exceptions


@dataclass(frozen=True, slots=True)
class ExceptionRecord:
    """One failure of the job (a restart or its end), with its root cause."""

    at: datetime | None
    name: str  # the root cause's exception class
    message: str  # the root cause's message (first line of the trace when no message)
    stacktrace: str = ""
    task: str | None = None  # the task (vertex and subtask) that failed, if one did
    location: str | None = None  # the TaskManager (host:port / id) it ran on
    concurrent: int = 0  # other failures Flink grouped with this one


@dataclass(frozen=True, slots=True)
class ExceptionHistory:
    entries: tuple[ExceptionRecord, ...] = ()  # newest first
    truncated: bool = False  # Flink keeps more than it returned


# ------------------------------------------------------------------ configuration


class ConfigSource(StrEnum):
    JOB = "JOB"  # set for this job (deployment flinkConf, SQL SET, execution config)
    CLUSTER = "CLUSTER"  # inherited from the cluster's JobManager configuration
    DEPLOYMENT = "DEPLOYMENT"  # what Millstream submitted (kept; Flink is not asked)


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    key: str
    value: str
    source: ConfigSource


@dataclass(frozen=True, slots=True)
class JobConfiguration:
    """The effective configuration: job entries over cluster entries, sorted by key."""

    entries: tuple[ConfigEntry, ...] = ()

    def get(self, key: str) -> str | None:
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return None


# Keys whose values are never shown, as Flink hides them in its own REST answers
# (``GlobalConfiguration.isSensitive``): a key containing one of these, in any case.
SENSITIVE_KEY_PARTS = (
    "password",
    "secret",
    "fs.azure.account.key",
    "apikey",
    "api-key",
    "auth-params",
    "service-key",
    "token",
    "basic-auth",
    "jaas.config",
    "http-headers",
)
HIDDEN = "******"


def overlay(
    config: JobConfiguration, values: Mapping[str, Any], source: ConfigSource
) -> JobConfiguration:
    """``config`` with ``values`` laid over it (they win), sorted by key; sensitive
    values are hidden."""
    merged = {entry.key: entry for entry in config.entries}
    for key, value in values.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if any(part in str(key).lower() for part in SENSITIVE_KEY_PARTS):
            text = HIDDEN
        merged[str(key)] = ConfigEntry(str(key), text, source)
    return replace(config, entries=tuple(merged[key] for key in sorted(merged)))


# ------------------------------------------------------------------ task managers


@dataclass(frozen=True, slots=True)
class TaskManagerInfo:
    id: str
    address: str | None = None
    slots_total: int = 0
    slots_free: int = 0
    cpu_cores: int | None = None
    cpu_load: float | None = None  # 0..1 of the JVM's process CPU
    heap_used_bytes: int | None = None
    heap_max_bytes: int | None = None
    managed_used_bytes: int | None = None
    managed_total_bytes: int | None = None
    physical_memory_bytes: int | None = None
    last_heartbeat: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskManagers:
    """The TaskManagers of the job's cluster (shared by its other jobs)."""

    cluster: str
    taskmanagers: tuple[TaskManagerInfo, ...] = ()

    @property
    def slots_total(self) -> int:
        return sum(tm.slots_total for tm in self.taskmanagers)

    @property
    def slots_free(self) -> int:
        return sum(tm.slots_free for tm in self.taskmanagers)


# ------------------------------------------------------------------ top


@dataclass(frozen=True, slots=True)
class JobLoad:
    """One line of ``millstream top``: a running job's throughput and pressure.

    Records in: what its sources emit; records out: what its sinks take (per second,
    summed over subtasks). ``backpressure_ratio`` and ``busiest_vertex`` come from the
    most back-pressured / busiest subtask of any vertex."""

    job_id: str
    deployment_id: str
    deployment_name: str
    namespace: str
    status: str
    live: bool
    records_in_per_second: float | None = None
    records_out_per_second: float | None = None
    backpressure_ratio: float | None = None
    busiest_vertex: str | None = None
    busy_ratio: float | None = None
    restarts: int | None = None
    note: str | None = None


def busiest(vertices: tuple[VertexMetrics, ...]) -> VertexMetrics | None:
    """The vertex whose busiest subtask is busiest (None: nobody reports busy time)."""
    known = [v for v in vertices if v.busy_ms_per_second is not None]
    return max(known, key=lambda v: v.busy_ms_per_second or 0.0) if known else None


# ------------------------------------------------------------------ metric history


class InsightMetric(StrEnum):
    """The series Millstream keeps of every running job (sampled on the leader every
    ``metrics.sample_interval`` seconds, kept ``metrics.retention`` seconds, also after
    the job ended)."""

    RECORDS_IN = "recordsInPerSecond"  # records the sources emit, per second
    RECORDS_OUT = "recordsOutPerSecond"  # records the sinks take, per second
    CHECKPOINT_DURATION = "checkpointDurationMs"  # the last completed checkpoint's
    CHECKPOINT_SIZE = "checkpointSizeBytes"  # the last completed checkpoint's
    COMPLETED_CHECKPOINTS = "completedCheckpoints"  # count since the run started
    RESTARTS = "restarts"  # Flink restarts of the current run
    BACKPRESSURE = "backpressuredMsPerSecond"  # most back-pressured subtask, ms/s
    BUSY = "busyMsPerSecond"  # busiest subtask, ms/s


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """A kept series: ``points`` are (epoch milliseconds, value), oldest first."""

    job_id: str
    metric: InsightMetric
    points: tuple[tuple[int, float], ...] = ()
    start: datetime | None = None
    end: datetime | None = None
