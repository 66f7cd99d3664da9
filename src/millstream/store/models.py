"""SQLAlchemy table models: one class per table, queryable fields as columns.

Nested value objects (artifact, resources, logging, restore strategy, failure, labels,
flink_conf ...) are JSON documents; ``mappers.py`` converts rows to domain objects and
back. Tables are created only by the Alembic migrations in ``migrations/``; this module
is their reference for autogenerate and for the drift test.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from millstream.store.types import JSONDocument, UTCDateTime

__all__ = [
    "LIVE_JOB_GUARD",
    "AlertOutboxRow",
    "AlertRuleRow",
    "AlertStateRow",
    "AutoscaleConfigRow",
    "AutoscalePlanRow",
    "Base",
    "ClusterRestartRow",
    "ClusterRow",
    "DeploymentDraftRow",
    "DeploymentHealthRow",
    "DeploymentLineageRow",
    "DeploymentRow",
    "DeploymentSpecRevisionRow",
    "DraftTicketRow",
    "EventRow",
    "ExternalKeyCounterRow",
    "ExternalKeyRow",
    "FolderRow",
    "HealthPolicyRow",
    "JobRow",
    "MetricSampleRow",
    "NamespaceRow",
    "PackageRow",
    "PatrolConfigRow",
    "PatrolReportRow",
    "QueueRow",
    "ResourcePlanTicketRow",
    "ResourceTagRow",
    "SavepointRow",
    "SavepointScheduleRow",
    "ScheduledPlanExecutionRow",
    "ScheduledPlanRow",
    "SqlFileRow",
    "StartTokenRow",
    "VariableRow",
]

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ID = String(64)
_LIVE_JOB = "status NOT IN ('CANCELLED', 'FAILED', 'FINISHED')"
LIVE_JOB_GUARD = "uq_jobs_one_live_per_deployment"
_NAME = String(128)
_ENUM = String(32)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
    }


class NamespaceRow(Base):
    __tablename__ = "namespaces"
    __table_args__ = (UniqueConstraint("workspace", "name"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    name: Mapped[str] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    # The namespace's profile (migration 0011), NULL for namespaces made before it.
    description: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any] | None]
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    modified_at: Mapped[datetime | None]


class DeploymentRow(Base):
    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("workspace", "namespace", "name"),
        Index(None, "workspace", "namespace", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    name: Mapped[str] = mapped_column(_NAME)
    execution_mode: Mapped[str] = mapped_column(_ENUM)
    engine_version: Mapped[str | None] = mapped_column(_NAME)
    description: Mapped[str | None] = mapped_column(Text)
    cluster: Mapped[str | None] = mapped_column(_NAME)
    artifact: Mapped[dict[str, Any]]
    labels: Mapped[dict[str, Any]]
    flink_conf: Mapped[dict[str, Any]]
    streaming_resource: Mapped[dict[str, Any]]
    batch_resource: Mapped[dict[str, Any]]
    logging: Mapped[dict[str, Any]]
    local_variables: Mapped[dict[str, Any]]
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    # Restart policy (migration 0008): {"enabled", "max_restarts_per_hour"}; NULL = off.
    restart_policy: Mapped[dict[str, Any] | None]
    # Queues and admission (migration 0009).
    queue: Mapped[str | None] = mapped_column(_NAME)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    schedule_timeout_seconds: Mapped[int | None] = mapped_column(Integer)


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index(None, "deployment_id", "created_at", "id"),
        Index(None, "status"),
        Index(None, "flink_job_id"),
        Index(None, "queue", "status"),
        # At most one live job per deployment, even when two starts race (migration 0002).
        Index(
            LIVE_JOB_GUARD,
            "deployment_id",
            unique=True,
            sqlite_where=text(_LIVE_JOB),
            postgresql_where=text(_LIVE_JOB),
        ),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE")
    )
    deployment_name: Mapped[str] = mapped_column(_NAME)
    execution_mode: Mapped[str] = mapped_column(_ENUM)
    engine_version: Mapped[str | None] = mapped_column(_NAME)
    runtime: Mapped[str | None] = mapped_column(String(32))  # Flink version running it (0025)
    cluster: Mapped[str] = mapped_column(_NAME)
    desired: Mapped[str] = mapped_column(_ENUM)
    stop_strategy: Mapped[str | None] = mapped_column(_ENUM)
    status: Mapped[str] = mapped_column(_ENUM)
    attempt: Mapped[int] = mapped_column(Integer)
    flink_job_id: Mapped[str | None] = mapped_column(String(32))
    restored_from: Mapped[str | None] = mapped_column(Text)
    observed_flink_status: Mapped[str | None] = mapped_column(_ENUM)
    observed_restarts: Mapped[int | None] = mapped_column(Integer)
    observed_modified_ms: Mapped[int | None] = mapped_column(BigInteger)
    stop_savepoint_id: Mapped[str | None] = mapped_column(_ID)
    artifact: Mapped[dict[str, Any]]
    resources: Mapped[dict[str, Any]]
    flink_conf: Mapped[dict[str, Any]]
    user_flink_conf: Mapped[dict[str, Any]]
    logging: Mapped[dict[str, Any]]
    local_variables: Mapped[dict[str, Any]]
    restore: Mapped[dict[str, Any]]
    failure: Mapped[dict[str, Any] | None]
    extra: Mapped[dict[str, Any]]
    start_time: Mapped[datetime | None]
    end_time: Mapped[datetime | None]
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    # Restart policy copied at start, {"restarted_at": [...]}, checkpoint paths (0008).
    restart_policy: Mapped[dict[str, Any] | None]
    restart_history: Mapped[dict[str, Any] | None]
    latest_checkpoint: Mapped[str | None] = mapped_column(Text)
    retained_checkpoint: Mapped[str | None] = mapped_column(Text)
    # Queues and admission (migration 0009): a job with a queue and no ``admitted_at``
    # waits; ``admitted_at`` is written before the first submission (never admitted twice).
    queue: Mapped[str | None] = mapped_column(_NAME)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    schedule_timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    cost_cu: Mapped[float | None] = mapped_column(Float)
    enqueued_at: Mapped[datetime | None]
    admitted_at: Mapped[datetime | None]
    status_reason: Mapped[str | None] = mapped_column(_NAME)


class SavepointRow(Base):
    __tablename__ = "savepoints"
    __table_args__ = (
        Index(None, "deployment_id", "state", "created_at"),
        Index(None, "workspace", "namespace", "created_at", "id"),
        Index(None, "job_id"),
        Index(None, "state"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE")
    )
    job_id: Mapped[str | None] = mapped_column(_ID, ForeignKey("jobs.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(_ENUM)
    state: Mapped[str] = mapped_column(_ENUM)
    location: Mapped[str | None] = mapped_column(Text)
    trigger_id: Mapped[str | None] = mapped_column(_NAME)
    failure: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    native_format: Mapped[bool] = mapped_column(Boolean)
    stop_with_drain: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class SavepointScheduleRow(Base):
    """A deployment's periodic savepoints (migration 0016): an interval or a cron
    expression, retention (``max_count``, ``max_age_seconds``), daily blackout windows
    (``blackouts``: ``{"windows": ["HH:MM-HH:MM", ...]}``) and the scheduler's
    bookkeeping (``last_triggered_at``, ``pending_savepoint_id``)."""

    __tablename__ = "savepoint_schedules"

    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True
    )
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    cron: Mapped[str | None] = mapped_column(String(128))
    timezone: Mapped[str] = mapped_column(String(64))
    max_count: Mapped[int | None] = mapped_column(Integer)
    max_age_seconds: Mapped[int | None] = mapped_column(Integer)
    blackouts: Mapped[dict[str, Any]]
    last_triggered_at: Mapped[datetime | None]
    pending_savepoint_id: Mapped[str | None] = mapped_column(_ID)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class HealthPolicyRow(Base):
    """A deployment's health policy (migration 0021): the checks (``None`` is off), and
    whether an unhealthy job is restarted and a new spec rolled back."""

    __tablename__ = "health_policies"

    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True
    )
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    max_restarts: Mapped[int | None] = mapped_column(Integer)
    restart_window_seconds: Mapped[int] = mapped_column(Integer)
    checkpoint_stall_seconds: Mapped[int | None] = mapped_column(Integer)
    source_idle_seconds: Mapped[int | None] = mapped_column(Integer)
    auto_restart: Mapped[bool] = mapped_column(Boolean)
    rollback: Mapped[bool] = mapped_column(Boolean)
    readiness_timeout_seconds: Mapped[int] = mapped_column(Integer)
    stable_period_seconds: Mapped[int] = mapped_column(Integer)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class DeploymentHealthRow(Base):
    """A deployment's health as users see it and the checker's bookkeeping (migration
    0021; ``bookkeeping``: counters, the last stable spec, an action under way)."""

    __tablename__ = "deployment_health"

    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True
    )
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    state: Mapped[str] = mapped_column(_ENUM)
    reason: Mapped[str | None] = mapped_column(_ENUM)
    message: Mapped[str | None] = mapped_column(Text)
    since: Mapped[datetime | None]
    bookkeeping: Mapped[dict[str, Any]]
    checked_at: Mapped[datetime | None]


class EventRow(Base):
    """``seq`` orders events written within the same microsecond; ``id`` is the public key."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("id"),
        Index(None, "workspace", "namespace", "created_at", "seq"),
        Index(None, "deployment_id", "created_at", "seq"),
        Index(None, "job_id", "created_at", "seq"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(_ID)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str | None] = mapped_column(_ID)
    job_id: Mapped[str | None] = mapped_column(_ID)
    name: Mapped[str] = mapped_column(_NAME)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ClusterRow(Base):
    __tablename__ = "clusters"
    __table_args__ = (UniqueConstraint("workspace", "name"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str | None] = mapped_column(_NAME)
    name: Mapped[str] = mapped_column(_NAME)
    kind: Mapped[str] = mapped_column(_ENUM)
    rest_url: Mapped[str] = mapped_column(Text)
    flink_conf: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]
    # Managed clusters (migration 0005): desired state, status, and two JSON documents:
    # ``spec`` (what the user asked for) and ``state`` (what the reconciler observed).
    desired: Mapped[str | None] = mapped_column(_ENUM)
    status: Mapped[str | None] = mapped_column(_ENUM)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)


class VariableRow(Base):
    """A namespace variable; ``value`` for Plain, ``ciphertext`` for Encrypted (migration 0004)."""

    __tablename__ = "variables"

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    namespace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    name: Mapped[str] = mapped_column(_NAME, primary_key=True)
    kind: Mapped[str] = mapped_column(_ENUM)
    value: Mapped[str | None] = mapped_column(Text)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    description: Mapped[str | None] = mapped_column(Text)
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class ExternalKeyRow(Base):
    """A deployment's or job's key in one dialect's key space (migration 0007): a
    ``number`` or a ``name``, unique in (space, scope). Deleting the entity deletes
    its keys (the foreign keys cascade); ``ExternalKeyCounterRow`` keeps numbers unique."""

    __tablename__ = "external_keys"
    __table_args__ = (
        UniqueConstraint("space", "scope", "number"),
        UniqueConstraint("space", "scope", "name"),
        CheckConstraint("(number IS NULL) <> (name IS NULL)", name="ck_external_keys_one_value"),
        Index(None, "deployment_id"),
        Index(None, "job_id"),
    )

    space: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    scope: Mapped[str] = mapped_column(_NAME)
    number: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(_NAME)
    # The entity is the job when ``job_id`` is set, else the deployment.
    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE")
    )
    job_id: Mapped[str | None] = mapped_column(_ID, ForeignKey("jobs.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


class ExternalKeyCounterRow(Base):
    """The last number allocated in (space, scope); only ever increases (migration 0007)."""

    __tablename__ = "external_key_counters"

    space: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(_NAME, primary_key=True)
    last_number: Mapped[int] = mapped_column(BigInteger)


class StartTokenRow(Base):
    """A start's client token and the job it created, written with the job (migration
    0007); purged after the retention period. Deleting the job deletes the token."""

    __tablename__ = "start_tokens"
    __table_args__ = (
        Index(None, "created_at"),
        Index(None, "job_id"),
    )

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    namespace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    token: Mapped[str] = mapped_column(_NAME, primary_key=True)
    deployment_id: Mapped[str] = mapped_column(_ID)
    job_id: Mapped[str] = mapped_column(_ID, ForeignKey("jobs.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


class MetricSampleRow(Base):
    """One value of one Flink metric of one job at one moment (migration 0012), written
    by the metric sampler and swept after the retention period. Deleting the job deletes
    its samples."""

    __tablename__ = "metric_samples"
    __table_args__ = (
        Index(None, "job_id", "name", "sampled_at"),
        Index(None, "sampled_at"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    job_id: Mapped[str] = mapped_column(_ID, ForeignKey("jobs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(_NAME)
    value: Mapped[float] = mapped_column(Float)
    sampled_at: Mapped[datetime]


class QueueRow(Base):
    """A CU quota on one cluster (migration 0009); ``namespaces`` is ``{"names": [...]}``
    (empty: every namespace of ``workspace``)."""

    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    name: Mapped[str] = mapped_column(_NAME)
    workspace: Mapped[str] = mapped_column(_NAME)
    cluster: Mapped[str] = mapped_column(_NAME)
    capacity_cu: Mapped[float] = mapped_column(Float)
    max_job_cu: Mapped[float | None] = mapped_column(Float)
    namespaces: Mapped[dict[str, Any]]
    description: Mapped[str | None] = mapped_column(Text)
    follows_cluster: Mapped[bool] = mapped_column(Boolean)
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)


class FolderRow(Base):
    """A folder path of a namespace with its integer id (migration 0010)."""

    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("workspace", "namespace", "path"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    path: Mapped[str] = mapped_column(String(2100))
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class PackageRow(Base):
    """A registered package of a namespace (migration 0010)."""

    __tablename__ = "packages"

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    namespace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    name: Mapped[str] = mapped_column(_NAME, primary_key=True)
    kind: Mapped[str] = mapped_column(_ENUM)
    location: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    tag: Mapped[str] = mapped_column(Text)
    md5: Mapped[str] = mapped_column(String(32))
    origin_name: Mapped[str] = mapped_column(String(512))
    attributes: Mapped[dict[str, Any]]
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class ResourceTagRow(Base):
    """One key/value tag of a resource named by type and id (migration 0010)."""

    __tablename__ = "resource_tags"

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_id: Mapped[str] = mapped_column(_NAME, primary_key=True)
    key: Mapped[str] = mapped_column(_NAME, primary_key=True)
    value: Mapped[str] = mapped_column(_NAME)
    created_at: Mapped[datetime]


class AutoscaleConfigRow(Base):
    """A deployment's autoscaling settings (migration 0013). foas sets them per instance
    (UpdateAutoScaleConfig); they live on the deployment (the foas job) so that they carry
    over to the job's next instance, which every autoscaling restart creates."""

    __tablename__ = "autoscale_configs"
    __table_args__ = (Index(None, "enabled"),)

    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True
    )
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    enabled: Mapped[bool] = mapped_column(Boolean)
    min_parallelism: Mapped[int] = mapped_column(Integer)
    max_parallelism: Mapped[int] = mapped_column(Integer)
    target_utilization: Mapped[float] = mapped_column(Float)
    utilization_boundary: Mapped[float] = mapped_column(Float)
    cool_down_seconds: Mapped[float] = mapped_column(Float)
    recommend_only: Mapped[bool] = mapped_column(Boolean)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    modified_at: Mapped[datetime]


class AutoscalePlanRow(Base):
    """One autoscaling plan of one job with its inputs (``inputs``: the vertices' loads;
    ``config``: the settings it was made with) and its outcome (migration 0013)."""

    __tablename__ = "autoscale_plans"
    __table_args__ = (
        Index(None, "deployment_id", "created_at"),
        Index(None, "job_id"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE")
    )
    job_id: Mapped[str] = mapped_column(_ID)
    name: Mapped[str] = mapped_column(String(64))
    current_parallelism: Mapped[int] = mapped_column(Integer)
    proposed_parallelism: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(_ENUM)
    reason: Mapped[str] = mapped_column(Text)
    utilization: Mapped[float | None] = mapped_column(Float)
    bottleneck: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    hot_update_id: Mapped[str | None] = mapped_column(_ID)
    inputs: Mapped[dict[str, Any]]
    config: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class SqlFileRow(Base):
    """A SQL file: a named SQL script in a folder of a namespace (migration 0017).
    ``folder_id`` is a ``folders.id`` or 0 (the root, which has no row)."""

    __tablename__ = "sql_files"
    __table_args__ = (UniqueConstraint("workspace", "namespace", "folder_id", "name"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    folder_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(_NAME)
    script: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    session_cluster: Mapped[str | None] = mapped_column(_NAME)
    batch: Mapped[bool] = mapped_column(Boolean)
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class DeploymentDraftRow(Base):
    """A deployment draft in a folder of a namespace, with its edit lock (migration 0019).
    ``spec`` is ``store.drafts.spec_to_json``; ``folder_id`` 0 is the root."""

    __tablename__ = "deployment_drafts"
    __table_args__ = (UniqueConstraint("workspace", "namespace", "folder_id", "name"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    folder_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(_NAME)
    spec: Mapped[dict[str, Any]]
    deployment_id: Mapped[str | None] = mapped_column(_ID)
    lock_id: Mapped[str | None] = mapped_column(_ID)
    lock_holder_id: Mapped[str | None] = mapped_column(_NAME)
    lock_holder_name: Mapped[str | None] = mapped_column(_NAME)
    lock_expires_at: Mapped[datetime | None]
    creator: Mapped[str | None] = mapped_column(_NAME)
    creator_name: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    modifier_name: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class DraftTicketRow(Base):
    """A background validation or deploy of a draft and its outcome (migration 0019)."""

    __tablename__ = "draft_tickets"
    __table_args__ = (Index(None, "expires_at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    draft_id: Mapped[str] = mapped_column(_ID)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class DeploymentSpecRevisionRow(Base):
    """A deployment's spec as a deploy found it, kept for rollback (migration 0019)."""

    __tablename__ = "deployment_spec_revisions"
    __table_args__ = (Index(None, "deployment_id"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(_ID)
    draft_id: Mapped[str | None] = mapped_column(_ID)
    spec: Mapped[dict[str, Any]]
    creator: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]


class ClusterRestartRow(Base):
    """A JobManager resize that carries a session cluster's running jobs over its restart
    (migration 0015): the new size (``jobmanager``: cpu, memory), the carried jobs
    (``jobs``: ``{"ids": [...]}``) and the phase the coordinator moved it to."""

    __tablename__ = "cluster_restarts"
    __table_args__ = (
        Index(None, "phase"),
        Index(None, "workspace", "cluster"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    cluster: Mapped[str] = mapped_column(_NAME)
    jobmanager: Mapped[dict[str, Any]]
    jobs: Mapped[dict[str, Any]]
    phase: Mapped[str] = mapped_column(_ENUM)
    message: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    previous_start: Mapped[datetime | None]
    request_id: Mapped[str | None] = mapped_column(_NAME)
    creator: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class AlertRuleRow(Base):
    """An alert rule (migration 0018): ``condition`` (kind, threshold, state, windowSeconds,
    forSeconds), ``selector`` (deploymentName, labels) and ``channel`` (url, format,
    secretCiphertext: the encrypted signing secret)."""

    __tablename__ = "alert_rules"
    __table_args__ = (UniqueConstraint("workspace", "namespace", "name"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    name: Mapped[str] = mapped_column(_NAME)
    kind: Mapped[str] = mapped_column(_ENUM)
    condition: Mapped[dict[str, Any]]
    selector: Mapped[dict[str, Any]]
    channel: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = mapped_column(Boolean)
    creator: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class AlertStateRow(Base):
    """One alert (a rule on a deployment, keyed by its fingerprint): PENDING, FIRING or
    RESOLVED, since when, and when it was last delivered (migration 0018)."""

    __tablename__ = "alert_states"
    __table_args__ = (
        Index(None, "rule_id"),
        Index(None, "workspace", "namespace", "status"),
    )

    fingerprint: Mapped[str] = mapped_column(_ID, primary_key=True)
    rule_id: Mapped[str] = mapped_column(_ID, ForeignKey("alert_rules.id", ondelete="CASCADE"))
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(_ID)
    deployment_name: Mapped[str] = mapped_column(_NAME)
    status: Mapped[str] = mapped_column(_ENUM)
    summary: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    firing_since: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    last_sent_at: Mapped[datetime | None]
    modified_at: Mapped[datetime]


class AlertOutboxRow(Base):
    """A transition waiting for delivery (migration 0018): ``message`` holds what the
    payload is rendered from at send time; ``attempts`` and ``next_attempt_at`` the retry
    backoff."""

    __tablename__ = "alert_outbox"
    __table_args__ = (Index(None, "next_attempt_at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    rule_id: Mapped[str] = mapped_column(_ID, ForeignKey("alert_rules.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(_ID)
    event: Mapped[str] = mapped_column(_ENUM)
    message: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class PatrolConfigRow(Base):
    """A namespace's patrol setting (migration 0020): schedule, scope (``{"kind",
    "deploymentIds", "tags"}``) and thresholds (``domain.patrol.Thresholds`` fields)."""

    __tablename__ = "patrol_configs"

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    namespace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    cron: Mapped[str] = mapped_column(String(128))
    timezone: Mapped[str] = mapped_column(String(64))
    scope: Mapped[dict[str, Any]]
    thresholds: Mapped[dict[str, Any]]
    last_run_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PatrolReportRow(Base):
    """One patrol run and its findings (``findings``: ``{"items": [...]}``; migration
    0020). The service keeps the newest reports of each namespace only."""

    __tablename__ = "patrol_reports"
    __table_args__ = (Index(None, "workspace", "namespace", "started_at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    trigger: Mapped[str] = mapped_column(_ENUM)
    status: Mapped[str] = mapped_column(_ENUM)
    scope: Mapped[dict[str, Any]]
    total_jobs: Mapped[int] = mapped_column(Integer)
    inspected_jobs: Mapped[int] = mapped_column(Integer)
    findings: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime]


class ScheduledPlanRow(Base):
    """A deployment's scheduled resource changes (migration 0024): ``changes`` is
    ``{"items": [...]}`` (``store.scheduled_plans``); ``handled_until`` is the leader
    task's bookkeeping of boundaries already applied."""

    __tablename__ = "scheduled_plans"
    __table_args__ = (
        UniqueConstraint("workspace", "namespace", "name"),
        Index(None, "deployment_id"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(_NAME)
    changes: Mapped[dict[str, Any]]
    applied: Mapped[bool] = mapped_column(Boolean)
    applied_at: Mapped[datetime | None]
    handled_until: Mapped[datetime | None]
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class ScheduledPlanExecutionRow(Base):
    """One scheduled change applied to a deployment (migration 0024)."""

    __tablename__ = "scheduled_plan_executions"
    __table_args__ = (Index(None, "deployment_id", "created_at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(_ID)
    plan_id: Mapped[str] = mapped_column(_ID)
    plan_name: Mapped[str] = mapped_column(_NAME)
    job_id: Mapped[str | None] = mapped_column(_ID)
    hot_update_id: Mapped[str | None] = mapped_column(_ID)
    restart_type: Mapped[str] = mapped_column(_ENUM)
    state: Mapped[str] = mapped_column(_ENUM)
    message: Mapped[str | None] = mapped_column(Text)
    boundary_at: Mapped[datetime]
    created_at: Mapped[datetime]


class ResourcePlanTicketRow(Base):
    """A background generation of an EXPERT resource plan and its result (migration 0024)."""

    __tablename__ = "resource_plan_tickets"
    __table_args__ = (Index(None, "created_at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(_ID)
    status: Mapped[str] = mapped_column(_ENUM)
    plan: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class DeploymentLineageRow(Base):
    """The lineage of a deployment's spec, computed once per spec (``spec_digest``;
    migration 0024)."""

    __tablename__ = "deployment_lineages"

    deployment_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True
    )
    spec_digest: Mapped[str] = mapped_column(String(64))
    lineage: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime]


class SqlCatalogRow(Base):
    """A namespace's persistent SQL catalog ``vvp`` (migration 0022): its databases and
    objects as ``domain.sql_catalog.catalog_to_json``; ``revision`` for compare-and-set."""

    __tablename__ = "sql_catalogs"

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    namespace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    objects: Mapped[dict[str, Any]]
    modifier: Mapped[str | None] = mapped_column(_NAME)
    modified_at: Mapped[datetime]
