"""Scheduled plans (time-of-day resource changes of a deployment), the record of each
change applied, the tickets of resource-plan generation, and the lineage computed once
per deployment spec. Deleting a deployment deletes its plans and cached lineage; the
executed history and tickets keep the deployment id only (they outlive nothing useful,
but are bounded by the services).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)
_ENUM = sa.String(32)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _at(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "scheduled_plans",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("changes", _json(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        _at("applied_at", nullable=True),
        _at("handled_until", nullable=True),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        _at("created_at"),
        _at("modified_at"),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name="fk_scheduled_plans_deployment_id_deployments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_plans"),
        sa.UniqueConstraint(
            "workspace", "namespace", "name", name="uq_scheduled_plans_workspace_namespace_name"
        ),
    )
    op.create_index("ix_scheduled_plans_deployment_id", "scheduled_plans", ["deployment_id"])
    op.create_table(
        "scheduled_plan_executions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("plan_id", _ID, nullable=False),
        sa.Column("plan_name", _NAME, nullable=False),
        sa.Column("job_id", _ID, nullable=True),
        sa.Column("hot_update_id", _ID, nullable=True),
        sa.Column("restart_type", _ENUM, nullable=False),
        sa.Column("state", _ENUM, nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        _at("boundary_at"),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_plan_executions"),
    )
    op.create_index(
        "ix_scheduled_plan_executions_deployment_id_created_at",
        "scheduled_plan_executions",
        ["deployment_id", "created_at"],
    )
    op.create_table(
        "resource_plan_tickets",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("status", _ENUM, nullable=False),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        _at("created_at"),
        _at("modified_at"),
        sa.PrimaryKeyConstraint("id", name="pk_resource_plan_tickets"),
    )
    op.create_index("ix_resource_plan_tickets_created_at", "resource_plan_tickets", ["created_at"])
    op.create_table(
        "deployment_lineages",
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("spec_digest", sa.String(64), nullable=False),
        sa.Column("lineage", _json(), nullable=False),
        _at("computed_at"),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name="fk_deployment_lineages_deployment_id_deployments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deployment_id", name="pk_deployment_lineages"),
    )


def downgrade() -> None:
    op.drop_table("deployment_lineages")
    op.drop_index("ix_resource_plan_tickets_created_at", "resource_plan_tickets")
    op.drop_table("resource_plan_tickets")
    op.drop_index(
        "ix_scheduled_plan_executions_deployment_id_created_at", "scheduled_plan_executions"
    )
    op.drop_table("scheduled_plan_executions")
    op.drop_index("ix_scheduled_plans_deployment_id", "scheduled_plans")
    op.drop_table("scheduled_plans")
