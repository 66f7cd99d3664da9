"""Initial schema: namespaces, deployments, jobs, savepoints, events, clusters.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)
_ENUM = sa.String(32)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "namespaces",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_namespaces"),
        sa.UniqueConstraint("workspace", "name", name="uq_namespaces_workspace_name"),
    )

    op.create_table(
        "deployments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("execution_mode", _ENUM, nullable=False),
        sa.Column("engine_version", _NAME, nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("cluster", _NAME, nullable=True),
        sa.Column("artifact", _json(), nullable=False),
        sa.Column("labels", _json(), nullable=False),
        sa.Column("flink_conf", _json(), nullable=False),
        sa.Column("streaming_resource", _json(), nullable=False),
        sa.Column("batch_resource", _json(), nullable=False),
        sa.Column("logging", _json(), nullable=False),
        sa.Column("local_variables", _json(), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        _timestamp("created_at"),
        _timestamp("modified_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
        sa.UniqueConstraint(
            "workspace", "namespace", "name", name="uq_deployments_workspace_namespace_name"
        ),
    )
    op.create_index(
        "ix_deployments_workspace_namespace_created_at_id",
        "deployments",
        ["workspace", "namespace", "created_at", "id"],
    )

    op.create_table(
        "jobs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("deployment_name", _NAME, nullable=False),
        sa.Column("execution_mode", _ENUM, nullable=False),
        sa.Column("engine_version", _NAME, nullable=True),
        sa.Column("cluster", _NAME, nullable=False),
        sa.Column("desired", _ENUM, nullable=False),
        sa.Column("stop_strategy", _ENUM, nullable=True),
        sa.Column("status", _ENUM, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("flink_job_id", sa.String(32), nullable=True),
        sa.Column("restored_from", sa.Text(), nullable=True),
        sa.Column("observed_flink_status", _ENUM, nullable=True),
        sa.Column("observed_restarts", sa.Integer(), nullable=True),
        sa.Column("observed_modified_ms", sa.BigInteger(), nullable=True),
        sa.Column("stop_savepoint_id", _ID, nullable=True),
        sa.Column("artifact", _json(), nullable=False),
        sa.Column("resources", _json(), nullable=False),
        sa.Column("flink_conf", _json(), nullable=False),
        sa.Column("user_flink_conf", _json(), nullable=False),
        sa.Column("logging", _json(), nullable=False),
        sa.Column("local_variables", _json(), nullable=False),
        sa.Column("restore", _json(), nullable=False),
        sa.Column("failure", _json(), nullable=True),
        sa.Column("extra", _json(), nullable=False),
        _timestamp("start_time", nullable=True),
        _timestamp("end_time", nullable=True),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        _timestamp("created_at"),
        _timestamp("modified_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name="fk_jobs_deployment_id_deployments",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_jobs_deployment_id_created_at_id", "jobs", ["deployment_id", "created_at", "id"]
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_flink_job_id", "jobs", ["flink_job_id"])

    op.create_table(
        "savepoints",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("job_id", _ID, nullable=True),
        sa.Column("origin", _ENUM, nullable=False),
        sa.Column("state", _ENUM, nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("trigger_id", _NAME, nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("native_format", sa.Boolean(), nullable=False),
        sa.Column("stop_with_drain", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        _timestamp("modified_at"),
        sa.PrimaryKeyConstraint("id", name="pk_savepoints"),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name="fk_savepoints_deployment_id_deployments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_savepoints_job_id_jobs", ondelete="SET NULL"
        ),
    )
    op.create_index(
        "ix_savepoints_deployment_id_state_created_at",
        "savepoints",
        ["deployment_id", "state", "created_at"],
    )
    op.create_index(
        "ix_savepoints_workspace_namespace_created_at_id",
        "savepoints",
        ["workspace", "namespace", "created_at", "id"],
    )
    op.create_index("ix_savepoints_job_id", "savepoints", ["job_id"])
    op.create_index("ix_savepoints_state", "savepoints", ["state"])

    op.create_table(
        "events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=True),
        sa.Column("job_id", _ID, nullable=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("seq", name="pk_events"),
        sa.UniqueConstraint("id", name="uq_events_id"),
    )
    op.create_index(
        "ix_events_workspace_namespace_created_at_seq",
        "events",
        ["workspace", "namespace", "created_at", "seq"],
    )
    op.create_index(
        "ix_events_deployment_id_created_at_seq", "events", ["deployment_id", "created_at", "seq"]
    )
    op.create_index("ix_events_job_id_created_at_seq", "events", ["job_id", "created_at", "seq"])

    op.create_table(
        "clusters",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("kind", _ENUM, nullable=False),
        sa.Column("rest_url", sa.Text(), nullable=False),
        sa.Column("flink_conf", _json(), nullable=False),
        _timestamp("created_at"),
        _timestamp("modified_at"),
        sa.PrimaryKeyConstraint("id", name="pk_clusters"),
        sa.UniqueConstraint("workspace", "name", name="uq_clusters_workspace_name"),
    )


def downgrade() -> None:
    op.drop_table("clusters")
    op.drop_table("events")
    op.drop_table("savepoints")
    op.drop_table("jobs")
    op.drop_table("deployments")
    op.drop_table("namespaces")
