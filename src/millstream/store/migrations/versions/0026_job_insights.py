"""Job insights: placeholder revision reserved for the job-insights work (metric samples of
every running job, kept after the job ends). No schema change so far: the existing
``metric_samples`` table holds them.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 01:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """No schema change: job-insight samples reuse ``metric_samples``."""


def downgrade() -> None:
    """Nothing to undo."""
