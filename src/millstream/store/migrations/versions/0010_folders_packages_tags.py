"""The catalog: folders, registered packages and resource tags.

``folders`` holds each namespace's folder paths with an integer id (``/`` is implicit,
id 0); ``packages`` the registered packages of a namespace (kind, location, MD5,
description, tag, the caller's own location attributes); ``resource_tags`` the key/value
tags of resources by type and id.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = sa.String(128)
_PATH = sa.String(2100)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "folders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("path", _PATH, nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("modified_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_folders"),
        sa.UniqueConstraint(
            "workspace", "namespace", "path", name="uq_folders_workspace_namespace_path"
        ),
    )
    op.create_table(
        "packages",
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("origin_name", sa.String(512), nullable=False),
        sa.Column("attributes", _json(), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("modified_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "namespace", "name", name="pk_packages"),
    )
    op.create_table(
        "resource_tags",
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", _NAME, nullable=False),
        sa.Column("key", _NAME, nullable=False),
        sa.Column("value", _NAME, nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace", "resource_type", "resource_id", "key", name="pk_resource_tags"
        ),
    )


def downgrade() -> None:
    op.drop_table("resource_tags")
    op.drop_table("packages")
    op.drop_table("folders")
