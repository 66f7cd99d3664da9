"""Health checks and rollback: one health policy per deployment (what is checked, whether
an unhealthy job is restarted and a new spec rolled back) and one health status per
deployment (its health as users see it, the checker's counters, the last stable spec
and a restart or rollback under way). Deleting the deployment deletes both.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 01:25:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)
_ENUM = sa.String(32)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _deployment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["deployment_id"],
        ["deployments.id"],
        name=f"fk_{table}_deployment_id_deployments",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "health_policies",
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("max_restarts", sa.Integer(), nullable=True),
        sa.Column("restart_window_seconds", sa.Integer(), nullable=False),
        sa.Column("checkpoint_stall_seconds", sa.Integer(), nullable=True),
        sa.Column("source_idle_seconds", sa.Integer(), nullable=True),
        sa.Column("auto_restart", sa.Boolean(), nullable=False),
        sa.Column("rollback", sa.Boolean(), nullable=False),
        sa.Column("readiness_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("stable_period_seconds", sa.Integer(), nullable=False),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        _deployment_fk("health_policies"),
        sa.PrimaryKeyConstraint("deployment_id", name="pk_health_policies"),
    )
    op.create_table(
        "deployment_health",
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("state", _ENUM, nullable=False),
        sa.Column("reason", _ENUM, nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bookkeeping", _json(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        _deployment_fk("deployment_health"),
        sa.PrimaryKeyConstraint("deployment_id", name="pk_deployment_health"),
    )


def downgrade() -> None:
    op.drop_table("deployment_health")
    op.drop_table("health_policies")
