"""Render stored rows so that one bad row can never break a whole answer.

Rows written before the edge validated free-form JSON (``api.json_shape``) may hold values
no wire model accepts or no serialiser can write (a ``flinkConf`` nested 500 levels deep).
Dialect routes render lists and single resources through ``render_rows``/``render_one``:
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

__all__ = ["render_one", "render_rows", "sanitized"]

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


def _rendered(row: T, render: Callable[[T], M]) -> M:
    model = render(row)
    model.model_dump(mode="json", by_alias=True)  # fails here, not in the response
    return model


def render_one(row: T, render: Callable[[T], M]) -> M:
    """``render(row)``, or ``render`` of the sanitised row when the row itself fails."""
    try:
        return _rendered(row, render)
    except (ValueError, TypeError, RecursionError) as exc:
        clean, fields = sanitized(row)
        _log.warning(
            "stored row %s cannot be rendered (%s); answering it without %s",
            getattr(row, "id", "?"),
            type(exc).__name__,
            ", ".join(fields) or "changes",
        )
        return _rendered(clean, render)


def render_rows(rows: Iterable[T], render: Callable[[T], M]) -> list[M]:
    """Each row rendered with ``render_one``; rows that cannot be rendered at all are
    left out (and logged) instead of failing the list."""
    rendered: list[M] = []
    for row in rows:
        try:
            rendered.append(render_one(row, render))
        except (ValueError, TypeError, RecursionError):
            _log.exception("stored row %s left out of a list answer", getattr(row, "id", "?"))
    return rendered
