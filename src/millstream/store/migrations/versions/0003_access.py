"""Access: users, access keys (encrypted secrets), namespace members, the audit log and
the used signature nonces that make replay protection work across replicas.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)
_KEY_ID = sa.String(32)
_ENUM = sa.String(16)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )

    op.create_table(
        "access_keys",
        sa.Column("id", _KEY_ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("status", _ENUM, nullable=False),
        _timestamp("created_at"),
        _timestamp("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_keys"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_access_keys_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_access_keys_user_id", "access_keys", ["user_id"])

    op.create_table(
        "members",
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("role", _ENUM, nullable=False),
        _timestamp("created_at"),
        _timestamp("modified_at"),
        sa.PrimaryKeyConstraint("workspace", "namespace", "user_id", name="pk_members"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_members_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_members_user_id", "members", ["user_id"])

    op.create_table(
        "audit_entries",
        sa.Column("id", _ID, nullable=False),
        _timestamp("at"),
        sa.Column("actor_id", _ID, nullable=False),
        sa.Column("actor_name", _NAME, nullable=False),
        sa.Column("action", sa.String(512), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        sa.Column("request_id", _ID, nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("workspace", _NAME, nullable=True),
        sa.Column("namespace", _NAME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
    )
    op.create_index(
        "ix_audit_entries_workspace_namespace_at",
        "audit_entries",
        ["workspace", "namespace", "at"],
    )

    op.create_table(
        "used_nonces",
        sa.Column("key_id", _KEY_ID, nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        _timestamp("seen_at"),
        sa.PrimaryKeyConstraint("key_id", "nonce", name="pk_used_nonces"),
    )
    op.create_index("ix_used_nonces_seen_at", "used_nonces", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_used_nonces_seen_at", table_name="used_nonces")
    op.drop_table("used_nonces")
    op.drop_index("ix_audit_entries_workspace_namespace_at", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_index("ix_members_user_id", table_name="members")
    op.drop_table("members")
    op.drop_index("ix_access_keys_user_id", table_name="access_keys")
    op.drop_table("access_keys")
    op.drop_table("users")
