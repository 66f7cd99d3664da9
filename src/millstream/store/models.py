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
    "Base",
    "ClusterRow",
    "DeploymentRow",
    "EventRow",
    "ExternalKeyCounterRow",
    "ExternalKeyRow",
    "FolderRow",
    "JobRow",
    "NamespaceRow",
    "PackageRow",
    "QueueRow",
    "ResourceTagRow",
    "SavepointRow",
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
