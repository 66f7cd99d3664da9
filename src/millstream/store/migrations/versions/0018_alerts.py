"""Alerts: rules (a condition on a namespace's jobs, an optional deployment selector and
a webhook channel), per-fingerprint alert state (firing since, last sent, resolved) so a
control-plane restart neither re-sends nor forgets, and a bounded delivery outbox.
Deleting a rule deletes its alert states and pending deliveries.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_NAME = sa.String(128)
_ENUM = sa.String(32)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("kind", _ENUM, nullable=False),
        sa.Column("condition", _json(), nullable=False),
        sa.Column("selector", _json(), nullable=False),
        sa.Column("channel", _json(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("creator", _NAME, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_rules"),
        sa.UniqueConstraint(
            "workspace", "namespace", "name", name="uq_alert_rules_workspace_namespace_name"
        ),
    )
    op.create_table(
        "alert_states",
        sa.Column("fingerprint", _ID, nullable=False),
        sa.Column("rule_id", _ID, nullable=False),
        sa.Column("workspace", _NAME, nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("deployment_id", _ID, nullable=False),
        sa.Column("deployment_name", _NAME, nullable=False),
        sa.Column("status", _ENUM, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("firing_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["alert_rules.id"],
            name="fk_alert_states_rule_id_alert_rules",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_alert_states"),
    )
    op.create_index("ix_alert_states_rule_id", "alert_states", ["rule_id"])
    op.create_index(
        "ix_alert_states_workspace_namespace_status",
        "alert_states",
        ["workspace", "namespace", "status"],
    )
    op.create_table(
        "alert_outbox",
        sa.Column("id", _ID, nullable=False),
        sa.Column("rule_id", _ID, nullable=False),
        sa.Column("fingerprint", _ID, nullable=False),
        sa.Column("event", _ENUM, nullable=False),
        sa.Column("message", _json(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["alert_rules.id"],
            name="fk_alert_outbox_rule_id_alert_rules",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_outbox"),
    )
    op.create_index("ix_alert_outbox_next_attempt_at", "alert_outbox", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_outbox_next_attempt_at", table_name="alert_outbox")
    op.drop_table("alert_outbox")
    op.drop_index("ix_alert_states_workspace_namespace_status", table_name="alert_states")
    op.drop_index("ix_alert_states_rule_id", table_name="alert_states")
    op.drop_table("alert_states")
    op.drop_table("alert_rules")
