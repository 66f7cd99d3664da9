"""Job runtimes: which Flink runtime (its real version, e.g. 1.20.5) runs a job's current
attempt; the deployment's engine version selects it (``control/engine_versions.py``).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 01:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("runtime", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("runtime")
