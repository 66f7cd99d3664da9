"""UDF artifacts, UDF functions and custom connectors (issue 17): jars that extend a
namespace's SQL. Names are unique per namespace; a function names its artifact by name.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 01:20:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "udf_artifacts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("jar_uri", sa.Text(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_udf_artifacts"),
        sa.UniqueConstraint(
            "workspace", "namespace", "name", name="uq_udf_artifacts_workspace_namespace_name"
        ),
    )
    op.create_table(
        "udf_functions",
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("artifact_name", _NAME, nullable=False),
        sa.Column("class_name", sa.String(1024), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "namespace", "name", name="pk_udf_functions"),
    )
    op.create_index(
        "ix_udf_functions_workspace_namespace_artifact_name",
        "udf_functions",
        ["workspace", "namespace", "artifact_name"],
    )
    op.create_table(
        "custom_connectors",
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("factory_class", sa.String(1024), nullable=False),
        sa.Column("jar_uri", sa.Text(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "namespace", "name", name="pk_custom_connectors"),
    )


def downgrade() -> None:
    op.drop_table("custom_connectors")
    op.drop_index("ix_udf_functions_workspace_namespace_artifact_name", "udf_functions")
    op.drop_table("udf_functions")
    op.drop_table("udf_artifacts")
