"""Per-dialect secondary keys of deployments and jobs; start idempotency tokens.

``external_keys`` holds each entity's number or name in a dialect's key space;
``external_key_counters`` the last number allocated per (space, scope), so a number is
never reused after its entity is deleted; ``start_tokens`` the client token of a start
and the job it created.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)
_SPACE = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "external_keys",
        sa.Column("space", _SPACE, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("scope", _NAME, nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=True),
        sa.Column("name", _NAME, nullable=True),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("job_id", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("space", "entity_id", name="pk_external_keys"),
        sa.UniqueConstraint("space", "scope", "number", name="uq_external_keys_space_scope_number"),
        sa.UniqueConstraint("space", "scope", "name", name="uq_external_keys_space_scope_name"),
        sa.CheckConstraint("(number IS NULL) <> (name IS NULL)", name="ck_external_keys_one_value"),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name="fk_external_keys_deployment_id_deployments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_external_keys_job_id_jobs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_external_keys_deployment_id", "external_keys", ["deployment_id"])
    op.create_index("ix_external_keys_job_id", "external_keys", ["job_id"])
    op.create_table(
        "external_key_counters",
        sa.Column("space", _SPACE, nullable=False),
        sa.Column("scope", _NAME, nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("space", "scope", name="pk_external_key_counters"),
    )
    op.create_table(
        "start_tokens",
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("token", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("job_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "namespace", "token", name="pk_start_tokens"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_start_tokens_job_id_jobs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_start_tokens_created_at", "start_tokens", ["created_at"])
    op.create_index("ix_start_tokens_job_id", "start_tokens", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_start_tokens_job_id", table_name="start_tokens")
    op.drop_index("ix_start_tokens_created_at", table_name="start_tokens")
    op.drop_table("start_tokens")
    op.drop_table("external_key_counters")
    op.drop_index("ix_external_keys_job_id", table_name="external_keys")
    op.drop_index("ix_external_keys_deployment_id", table_name="external_keys")
    op.drop_table("external_keys")
