"""Render stored rows so that one bad row can never break a whole answer.

Rows written before the edge validated free-form JSON (``api.json_shape``) may hold values
no wire model accepts or no serialiser can write (a ``flinkConf`` nested 500 levels deep).
Dialect routes render lists and single resources through ``dumped_rows``/``dumped_one``
(the wire dicts, in JSON mode by alias):
a row that fails is rendered again with each free-form field that breaks the limits
replaced by an empty value, and logged; a row that still fails is left out of the list
(and logged), so everyone else's resources stay visible.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from millstream.api.json_shape import fits

__all__ = ["dumped_one", "dumped_rows", "sanitized"]

_log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def sanitized(row: T) -> tuple[T, list[str]]:
    """``row`` (a dataclass) with every dict/list field outside the JSON limits emptied,
    and the names of the fields that were."""
    if not dataclasses.is_dataclass(row) or isinstance(row, type):
        return row, []
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(row):
        value = getattr(row, field.name)
        if isinstance(value, Mapping | list | tuple) and not fits(value):
            changes[field.name] = type(value)() if isinstance(value, dict | list | tuple) else {}
    if not changes:
        return row, []
    return dataclasses.replace(row, **changes), sorted(changes)


def _dumped(row: T, render: Callable[[T], M]) -> dict[str, Any]:
    # The wire dict itself: a row that cannot be serialised fails here, not in the response.
    return render(row).model_dump(mode="json", by_alias=True)


def dumped_one(row: T, render: Callable[[T], M]) -> dict[str, Any]:
    """``render(row)`` as its JSON wire dict (``mode="json"``, by alias), or that of the
    sanitised row when the row itself fails."""
    try:
        return _dumped(row, render)
    except (ValueError, TypeError, RecursionError) as exc:
        clean, fields = sanitized(row)
        _log.warning(
            "stored row %s cannot be rendered (%s); answering it without %s",
            getattr(row, "id", "?"),
            type(exc).__name__,
            ", ".join(fields) or "changes",
        )
        return _dumped(clean, render)


def dumped_rows(rows: Iterable[T], render: Callable[[T], M]) -> list[dict[str, Any]]:
    """Each row as ``dumped_one`` renders it; rows that cannot be rendered at all are
    left out (and logged) instead of failing the list."""
    dumped: list[dict[str, Any]] = []
    for row in rows:
        try:
            dumped.append(dumped_one(row, render))
        except (ValueError, TypeError, RecursionError):
            _log.exception("stored row %s left out of a list answer", getattr(row, "id", "?"))
    return dumped
