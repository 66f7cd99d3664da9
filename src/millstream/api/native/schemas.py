"""Wire models of the native dialect (Alibaba Realtime Compute "ververica" API 2022-07-18).

Field names follow the official SDK ``alibabacloud_ververica20220718.models`` exactly
(camelCase on the wire via aliases, snake_case in Python); each class names the SDK model
it mirrors. Sample payloads: seed 000 (StartJobWithParams, the full ``Job``) and seed 003
(ListJobs). Request models ignore unknown fields: the SDK sends fields we do not use.

Free-form JSON fields (``flinkConf``, ``labels``...) and lists are bounded by the types
of ``api.json_shape`` (depth 32, 10,000 values, 1,000 list items): a request over a
limit is a 400 naming the field.

Only ``mappers.py`` converts between these models and the domain; routes never build
domain objects from raw JSON.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from millstream.api.json_shape import MAX_LIST_ITEMS, JsonObject, JsonText, StringList

__all__ = [
    "Artifact",
    "BasicResourceSetting",
    "BasicResourceSettingSpec",
    "BatchResourceSetting",
    "BriefDeploymentTarget",
    "CreateSavepointBody",
    "Deployment",
    "DeploymentRestoreStrategy",
    "EngineVersionMetadata",
    "EngineVersionMetadataIndex",
    "EngineVersionSupportedFeatures",
    "Event",
    "ExpertResourceSetting",
    "JarArtifact",
    "Job",
    "JobFailure",
    "JobMetric",
    "JobScheduling",
    "JobStartParameters",
    "JobStatus",
    "JobStatusRunning",
    "JobSummary",
    "LocalVariable",
    "Log4jLogger",
    "LogReservePolicy",
    "Logging",
    "PythonArtifact",
    "RestartPolicy",
    "Savepoint",
    "SavepointFailure",
    "SavepointStatus",
    "SqlArtifact",
    "SqlStatementValidationResult",
    "SqlStatementWithContext",
    "StartJobRequestBody",
    "StopJobRequestBody",
    "StreamingResourceSetting",
    "ValidationErrorDetails",
    "WireModel",
]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown request fields are ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
    )


# --------------------------------------------------------------------------- artifacts


class SqlArtifact(WireModel):
    """SDK ``SqlArtifact``."""

    sql_script: str | None = None
    additional_dependencies: StringList | None = None


class JarArtifact(WireModel):
    """SDK ``JarArtifact``."""

    jar_uri: str | None = None
    entry_class: str | None = None
    main_args: str | None = None
    additional_dependencies: StringList | None = None


class PythonArtifact(WireModel):
    """SDK ``PythonArtifact``."""

    python_artifact_uri: str | None = None
    entry_module: str | None = None
    main_args: str | None = None
    additional_dependencies: StringList | None = None
    additional_python_libraries: StringList | None = None
    additional_python_archives: StringList | None = None


class Artifact(WireModel):
    """SDK ``Artifact`` (seed 000 ``artifact``); only the sub-artifact of ``kind`` is used."""

    kind: str | None = None
    sql_artifact: SqlArtifact | None = None
    jar_artifact: JarArtifact | None = None
    python_artifact: PythonArtifact | None = None


# --------------------------------------------------------------------------- resources


class BasicResourceSettingSpec(WireModel):
    """SDK ``BasicResourceSettingSpec``: cores and a memory string such as ``"4 GiB"``."""

    cpu: float | None = None
    memory: str | None = None


class BasicResourceSetting(WireModel):
    """SDK ``BasicResourceSetting``."""

    parallelism: int | None = None
    jobmanager_resource_setting_spec: BasicResourceSettingSpec | None = None
    taskmanager_resource_setting_spec: BasicResourceSettingSpec | None = None


class ExpertResourceSetting(WireModel):
    """SDK ``ExpertResourceSetting``."""

    jobmanager_resource_setting_spec: BasicResourceSettingSpec | None = None
    resource_plan: JsonText | None = None


class StreamingResourceSetting(WireModel):
    """SDK ``StreamingResourceSetting``: ``resourceSettingMode`` BASIC or EXPERT."""

    resource_setting_mode: str | None = None
    basic_resource_setting: BasicResourceSetting | None = None
    expert_resource_setting: ExpertResourceSetting | None = None


class BatchResourceSetting(WireModel):
    """SDK ``BatchResourceSetting``."""

    max_slot: int | None = None
    basic_resource_setting: BasicResourceSetting | None = None


# --------------------------------------------------------------------------- deployments


class LocalVariable(WireModel):
    """SDK ``LocalVariable``."""

    name: str | None = None
    value: str | None = None


class Log4jLogger(WireModel):
    """SDK ``Log4jLogger``."""

    logger_name: str | None = None
    logger_level: str | None = None


class LogReservePolicy(WireModel):
    """SDK ``LogReservePolicy``."""

    open_history: bool | None = None
    expiration_days: int | None = None


class Logging(WireModel):
    """SDK ``Logging`` (seed 000 ``logging``)."""

    logging_profile: str | None = None
    # to_camel would say "log4J2..."/"log4JLoggers"; the SDK spells them with a small j.
    log4j2_configuration_template: str | None = Field(
        default=None, alias="log4j2ConfigurationTemplate"
    )
    log4j_loggers: list[Log4jLogger] | None = Field(
        default=None, alias="log4jLoggers", max_length=MAX_LIST_ITEMS
    )
    log_reserve_policy: LogReservePolicy | None = None


class BriefDeploymentTarget(WireModel):
    """SDK ``BriefDeploymentTarget``: mode ``SESSION`` + name = a session cluster;
    absent or ``PER_JOB`` = the default cluster (the name is then a queue we do not use)."""

    mode: str | None = None
    name: str | None = None


class JobSummary(WireModel):
    """SDK ``JobSummary``: job counts per status."""

    starting: int | None = None
    running: int | None = None
    cancelling: int | None = None
    cancelled: int | None = None
    finished: int | None = None
    failed: int | None = None


class RestartPolicy(WireModel):
    """Millstream extension ``Deployment.restartPolicy``: restart a job Flink reports
    FAILED from its latest state, at most ``maxRestartsPerHour`` times an hour (off by
    default). A partial object on update keeps the other field."""

    enabled: bool | None = None
    max_restarts_per_hour: int | None = None


class Deployment(WireModel):
    """SDK ``Deployment``; request body of Create/UpdateDeployment and response data.

    ``resourceVersion`` is a Millstream extension: the optimistic-concurrency version
    (sent back on update, a stale one is rejected with 409).
    """

    deployment_id: str | None = None
    name: str | None = None
    description: str | None = None
    namespace: str | None = None
    workspace: str | None = None
    artifact: Artifact | None = None
    execution_mode: str | None = None
    engine_version: str | None = None
    flink_conf: JsonObject | None = None
    labels: JsonObject | None = None
    local_variables: list[LocalVariable] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    logging: Logging | None = None
    streaming_resource_setting: StreamingResourceSetting | None = None
    batch_resource_setting: BatchResourceSetting | None = None
    deployment_target: BriefDeploymentTarget | None = None
    creator: str | None = None
    creator_name: str | None = None
    modifier: str | None = None
    modifier_name: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    job_summary: JobSummary | None = None
    resource_version: int | None = None
    # Millstream extension (queues, DESIGN.md §5): the queue its jobs wait on ("" clears
    # it: the cluster's default queue), their priority (higher first) and how long one
    # may wait for room before it fails with SCHEDULE_TIMEOUT (0 clears it).
    queue: str | None = None
    priority: int | None = None
    schedule_timeout_seconds: int | None = None
    # Millstream extension: the restart policy its jobs get at start.
    restart_policy: RestartPolicy | None = None


# --------------------------------------------------------------------------- jobs


class DeploymentRestoreStrategy(WireModel):
    """SDK ``DeploymentRestoreStrategy`` (seed 000 ``restoreStrategy``)."""

    kind: str | None = None
    savepoint_id: str | None = None
    allow_non_restored_state: bool | None = None
    job_start_time_in_ms: int | None = None


class JobFailure(WireModel):
    """SDK ``JobFailure``; ``failedAt`` in epoch seconds as in seed 000."""

    message: str | None = None
    reason: str | None = None
    failed_at: int | None = None


class JobStatusRunning(WireModel):
    """SDK ``JobStatusRunning``."""

    observed_flink_job_restarts: int | None = None
    observed_flink_job_status: str | None = None


class JobScheduling(WireModel):
    """Millstream extension: where a job stands in its queue and what it costs (CU)."""

    queue: str | None = None
    priority: int | None = None
    cost_cu: float | None = None
    schedule_timeout_seconds: int | None = None
    enqueued_at: int | None = None
    admitted_at: int | None = None


class JobStatus(WireModel):
    """SDK ``JobStatus``; ``riskLevel``/``healthScore`` are not computed here (null).

    Millstream extension: ``reason`` (e.g. ``WAITING_FOR_RESOURCES`` while STARTING,
    ``SCHEDULE_TIMEOUT`` once FAILED) and ``scheduling``."""

    current_job_status: str | None = None
    failure: JobFailure | None = None
    running: JobStatusRunning | None = None
    risk_level: str | None = None
    health_score: int | None = None
    reason: str | None = None
    scheduling: JobScheduling | None = None


class JobMetric(WireModel):
    """SDK ``JobMetric``."""

    total_cpu: float | None = None
    total_memory_byte: int | None = None


class Job(WireModel):
    """SDK ``Job``: every field of seed 000's ``data``. Times: ``startTime``/``endTime``
    int epoch seconds, ``createdAt``/``modifiedAt`` strings of epoch seconds (SDK types)."""

    job_id: str | None = None
    deployment_id: str | None = None
    deployment_name: str | None = None
    namespace: str | None = None
    workspace: str | None = None
    execution_mode: str | None = None
    creator: str | None = None
    creator_name: str | None = None
    modifier: str | None = None
    modifier_name: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    engine_version: str | None = None
    flink_conf: JsonObject | None = None
    user_flink_conf: JsonObject | None = None
    status: JobStatus | None = None
    metric: JobMetric | None = None
    session_cluster_name: str | None = None
    artifact: Artifact | None = None
    logging: Logging | None = None
    batch_resource_setting: BatchResourceSetting | None = None
    streaming_resource_setting: StreamingResourceSetting | None = None
    restore_strategy: DeploymentRestoreStrategy | None = None
    local_variables: list[LocalVariable] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    created_at: str | None = None
    modified_at: str | None = None
    # Millstream extension: the Flink version of the runtime its engine version selected.
    flink_version: str | None = None


class JobStartParameters(WireModel):
    """SDK ``JobStartParameters``: body of StartJobWithParams (``POST .../jobs:start``)."""

    deployment_id: str | None = None
    restore_strategy: DeploymentRestoreStrategy | None = None
    local_variables: list[LocalVariable] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    job_id: str | None = None
    resource_queue_name: str | None = None
    # Millstream extension: idempotent start (same as the x-millstream-client-token header).
    client_token: str | None = None


class StartJobRequestBody(WireModel):
    """SDK ``StartJobRequestBody``: body of the deprecated StartJob (``POST .../jobs``).

    ``resourceSettingSpec`` (a ``BriefResourceSetting``) is accepted but not applied: a
    job runs with its deployment's resources.
    """

    deployment_id: str | None = None
    restore_strategy: DeploymentRestoreStrategy | None = None
    resource_setting_spec: JsonObject | None = None


class StopJobRequestBody(WireModel):
    """SDK ``StopJobRequestBody``."""

    stop_strategy: str | None = None


# --------------------------------------------------------------------------- savepoints


class SavepointFailure(WireModel):
    """SDK ``SavepointFailure``."""

    message: str | None = None
    reason: str | None = None
    failed_at: int | None = None


class SavepointStatus(WireModel):
    """SDK ``SavepointStatus``: ``state`` STARTED, COMPLETED or FAILED."""

    state: str | None = None
    failure: SavepointFailure | None = None


class Savepoint(WireModel):
    """SDK ``Savepoint``; ``createdAt``/``modifiedAt`` are int epoch seconds (SDK types)."""

    savepoint_id: str | None = None
    deployment_id: str | None = None
    job_id: str | None = None
    namespace: str | None = None
    description: str | None = None
    native_format: bool | None = None
    savepoint_location: str | None = None
    savepoint_origin: str | None = None
    stop_with_drain_enabled: bool | None = None
    status: SavepointStatus | None = None
    created_at: int | None = None
    modified_at: int | None = None


class CreateSavepointBody(WireModel):
    """Body of CreateSavepoint (SDK ``CreateSavepointRequest`` fields)."""

    deployment_id: str | None = None
    description: str | None = None
    native_format: bool | None = None


# --------------------------------------------------------------------------- events


class Event(WireModel):
    """SDK ``Event``; ``createdAt`` is a string of epoch seconds (SDK type)."""

    event_id: str | None = None
    event_name: str | None = None
    message: str | None = None
    created_at: str | None = None
    deployment_id: str | None = None
    job_id: str | None = None
    namespace: str | None = None
    workspace: str | None = None


# --------------------------------------------------------------------------- engine versions


class EngineVersionSupportedFeatures(WireModel):
    """SDK ``EngineVersionSupportedFeatures``."""

    use_for_sql_deployments: bool | None = None
    support_native_savepoint: bool | None = None


class EngineVersionMetadata(WireModel):
    """SDK ``EngineVersionMetadata``; ``status`` STABLE, BETA, DEPRECATED or EXPIRED."""

    engine_version: str | None = None
    status: str | None = None
    features: EngineVersionSupportedFeatures | None = None
    # Millstream extension: the real Flink version of the runtime that runs this name.
    flink_version: str | None = None


class EngineVersionMetadataIndex(WireModel):
    """SDK ``EngineVersionMetadataIndex``: data of ListEngineVersionMetadata."""

    default_engine_version: str | None = None
    engine_version_metadata: list[EngineVersionMetadata] | None = None


# --------------------------------------------------------------------------- SQL validation


class SqlStatementWithContext(WireModel):
    """SDK ``SqlStatementWithContext``: body of ValidateSqlStatement."""

    statement: str | None = None
    batch_mode: bool | None = None
    flink_configuration: JsonObject | None = None
    version_name: str | None = None
    additional_dependencies: StringList | None = None


class ValidationErrorDetails(WireModel):
    """SDK ``ErrorDetails``; line/column numbers are strings in the SDK model."""

    line_number: str | None = None
    column_number: str | None = None
    end_line_number: str | None = None
    end_column_number: str | None = None
    message: str | None = None


class SqlStatementValidationResult(WireModel):
    """SDK ``SqlStatementValidationResult``: data of ValidateSqlStatement."""

    success: bool | None = None
    message: str | None = None
    validation_result: str | None = None
    error_details: ValidationErrorDetails | None = None
