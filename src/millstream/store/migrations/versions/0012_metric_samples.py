"""Metric samples: a bounded history of each running job's Flink metrics.

The metric sampler (``control/metric_history.py``) writes one ``metric_samples`` row per
job and metric every sampling round; a sweep deletes rows older than the retention
period and beyond the per-job cap. Deleting the job deletes its samples.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "metric_samples",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", _ID, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name="fk_metric_samples_job_id_jobs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_metric_samples"),
    )
    op.create_index(
        "ix_metric_samples_job_id_name_sampled_at",
        "metric_samples",
        ["job_id", "name", "sampled_at"],
    )
    op.create_index("ix_metric_samples_sampled_at", "metric_samples", ["sampled_at"])


def downgrade() -> None:
    op.drop_index("ix_metric_samples_sampled_at", table_name="metric_samples")
    op.drop_index("ix_metric_samples_job_id_name_sampled_at", table_name="metric_samples")
    op.drop_table("metric_samples")
