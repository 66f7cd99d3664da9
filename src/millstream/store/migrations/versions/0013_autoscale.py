"""Autoscaling: each deployment's autoscaling settings and every plan the autoscaler made.

``autoscale_configs`` has one row per deployment that ever had settings (foas sets them
per instance with UpdateAutoScaleConfig; they are kept per deployment so the next
instance keeps them). ``autoscale_plans`` has one row per planning round of a running
job, with its inputs (the vertices' loads) and outcome; the autoscaler keeps the newest
of each deployment. Deleting the deployment deletes both.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "autoscale_configs",
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("min_parallelism", sa.Integer(), nullable=False),
        sa.Column("max_parallelism", sa.Integer(), nullable=False),
        sa.Column("target_utilization", sa.Float(), nullable=False),
        sa.Column("utilization_boundary", sa.Float(), nullable=False),
        sa.Column("cool_down_seconds", sa.Float(), nullable=False),
        sa.Column("recommend_only", sa.Boolean(), nullable=False),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name="fk_autoscale_configs_deployment_id_deployments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deployment_id", name="pk_autoscale_configs"),
    )
    op.create_index("ix_autoscale_configs_enabled", "autoscale_configs", ["enabled"])
    op.create_table(
        "autoscale_plans",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("job_id", _ID, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("current_parallelism", sa.Integer(), nullable=False),
        sa.Column("proposed_parallelism", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("utilization", sa.Float(), nullable=True),
        sa.Column("bottleneck", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("hot_update_id", _ID, nullable=True),
        sa.Column("inputs", _json(), nullable=False),
        sa.Column("config", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name="fk_autoscale_plans_deployment_id_deployments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_autoscale_plans"),
    )
    op.create_index(
        "ix_autoscale_plans_deployment_id_created_at",
        "autoscale_plans",
        ["deployment_id", "created_at"],
    )
    op.create_index("ix_autoscale_plans_job_id", "autoscale_plans", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_autoscale_plans_job_id", table_name="autoscale_plans")
    op.drop_index("ix_autoscale_plans_deployment_id_created_at", table_name="autoscale_plans")
    op.drop_table("autoscale_plans")
    op.drop_index("ix_autoscale_configs_enabled", table_name="autoscale_configs")
    op.drop_table("autoscale_configs")
