"""Queues: CU quotas per cluster, and the admission state of deployments and jobs.

A ``queues`` row caps the CUs its jobs hold on one cluster. Deployments gain the queue,
priority and schedule timeout their jobs inherit; jobs gain those plus their CU cost,
when they joined the line (``enqueued_at``), when they were admitted (``admitted_at``,
written before the first submission so a restart never admits a job twice) and a
status reason (``WAITING_FOR_RESOURCES``, ``SCHEDULE_TIMEOUT``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "queues",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("cluster", _NAME, nullable=False),
        sa.Column("capacity_cu", sa.Float(), nullable=False),
        sa.Column("max_job_cu", sa.Float(), nullable=True),
        sa.Column("namespaces", _json(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("follows_cluster", sa.Boolean(), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("modified_at", _moment(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queues"),
        sa.UniqueConstraint("name", name="uq_queues_name"),
    )
    # Plain ADD COLUMN, never a batch: on SQLite a batch recreates the table, and
    # dropping the old ``deployments`` cascades (foreign keys are on) into ``jobs``.
    op.add_column("deployments", sa.Column("queue", _NAME, nullable=True))
    op.add_column(
        "deployments",
        sa.Column("priority", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("deployments", sa.Column("schedule_timeout_seconds", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("queue", _NAME, nullable=True))
    op.add_column(
        "jobs", sa.Column("priority", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column("jobs", sa.Column("schedule_timeout_seconds", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("cost_cu", sa.Float(), nullable=True))
    op.add_column("jobs", sa.Column("enqueued_at", _moment(), nullable=True))
    op.add_column("jobs", sa.Column("admitted_at", _moment(), nullable=True))
    op.add_column("jobs", sa.Column("status_reason", _NAME, nullable=True))
    op.create_index("ix_jobs_queue_status", "jobs", ["queue", "status"])


def downgrade() -> None:
    op.drop_index("ix_jobs_queue_status", table_name="jobs")
    # Plain DROP COLUMN (SQLite >= 3.35 has it): a batch would recreate the tables and
    # cascade-delete every job, as in ``upgrade``.
    for column in (
        "status_reason",
        "admitted_at",
        "enqueued_at",
        "cost_cu",
        "schedule_timeout_seconds",
        "priority",
        "queue",
    ):
        op.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
    for column in ("schedule_timeout_seconds", "priority", "queue"):
        op.execute(f"ALTER TABLE deployments DROP COLUMN {column}")
    op.drop_table("queues")
