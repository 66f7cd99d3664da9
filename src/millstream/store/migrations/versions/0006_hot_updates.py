"""Hot updates: one row per HotUpdateJob operation, advanced by the coordinator.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "hot_updates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("job_id", _ID, nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("change", _json(), nullable=False),
        sa.Column("target_parallelism", sa.Integer(), nullable=False),
        sa.Column("target_flink_conf", _json(), nullable=False),
        sa.Column("savepoint_id", _ID, nullable=True),
        sa.Column("new_job_id", _ID, nullable=True),
        sa.Column("failure", _json(), nullable=True),
        sa.Column("request_id", _NAME, nullable=True),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hot_updates"),
    )
    op.create_index("ix_hot_updates_job_id", "hot_updates", ["job_id"])
    op.create_index("ix_hot_updates_phase", "hot_updates", ["phase"])


def downgrade() -> None:
    op.drop_index("ix_hot_updates_phase", table_name="hot_updates")
    op.drop_index("ix_hot_updates_job_id", table_name="hot_updates")
    op.drop_table("hot_updates")
