"""Workspaces and the namespaces inside them (DESIGN.md §2: workspace header, namespace path)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from millstream.domain.errors import InvalidInput

__all__ = ["Namespace", "validate_name"]

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def validate_name(value: str, what: str) -> str:
    """Names are DNS-label-like: lower-case letters, digits and '-', 1..63 characters."""
    if not _NAME.fullmatch(value):  # fullmatch: "$" alone would accept a trailing "\n"
        raise InvalidInput(
            f"invalid {what} {value!r}: use 1-63 lower-case letters, digits or '-', "
            "starting and ending with a letter or digit"
        )
    return value


@dataclass(slots=True)
class Namespace:
    id: str
    workspace: str
    name: str
    created_at: datetime
