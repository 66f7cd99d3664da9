"""Where SQLAlchemy errors become Millstream errors.

``translate_errors()`` wraps every unit of work (``SqlStore.transaction``) and every
leader-lock call: a lost or refused connection, a lock timeout or an exhausted pool
becomes ``StoreUnavailable`` (callers retry). ``integrity_violation()`` tells the
repositories which constraint an ``IntegrityError`` broke, so they can raise ``Conflict``
or ``NotFound`` with a message naming the entity.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from sqlalchemy import exc

from millstream.domain.errors import StoreUnavailable

__all__ = ["integrity_violation", "translate_errors", "violated_constraint"]

_UNIQUE_SQLSTATE = "23505"
_FOREIGN_KEY_SQLSTATE = "23503"


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise connection-level database failures as ``StoreUnavailable``."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError) as error:
        raise StoreUnavailable(
            f"the database is unavailable ({_describe(error)}); retry shortly"
        ) from error
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        raise StoreUnavailable(
            f"the database connection was lost ({_describe(error)}); retry shortly"
        ) from error
    except (exc.TimeoutError, exc.DisconnectionError) as error:
        raise StoreUnavailable(
            f"no database connection available ({error}); retry shortly"
        ) from error


def integrity_violation(error: exc.IntegrityError) -> Literal["unique", "foreign_key", "other"]:
    """Which kind of constraint the statement violated, on SQLite and PostgreSQL."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    message = str(error.orig)
    if sqlstate == _UNIQUE_SQLSTATE or "UNIQUE constraint failed" in message:
        return "unique"
    if sqlstate == _FOREIGN_KEY_SQLSTATE or "FOREIGN KEY constraint failed" in message:
        return "foreign_key"
    return "other"


def violated_constraint(error: exc.IntegrityError) -> str | None:
    """The constraint's name on PostgreSQL; for a unique one on SQLite, the
    ``table.column, ...`` list it reports (SQLite does not name constraints)."""
    diag = getattr(error.orig, "diag", None)
    name: str | None = getattr(diag, "constraint_name", None)
    if name is not None:
        return name
    message = str(error.orig)
    if message.startswith("UNIQUE constraint failed:"):
        return message.split(":", 1)[1].strip()
    return None


def _describe(error: exc.DBAPIError) -> str:
    first_line = str(error.orig).strip().splitlines()
    return first_line[0] if first_line else type(error.orig).__name__
