"""SQL files: named SQL scripts in a namespace's folders (issue 17). A folder's SQL file
names are unique (``folder_id`` 0 is the root folder, which has no ``folders`` row).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 22:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "sql_files",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("folder_id", sa.BigInteger(), nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("session_cluster", _NAME, nullable=True),
        sa.Column("batch", sa.Boolean(), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sql_files"),
        sa.UniqueConstraint(
            "workspace",
            "namespace",
            "folder_id",
            "name",
            name="uq_sql_files_workspace_namespace_folder_id_name",
        ),
    )


def downgrade() -> None:
    op.drop_table("sql_files")
