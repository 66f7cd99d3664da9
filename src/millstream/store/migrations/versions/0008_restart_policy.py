"""Per-deployment restart policy; a job's restart history and its checkpoint paths as columns.

Deployments gain ``restart_policy`` (``{"enabled", "max_restarts_per_hour"}``; NULL: off),
which each job copies at start; jobs gain it, ``restart_history``
(``{"restarted_at": [ISO timestamps]}``) and the two checkpoint paths the reconciler
used to keep in the free ``extra`` document (``latest_checkpoint``,
``retained_checkpoint``): they are moved out of ``extra`` here. Suspended jobs need no
schema change: ``SUSPENDED`` is one more value of ``jobs.status`` and ``jobs.desired``,
and the live-job guard (0002) already counts every non-terminal status.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECKPOINT_KEYS = ("latest_checkpoint", "retained_checkpoint")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _jobs() -> sa.TableClause:
    return sa.table(
        "jobs",
        sa.column("id", sa.String(64)),
        sa.column("extra", _json()),
        sa.column("latest_checkpoint", sa.Text()),
        sa.column("retained_checkpoint", sa.Text()),
    )


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("restart_policy", _json(), nullable=True))
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("restart_policy", _json(), nullable=True))
        batch.add_column(sa.Column("restart_history", _json(), nullable=True))
        batch.add_column(sa.Column("latest_checkpoint", sa.Text(), nullable=True))
        batch.add_column(sa.Column("retained_checkpoint", sa.Text(), nullable=True))
    _move_checkpoints_out_of_extra()


def _move_checkpoints_out_of_extra() -> None:
    bind = op.get_bind()
    jobs = _jobs()
    for job_id, extra in bind.execute(sa.select(jobs.c.id, jobs.c.extra)).all():
        if not isinstance(extra, dict) or not any(key in extra for key in _CHECKPOINT_KEYS):
            continue
        rest = {key: value for key, value in extra.items() if key not in _CHECKPOINT_KEYS}
        bind.execute(
            jobs.update()
            .where(jobs.c.id == job_id)
            .values(
                extra=rest,
                latest_checkpoint=_text(extra.get("latest_checkpoint")),
                retained_checkpoint=_text(extra.get("retained_checkpoint")),
            )
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def downgrade() -> None:
    bind = op.get_bind()
    jobs = _jobs()
    rows = bind.execute(
        sa.select(jobs.c.id, jobs.c.extra, jobs.c.latest_checkpoint, jobs.c.retained_checkpoint)
    ).all()
    for job_id, extra, latest, retained in rows:
        if latest is None and retained is None:
            continue
        moved = {"latest_checkpoint": latest, "retained_checkpoint": retained}
        merged = dict(extra or {}) | {key: value for key, value in moved.items() if value}
        bind.execute(jobs.update().where(jobs.c.id == job_id).values(extra=merged))
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("retained_checkpoint")
        batch.drop_column("latest_checkpoint")
        batch.drop_column("restart_history")
        batch.drop_column("restart_policy")
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("restart_policy")
