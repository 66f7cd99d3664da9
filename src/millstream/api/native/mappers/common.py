"""Helpers every native mapper shares: enum parsing with a message listing the valid
values, and epoch-second times (int, or text where the SDK types them as strings)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TypeVar

from millstream.domain.errors import InvalidInput

__all__ = ["parse_enum", "seconds", "seconds_text"]


_E = TypeVar("_E", bound=enum.Enum)


def parse_enum(kind: type[_E], value: str, where: str) -> _E:
    try:
        return kind(value.upper())
    except ValueError:
        valid = ", ".join(str(member.value) for member in kind)
        raise InvalidInput(f"unknown {where} {value!r}; use one of {valid}") from None


def seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def seconds_text(moment: datetime | None) -> str | None:
    value = seconds(moment)
    return None if value is None else str(value)
