"""Deployment drafts (issue 17): drafts in a namespace's folders with their edit lock,
the tickets of background validations and deploys (kept until they expire, so any
replica can answer), and the spec a deploy replaced on a deployment (for rollback).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 22:50:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "deployment_drafts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("folder_id", sa.BigInteger(), nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("spec", _json(), nullable=False),
        sa.Column("deployment_id", _ID, nullable=True),
        sa.Column("lock_id", _ID, nullable=True),
        sa.Column("lock_holder_id", _NAME, nullable=True),
        sa.Column("lock_holder_name", _NAME, nullable=True),
        _when("lock_expires_at", nullable=True),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("creator_name", _NAME, nullable=True),
        sa.Column("modifier", _NAME, nullable=True),
        sa.Column("modifier_name", _NAME, nullable=True),
        _when("created_at"),
        _when("modified_at"),
        sa.PrimaryKeyConstraint("id", name="pk_deployment_drafts"),
        sa.UniqueConstraint(
            "workspace",
            "namespace",
            "folder_id",
            "name",
            name="uq_deployment_drafts_workspace_namespace_folder_id_name",
        ),
    )
    op.create_table(
        "draft_tickets",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("draft_id", _ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", _json(), nullable=True),
        _when("created_at"),
        _when("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_draft_tickets"),
    )
    op.create_index("ix_draft_tickets_expires_at", "draft_tickets", ["expires_at"])
    op.create_table(
        "deployment_spec_revisions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("draft_id", _ID, nullable=True),
        sa.Column("spec", _json(), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_deployment_spec_revisions"),
    )
    op.create_index(
        "ix_deployment_spec_revisions_deployment_id",
        "deployment_spec_revisions",
        ["deployment_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_deployment_spec_revisions_deployment_id", table_name="deployment_spec_revisions"
    )
    op.drop_table("deployment_spec_revisions")
    op.drop_index("ix_draft_tickets_expires_at", table_name="draft_tickets")
    op.drop_table("draft_tickets")
    op.drop_table("deployment_drafts")
