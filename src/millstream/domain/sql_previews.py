"""Interactive query results: the state of a SQL preview (or SQL execution) and the rows
it has produced so far. Pure data; ``control.services.sql_previews`` keeps them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["QueryProgress", "QueryState", "ResultColumn", "ResultRow"]


class QueryState(enum.StrEnum):
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"  # the query ended, or a row or time budget stopped it
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def ended(self) -> bool:
        return self is not QueryState.RUNNING


@dataclass(frozen=True, slots=True)
class ResultColumn:
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class ResultRow:
    kind: str  # Flink's row kind: +I, -U, +U, -D
    values: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class QueryProgress:
    state: QueryState
    columns: tuple[ResultColumn, ...] = ()
    rows: tuple[ResultRow, ...] = ()
    message: str | None = None
