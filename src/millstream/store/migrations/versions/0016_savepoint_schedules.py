"""Periodic savepoints: one schedule per deployment (an interval or a cron expression),
its retention (max count, max age), its daily blackout windows and the coordinator's
bookkeeping (``last_triggered_at``, ``pending_savepoint_id``). Deleting the deployment
deletes its schedule.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 22:35:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "savepoint_schedules",
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(128), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("max_count", sa.Integer(), nullable=True),
        sa.Column("max_age_seconds", sa.Integer(), nullable=True),
        sa.Column("blackouts", _json(), nullable=False),
        sa.Column("last_triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_savepoint_id", _ID, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name="fk_savepoint_schedules_deployment_id_deployments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deployment_id", name="pk_savepoint_schedules"),
    )


def downgrade() -> None:
    op.drop_table("savepoint_schedules")
