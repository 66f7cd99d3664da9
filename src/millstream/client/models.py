"""Typed views of the native API's resources, as the client returns and sends them.

Wire names are those of the official SDK ``alibabacloud_ververica20220718.models``
(camelCase via aliases, snake_case in Python). Fields the server sends that a model does
not know are ignored, so a newer server never breaks an older client; every field is
optional for the same reason. Dump for the wire with ``model.to_wire()``.

Built in Python, a model takes snake_case keyword arguments (``RestoreStrategy(kind=...,
savepoint_id=...)``), as its signature shows. A misspelled argument is a ``TypeError``
(with the nearest field name), never silently dropped. The wire's camelCase names
(``savepointId=``) still work, with a ``DeprecationWarning``: they were the signature's
names before 0.2.
"""

from __future__ import annotations

import difflib
import enum
import inspect
import warnings
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "AccessKey",
    "Artifact",
    "ArtifactRef",
    "BasicResourceSetting",
    "BasicResourceSettingSpec",
    "Deployment",
    "DeploymentTarget",
    "EngineVersion",
    "EngineVersions",
    "Event",
    "Failure",
    "HotUpdateFailure",
    "HotUpdateResult",
    "HotUpdateStatus",
    "JarArtifact",
    "Job",
    "JobDiagnosis",
    "JobDiagnosisSymptoms",
    "JobLog",
    "JobLogFile",
    "JobScheduling",
    "JobStatus",
    "LocalVariable",
    "Page",
    "PreSignedUrl",
    "PythonArtifact",
    "Queue",
    "QueueUsage",
    "QueuedJob",
    "RestoreStrategy",
    "Savepoint",
    "SavepointStatus",
    "SqlArtifact",
    "SqlValidation",
    "SqlValidationError",
    "StopStrategy",
    "StreamingResourceSetting",
    "Symptom",
    "Variable",
    "WireModel",
]

T = TypeVar("T")


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python, unknown wire fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )
    # camelCase keyword argument -> field name; filled per class below.
    _wire_names: ClassVar[dict[str, str]] = {}

    def __init__(self, /, **data: Any) -> None:
        # Only Python calls come here (see below): answers are parsed by model_validate,
        # which keeps ignoring fields it does not know.
        fields = type(self).model_fields
        for key in list(data):
            if key in fields:
                continue
            name = type(self)._wire_names.get(key)
            if name is None:
                raise TypeError(_unexpected(type(self).__name__, key, list(fields)))
            warnings.warn(
                f"{type(self).__name__}({key}=...) is deprecated; use {name}=...",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(**data)

    # Tells pydantic this __init__ adds no validation of its own, so model_validate keeps
    # its direct path (and its lenience) instead of calling it.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._wire_names = {
            field.alias: name
            for name, field in cls.model_fields.items()
            if field.alias and field.alias != name
        }
        # Python names in help() and IDEs, not the wire's aliases pydantic would show.
        parameters = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None if field.is_required() else field.get_default(),
                annotation=field.annotation,
            )
            for name, field in cls.model_fields.items()
        ]
        cls.__signature__ = inspect.Signature(parameters, return_annotation=None)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict the server expects (wire names, unset fields left out)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def _unexpected(model: str, key: str, fields: list[str]) -> str:
    close = difflib.get_close_matches(key, fields, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; fields: {', '.join(fields)}"
    return f"{model}() got an unexpected keyword argument {key!r}{hint}"


class Page(BaseModel, Generic[T]):
    """One page of a list answer: the envelope's ``data`` plus its paging fields."""

    items: list[T]
    page_index: int | None = None
    page_size: int | None = None
    total_size: int | None = None


# --------------------------------------------------------------------------- deployments


class SqlArtifact(WireModel):
    sql_script: str | None = None
    additional_dependencies: list[str] | None = None


class JarArtifact(WireModel):
    jar_uri: str | None = None
    entry_class: str | None = None
    main_args: str | None = None
    additional_dependencies: list[str] | None = None


class PythonArtifact(WireModel):
    python_artifact_uri: str | None = None
    entry_module: str | None = None
    main_args: str | None = None
    additional_dependencies: list[str] | None = None
    additional_python_libraries: list[str] | None = None
    additional_python_archives: list[str] | None = None


class Artifact(WireModel):
    """``kind`` is ``SQLSCRIPT``, ``JAR`` or ``PYTHON``; only that sub-artifact is set."""

    kind: str | None = None
    sql_artifact: SqlArtifact | None = None
    jar_artifact: JarArtifact | None = None
    python_artifact: PythonArtifact | None = None


class BasicResourceSettingSpec(WireModel):
    cpu: float | None = None
    memory: str | None = None


class BasicResourceSetting(WireModel):
    parallelism: int | None = None
    jobmanager_resource_setting_spec: BasicResourceSettingSpec | None = None
    taskmanager_resource_setting_spec: BasicResourceSettingSpec | None = None


class StreamingResourceSetting(WireModel):
    resource_setting_mode: str | None = None
    basic_resource_setting: BasicResourceSetting | None = None


class DeploymentTarget(WireModel):
    mode: str | None = None
    name: str | None = None


class LocalVariable(WireModel):
    name: str | None = None
    value: str | None = None


class Deployment(WireModel):
    """What to run; ``resource_version`` guards concurrent updates (stale -> 409)."""

    deployment_id: str | None = None
    name: str | None = None
    description: str | None = None
    namespace: str | None = None
    workspace: str | None = None
    artifact: Artifact | None = None
    execution_mode: str | None = None
    engine_version: str | None = None
    flink_conf: dict[str, Any] | None = None
    labels: dict[str, Any] | None = None
    local_variables: list[LocalVariable] | None = None
    streaming_resource_setting: StreamingResourceSetting | None = None
    deployment_target: DeploymentTarget | None = None
    creator: str | None = None
    modifier: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    job_summary: dict[str, int | None] | None = None
    resource_version: int | None = None
    # Queues: the queue its jobs wait on, their priority, how long one may wait (seconds).
    queue: str | None = None
    priority: int | None = None
    schedule_timeout_seconds: int | None = None

    @property
    def kind(self) -> str | None:
        return self.artifact.kind if self.artifact else None

    @property
    def parallelism(self) -> int | None:
        setting = self.streaming_resource_setting
        if setting is None or setting.basic_resource_setting is None:
            return None
        return setting.basic_resource_setting.parallelism


# --------------------------------------------------------------------------- jobs


class StopStrategy(enum.StrEnum):
    """How ``stop_job`` stops a job; the plain strings are accepted too."""

    STOP_WITH_SAVEPOINT = "STOP_WITH_SAVEPOINT"  # take a savepoint, then stop
    STOP_WITH_DRAIN = "STOP_WITH_DRAIN"  # drain (final watermark), savepoint, stop
    NONE = "NONE"  # cancel: no savepoint

    @classmethod
    def parse(cls, value: StopStrategy | str) -> StopStrategy:
        """``value`` as a strategy, any letter case; a ``ValueError`` naming the valid ones."""
        try:
            return cls(str(value).upper())
        except ValueError:
            valid = ", ".join(strategy.value for strategy in cls)
            raise ValueError(f"unknown stop strategy {value!r}; use one of {valid}") from None


class RestoreStrategy(WireModel):
    """Where a started job's state comes from. ``kind``: NONE, LATEST_SAVEPOINT,
    LATEST_STATE or FROM_SAVEPOINT (with ``savepoint_id``)."""

    kind: str | None = None
    savepoint_id: str | None = None
    allow_non_restored_state: bool | None = None


class Failure(WireModel):
    message: str | None = None
    reason: str | None = None
    failed_at: int | None = None


class JobScheduling(WireModel):
    """Where a job stands in its queue: CU cost, priority, when it queued and started."""

    queue: str | None = None
    priority: int | None = None
    cost_cu: float | None = None
    schedule_timeout_seconds: int | None = None
    enqueued_at: int | None = None
    admitted_at: int | None = None


class JobStatus(WireModel):
    current_job_status: str | None = None
    failure: Failure | None = None
    running: dict[str, Any] | None = None
    reason: str | None = None  # e.g. WAITING_FOR_RESOURCES, SCHEDULE_TIMEOUT
    scheduling: JobScheduling | None = None


class Job(WireModel):
    """One run of a deployment; ``start_time``/``end_time`` are epoch seconds."""

    job_id: str | None = None
    deployment_id: str | None = None
    deployment_name: str | None = None
    namespace: str | None = None
    workspace: str | None = None
    execution_mode: str | None = None
    engine_version: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    status: JobStatus | None = None
    artifact: Artifact | None = None
    restore_strategy: RestoreStrategy | None = None
    session_cluster_name: str | None = None
    flink_conf: dict[str, Any] | None = None
    created_at: str | None = None
    modified_at: str | None = None
    flink_version: str | None = None  # the Flink version of the runtime that runs it

    @property
    def state(self) -> str | None:
        """``STARTING``, ``RUNNING``, ``CANCELLING``, ``SUSPENDED``, ``CANCELLED``, ``FAILED``,
        ``FINISHED``."""
        return self.status.current_job_status if self.status else None

    @property
    def failure_message(self) -> str | None:
        failure = self.status.failure if self.status else None
        return failure.message if failure else None


# --------------------------------------------------------------------------- savepoints


class SavepointStatus(WireModel):
    state: str | None = None
    failure: Failure | None = None


class Savepoint(WireModel):
    """``created_at``/``modified_at`` are epoch seconds."""

    savepoint_id: str | None = None
    deployment_id: str | None = None
    job_id: str | None = None
    namespace: str | None = None
    description: str | None = None
    native_format: bool | None = None
    savepoint_location: str | None = None
    savepoint_origin: str | None = None
    status: SavepointStatus | None = None
    created_at: int | None = None
    modified_at: int | None = None

    @property
    def state(self) -> str | None:
        """``STARTED``, ``COMPLETED`` or ``FAILED``."""
        return self.status.state if self.status else None


# --------------------------------------------------------------------------- the rest


class Event(WireModel):
    """``created_at`` is a string of epoch seconds (the SDK's type)."""

    event_id: str | None = None
    event_name: str | None = None
    message: str | None = None
    created_at: str | None = None
    deployment_id: str | None = None
    job_id: str | None = None
    namespace: str | None = None
    workspace: str | None = None


class EngineVersion(WireModel):
    engine_version: str | None = None
    status: str | None = None
    features: dict[str, Any] | None = None
    flink_version: str | None = None  # the real Flink version of the runtime that runs it


class EngineVersions(WireModel):
    default_engine_version: str | None = None
    engine_version_metadata: list[EngineVersion] = Field(default_factory=list)


class SqlValidationError(WireModel):
    """Where Flink rejected the script; numbers are strings in the SDK model."""

    line_number: str | None = None
    column_number: str | None = None
    end_line_number: str | None = None
    end_column_number: str | None = None
    message: str | None = None

    @property
    def line(self) -> int | None:
        """``line_number`` as a number (None when absent or not a number)."""
        return _number(self.line_number)

    @property
    def column(self) -> int | None:
        """``column_number`` as a number (None when absent or not a number)."""
        return _number(self.column_number)


def _number(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


class SqlValidation(WireModel):
    """Result of ValidateSqlStatement; invalid when ``error_details`` is set."""

    success: bool | None = None
    message: str | None = None
    validation_result: str | None = None
    error_details: SqlValidationError | None = None

    @property
    def valid(self) -> bool:
        if self.error_details is not None:
            return False
        return self.validation_result is None or "INVALID" not in self.validation_result


class AccessKey(WireModel):
    """A Millstream access key; ``access_key_secret`` is only present when just created."""

    access_key_id: str | None = None
    access_key_secret: str | None = None
    status: str | None = None
    created_at: str | int | None = None
    last_used_at: str | int | None = None
    user_id: str | None = None
    user_name: str | None = None
    user: str | None = None  # older servers: the owner's name

    @property
    def owner(self) -> str | None:
        return self.user_name or self.user


# --------------------------------------------------------------------------- artifacts


class ArtifactRef(WireModel):
    """A file in the namespace's artifact store; deployments reference it by ``uri``.

    ``modified_at`` is epoch milliseconds.
    """

    name: str | None = None
    namespace: str | None = None
    size: int | None = None
    uri: str | None = None
    modified_at: int | None = None


class PreSignedUrl(WireModel):
    """SDK ``GetPreSignedUrlForObjectResult``: where to PUT the file, and its URI."""

    jar_url: str | None = None
    pre_signed_url: str | None = None


# --------------------------------------------------------------------------- operations


class HotUpdateFailure(WireModel):
    failure_severity: str | None = None
    message: str | None = None
    reason: str | None = None


class HotUpdateStatus(WireModel):
    """``status``: ``HOT_UPDATING``, ``HOT_UPDATED`` or ``HOT_UPDATE_FAILED``."""

    status: str | None = None
    request_id: str | None = None
    failure: HotUpdateFailure | None = None


class HotUpdateResult(WireModel):
    """SDK ``HotUpdateJobResult`` plus Millstream's ``source_job_id``, ``new_job_id``,
    ``savepoint_id`` and ``phase`` (REQUESTED, STOPPING, STARTING, DONE, FAILED)."""

    job_hot_update_id: str | None = None
    job_id: str | None = None
    status: HotUpdateStatus | None = None
    target_resource_setting: dict[str, Any] | None = None
    hot_update_params: dict[str, Any] | None = None
    source_job_id: str | None = None
    new_job_id: str | None = None
    savepoint_id: str | None = None
    phase: str | None = None

    @property
    def state(self) -> str | None:
        return self.status.status if self.status else None

    @property
    def failure_message(self) -> str | None:
        failure = self.status.failure if self.status else None
        return failure.message if failure else None


class Symptom(WireModel):
    name: str | None = None
    description: str | None = None
    recommendation: str | None = None
    severity: str | None = None


class JobDiagnosisSymptoms(WireModel):
    startup: list[Symptom] = Field(default_factory=list)
    runtime: list[Symptom] = Field(default_factory=list)
    state: list[Symptom] = Field(default_factory=list)
    troubleshooting: list[Symptom] = Field(default_factory=list)
    others: list[Symptom] = Field(default_factory=list)
    autopilot: Symptom | None = None

    def all(self) -> list[tuple[str, Symptom]]:
        """Every symptom with its group, in the order the groups are listed above."""
        groups = {
            "startup": self.startup,
            "runtime": self.runtime,
            "state": self.state,
            "troubleshooting": self.troubleshooting,
            "others": self.others,
            "autopilot": [self.autopilot] if self.autopilot else [],
        }
        return [(group, symptom) for group, found in groups.items() for symptom in found]


class JobDiagnosis(WireModel):
    """SDK ``JobDiagnosis``; ``diagnose_time`` is epoch milliseconds."""

    diagnose_id: str | None = None
    diagnose_time: int | None = None
    health_score: int | None = None
    risk_level: str | None = None
    namespace: str | None = None
    workspace: str | None = None
    symptoms: JobDiagnosisSymptoms | None = None
    job_id: str | None = None
    deployment_id: str | None = None


class JobLogFile(WireModel):
    source: str | None = None
    name: str | None = None
    truncated: bool | None = None


class JobLog(WireModel):
    """A job's log of one ``kind``; ``source`` is ``cluster`` (live) or ``archive``;
    ``scope`` is ``job`` (the job's lines) or ``cluster`` (the whole cluster log);
    ``note`` says what was left out."""

    job_id: str | None = None
    kind: str | None = None
    source: str | None = None
    scope: str | None = None
    note: str | None = None
    truncated: bool | None = None
    files: list[JobLogFile] = Field(default_factory=list)
    content: str = ""


# --------------------------------------------------------------------------- queues


class QueuedJob(WireModel):
    """A job holding (admitted) or waiting for room in a queue."""

    job_id: str | None = None
    deployment_id: str | None = None
    deployment_name: str | None = None
    namespace: str | None = None
    workspace: str | None = None
    status: str | None = None
    priority: int | None = None
    cost_cu: float | None = None
    enqueued_at: int | None = None
    admitted_at: int | None = None


class QueueUsage(WireModel):
    used_cu: float | None = None
    waiting_cu: float | None = None
    free_cu: float | None = None
    admitted: list[QueuedJob] = Field(default_factory=list)
    waiting: list[QueuedJob] = Field(default_factory=list)  # in the order they will start


class Queue(WireModel):
    """A CU quota (1 CU = 1 vCPU + 4 GiB) on one cluster; the body of create and update
    (``max_job_cu`` 0 removes the per-job maximum) and the answer, with its ``usage``."""

    name: str | None = None
    workspace: str | None = None
    cluster: str | None = None
    capacity_cu: float | None = None
    max_job_cu: float | None = None
    namespaces: list[str] | None = None
    description: str | None = None
    follows_cluster: bool | None = None
    creator: str | None = None
    modifier: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    resource_version: int | None = None
    usage: QueueUsage | None = None


# --------------------------------------------------------------------------- variables


class Variable(WireModel):
    """SDK ``Variable``; ``kind`` ``Plain`` or ``Encrypted`` (whose value reads ``******``)."""

    name: str | None = None
    value: str | None = None
    description: str | None = None
    kind: str | None = None
