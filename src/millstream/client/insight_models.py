"""Typed views of a job's insides (the native API's job-insight extension): its graph,
vertex metrics, checkpoints, exceptions, configuration, TaskManagers, kept metric series
and the ``top`` rows.

Each live read answers a ``JobInsight``: ``live`` says whether Flink answered now; when
it is False, ``note`` says why (the job ended, was never submitted, its cluster does not
answer) and the payload is what Millstream kept, if anything. Units: rates per second,
``*_ms_per_second`` milliseconds of each second, ratios 0..1, sizes in bytes, times epoch
milliseconds.
"""

from __future__ import annotations

from pydantic import Field

from millstream.client.models import WireModel

__all__ = [
    "CheckpointRecord",
    "CheckpointSummary",
    "ConfigEntry",
    "ExceptionHistory",
    "ExceptionRecord",
    "GraphEdge",
    "GraphVertex",
    "JobCheckpoints",
    "JobConfiguration",
    "JobExceptions",
    "JobGraph",
    "JobGraphInsight",
    "JobInsight",
    "JobLoad",
    "JobTaskManagers",
    "JobVertexMetrics",
    "MetricSeries",
    "MinAvgMax",
    "RestoredCheckpoint",
    "TaskManagerInfo",
    "TaskManagers",
    "VertexMetrics",
]

# The series ``MillstreamClient.job_metric_history`` can read.
METRICS = (
    "recordsInPerSecond",
    "recordsOutPerSecond",
    "checkpointDurationMs",
    "checkpointSizeBytes",
    "completedCheckpoints",
    "restarts",
    "backpressuredMsPerSecond",
    "busyMsPerSecond",
)


class JobInsight(WireModel):
    """What every job-insight read says about where its data came from."""

    job_id: str | None = None
    deployment_id: str | None = None
    job_status: str | None = None
    live: bool = False
    note: str | None = None


class GraphVertex(WireModel):
    id: str | None = None
    name: str | None = None
    parallelism: int | None = None
    operators: list[str] = Field(default_factory=list)
    status: str | None = None
    busy_ratio: float | None = None
    backpressure_ratio: float | None = None
    idle_ratio: float | None = None


class GraphEdge(WireModel):
    source: str | None = None
    target: str | None = None
    ship_strategy: str | None = None


class JobGraph(WireModel):
    vertices: list[GraphVertex] = Field(default_factory=list)
    edges: list[GraphEdge] = Field(default_factory=list)


class JobGraphInsight(JobInsight):
    graph: JobGraph | None = None


class VertexMetrics(WireModel):
    vertex_id: str | None = None
    name: str | None = None
    parallelism: int | None = None
    records_in_per_second: float | None = None
    records_out_per_second: float | None = None
    bytes_in_per_second: float | None = None
    bytes_out_per_second: float | None = None
    busy_ms_per_second: float | None = None
    idle_ms_per_second: float | None = None
    backpressured_ms_per_second: float | None = None
    input_watermark: int | None = None
    is_source: bool = False
    is_sink: bool = False
    source_records_per_second: float | None = None  # what its source operators read
    sink_records_per_second: float | None = None  # what its sink operators write


class JobVertexMetrics(JobInsight):
    vertices: list[VertexMetrics] = Field(default_factory=list)


class MinAvgMax(WireModel):
    min: float | None = None
    avg: float | None = None
    max: float | None = None


class CheckpointRecord(WireModel):
    id: int | None = None
    status: str | None = None  # IN_PROGRESS, COMPLETED, FAILED
    kind: str | None = None  # CHECKPOINT, SAVEPOINT
    triggered_at: int | None = None
    finished_at: int | None = None
    duration_ms: int | None = None
    size_bytes: int | None = None
    state_size_bytes: int | None = None
    location: str | None = None
    failure: str | None = None


class RestoredCheckpoint(WireModel):
    id: int | None = None
    kind: str | None = None
    restored_at: int | None = None
    location: str | None = None


class CheckpointSummary(WireModel):
    completed: int = 0
    failed: int = 0
    in_progress: int = 0
    restored: int = 0
    duration_ms: MinAvgMax = Field(default_factory=MinAvgMax)
    size_bytes: MinAvgMax = Field(default_factory=MinAvgMax)
    interval_ms: int | None = None
    last_completed: CheckpointRecord | None = None
    last_failed: CheckpointRecord | None = None
    restored_from: RestoredCheckpoint | None = None
    history: list[CheckpointRecord] = Field(default_factory=list)


class JobCheckpoints(JobInsight):
    checkpoints: CheckpointSummary | None = None


class ExceptionRecord(WireModel):
    at: int | None = None
    name: str | None = None
    message: str | None = None
    stacktrace: str | None = None
    task: str | None = None
    location: str | None = None
    concurrent: int = 0


class ExceptionHistory(WireModel):
    entries: list[ExceptionRecord] = Field(default_factory=list)
    truncated: bool = False


class JobExceptions(JobInsight):
    exceptions: ExceptionHistory = Field(default_factory=ExceptionHistory)


class ConfigEntry(WireModel):
    key: str
    value: str | None = None
    source: str | None = None  # JOB, CLUSTER, DEPLOYMENT


class JobConfiguration(JobInsight):
    configuration: list[ConfigEntry] = Field(default_factory=list)

    def get(self, key: str) -> str | None:
        """The effective value of ``key`` (None when unset)."""
        return next((e.value for e in self.configuration if e.key == key), None)


class TaskManagerInfo(WireModel):
    id: str | None = None
    address: str | None = None
    slots_total: int = 0
    slots_free: int = 0
    cpu_cores: int | None = None
    cpu_load: float | None = None
    heap_used_bytes: int | None = None
    heap_max_bytes: int | None = None
    managed_used_bytes: int | None = None
    managed_total_bytes: int | None = None
    physical_memory_bytes: int | None = None
    last_heartbeat: int | None = None


class TaskManagers(WireModel):
    cluster: str | None = None
    slots_total: int = 0
    slots_free: int = 0
    items: list[TaskManagerInfo] = Field(default_factory=list)


class JobTaskManagers(JobInsight):
    taskmanagers: TaskManagers | None = None


class MetricSeries(WireModel):
    """A kept series: ``points`` are ``(epoch milliseconds, value)``, oldest first."""

    job_id: str | None = None
    metric: str | None = None
    start: int | None = None
    end: int | None = None
    points: list[tuple[int, float]] = Field(default_factory=list)


class JobLoad(WireModel):
    """One ``millstream top`` row: records in = what the sources emit, records out =
    what the sinks take; ``backpressure_ratio`` of the most back-pressured subtask."""

    job_id: str | None = None
    deployment_id: str | None = None
    deployment_name: str | None = None
    namespace: str | None = None
    status: str | None = None
    live: bool = False
    records_in_per_second: float | None = None
    records_out_per_second: float | None = None
    backpressure_ratio: float | None = None
    busiest_vertex: str | None = None
    busy_ratio: float | None = None
    restarts: int | None = None
    note: str | None = None
