"""Managed clusters: desired state, status, spec and observed state, optimistic version.

Session clusters and per-job dedicated clusters keep what the user asked for (``spec``:
resources, engine version, labels, logging, quota...) apart from what the reconciler
observed (``state``: failure, start time, generation), so the two writers never clobber
each other's fields; ``version`` rejects a write based on a stale read.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ENUM = sa.String(32)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.add_column(sa.Column("desired", _ENUM, nullable=True))
        batch.add_column(sa.Column("status", _ENUM, nullable=True))
        batch.add_column(sa.Column("spec", _json(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("state", _json(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.drop_column("version")
        batch.drop_column("state")
        batch.drop_column("spec")
        batch.drop_column("status")
        batch.drop_column("desired")
