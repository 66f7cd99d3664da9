"""At most one live (non-terminal) job per deployment, enforced by the database.

Two concurrent StartJobWithParams calls for one deployment can both pass the service's
check; this partial unique index makes the second insert fail (-> JobAlreadyLive).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = "status NOT IN ('CANCELLED', 'FAILED', 'FINISHED')"


def upgrade() -> None:
    op.create_index(
        "uq_jobs_one_live_per_deployment",
        "jobs",
        ["deployment_id"],
        unique=True,
        sqlite_where=sa.text(_LIVE),
        postgresql_where=sa.text(_LIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_one_live_per_deployment", table_name="jobs")
