"""Namespace profiles: what a namespace says about itself beyond its name.

``namespaces`` gains ``description`` (free text), ``attributes`` (a JSON object of
string settings, e.g. the foas project's ``GlobalJobConfig``), ``creator``, ``modifier``
and ``modified_at``. All nullable: namespaces created before this revision (and by
``ensure_defaults``) have none of them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:50:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = sa.String(128)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("namespaces") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch.add_column(sa.Column("attributes", _json(), nullable=True))
        batch.add_column(sa.Column("creator", _NAME, nullable=True))
        batch.add_column(sa.Column("modifier", _NAME, nullable=True))
        batch.add_column(sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("namespaces") as batch:
        for column in ("modified_at", "modifier", "creator", "attributes", "description"):
            batch.drop_column(column)
