"""SQL catalogs: Millstream's persistent catalog of a namespace (``vvp``, issue 17), one
row per namespace holding its databases, tables, views and functions as Flink described
them after ExecuteSqlStatement. ``revision`` guards concurrent DDL (compare-and-set).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = sa.String(128)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sql_catalogs",
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("objects", _json(), nullable=False),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "namespace", name="pk_sql_catalogs"),
    )


def downgrade() -> None:
    op.drop_table("sql_catalogs")
