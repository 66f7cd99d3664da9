"""Access generation: one row whose value changes whenever access changes.

``access_generation`` holds one row (``id`` 1) with a random 64-bit ``generation``.
Triggers replace it, in the same transaction, on every insert, update or delete of
``users`` and ``members`` and on every insert or delete of ``access_keys`` and every
update of a key's status, owner or secret (not of ``last_used_at``, which every request
refreshes now and then). ``AccessService`` caches keys and roles per process and reads
this one value per request: a revoked key or a removed member stops working at once in
every replica, whichever code path or process made the change.

A random value rather than a counter: a row deleted and created again (a test emptying
the tables) can never come back to a value a cache already holds.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (trigger suffix, table, event, row condition on SQLite / PostgreSQL)
_KEY_CHANGED = (
    "OLD.status IS NOT NEW.status OR OLD.user_id IS NOT NEW.user_id "
    "OR OLD.secret_ciphertext IS NOT NEW.secret_ciphertext"
)
_TRIGGERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("users_insert", "users", "INSERT", None),
    ("users_update", "users", "UPDATE", None),
    ("users_delete", "users", "DELETE", None),
    ("members_insert", "members", "INSERT", None),
    ("members_update", "members", "UPDATE", None),
    ("members_delete", "members", "DELETE", None),
    ("keys_insert", "access_keys", "INSERT", None),
    ("keys_update", "access_keys", "UPDATE", _KEY_CHANGED),
    ("keys_delete", "access_keys", "DELETE", None),
)
_FUNCTION = "access_generation_change"


def upgrade() -> None:
    op.create_table(
        "access_generation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO access_generation (id, generation) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO access_generation (id, generation) "
            "VALUES (1, (random() * 9.0e18)::bigint) "
            "ON CONFLICT (id) DO UPDATE SET generation = EXCLUDED.generation; "
            "RETURN NULL; END $$"
        )
        for suffix, table, event, condition in _TRIGGERS:
            when = f"WHEN ({condition.replace('IS NOT', 'IS DISTINCT FROM')}) " if condition else ""
            op.execute(
                f"CREATE TRIGGER access_generation_{suffix} AFTER {event} ON {table} "
                f"FOR EACH ROW {when}EXECUTE FUNCTION {_FUNCTION}()"
            )
        return
    for suffix, table, event, condition in _TRIGGERS:
        when = f"WHEN {condition} " if condition else ""
        op.execute(
            f"CREATE TRIGGER access_generation_{suffix} AFTER {event} ON {table} "
            f"FOR EACH ROW {when}BEGIN "
            "INSERT OR REPLACE INTO access_generation (id, generation) VALUES (1, random()); "
            "END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for suffix, table, _event, _condition in _TRIGGERS:
        on = f" ON {table}" if postgres else ""
        op.execute(f"DROP TRIGGER IF EXISTS access_generation_{suffix}{on}")
    if postgres:
        op.execute(f"DROP FUNCTION IF EXISTS {_FUNCTION}()")
    op.drop_table("access_generation")
