"""JobManager resizes that carry running jobs: one row per operation, moved by the
coordinator (``control.cluster_restarts``) through its phases.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cluster_restarts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("cluster", _NAME, nullable=False),
        sa.Column("jobmanager", _json(), nullable=False),
        sa.Column("jobs", _json(), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.String(64), nullable=True),
        sa.Column("previous_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_id", _NAME, nullable=True),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cluster_restarts"),
    )
    op.create_index("ix_cluster_restarts_phase", "cluster_restarts", ["phase"])
    op.create_index(
        "ix_cluster_restarts_workspace_cluster", "cluster_restarts", ["workspace", "cluster"]
    )


def downgrade() -> None:
    op.drop_index("ix_cluster_restarts_workspace_cluster", table_name="cluster_restarts")
    op.drop_index("ix_cluster_restarts_phase", table_name="cluster_restarts")
    op.drop_table("cluster_restarts")
