"""Patrol: one inspection setting per namespace (schedule, scope, thresholds) and the
reports of its runs with their findings. Reports are bounded by the service (the newest
ones of each namespace are kept).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)
_ENUM = sa.String(32)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "patrol_configs",
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("cron", sa.String(128), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("scope", _json(), nullable=False),
        sa.Column("thresholds", _json(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "namespace", name="pk_patrol_configs"),
    )
    op.create_table(
        "patrol_reports",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("trigger", _ENUM, nullable=False),
        sa.Column("status", _ENUM, nullable=False),
        sa.Column("scope", _json(), nullable=False),
        sa.Column("total_jobs", sa.Integer(), nullable=False),
        sa.Column("inspected_jobs", sa.Integer(), nullable=False),
        sa.Column("findings", _json(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patrol_reports"),
    )
    op.create_index(
        "ix_patrol_reports_workspace_namespace_started_at",
        "patrol_reports",
        ["workspace", "namespace", "started_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_patrol_reports_workspace_namespace_started_at", "patrol_reports")
    op.drop_table("patrol_reports")
    op.drop_table("patrol_configs")
