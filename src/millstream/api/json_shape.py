"""Depth and size limits for the free-form JSON fields of every dialect's wire models.

Fields such as a deployment's ``flinkConf``, ``labels`` or a resource plan accept any JSON
the caller sends. Without limits, one stored value nested 500 levels deep made every later
list of its namespace fail (the serialisers give up on deep values). Each dialect's schema
modules annotate such fields with the types here (``JsonObject``, ``JsonList``,
``StringList``), so a request that breaks a limit is a 400 in the dialect's envelope that
names the field, before anything reaches a service.

The limits (``DEFAULT_LIMITS``), per field value:

- nesting depth at most 32 (a flat ``{"k": "v"}`` is depth 1);
- at most 10,000 values in total (keys, strings, numbers, objects, lists);
- keys at most 1,024 characters, strings at most 65,536 characters;
- at most 1 MiB of key and string characters in total;
- no NUL character in any key or string.

``JsonText`` applies them to a JSON document sent as a string (an EXPERT resource
plan). ``check_json_shape`` is the rule (iterative, so it never overflows the stack itself);
``fits`` asks the same question without raising, for code that renders values already
stored (``api.safe_rows``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_LIST_ITEMS",
    "JsonLimits",
    "JsonList",
    "JsonObject",
    "JsonText",
    "StringList",
    "check_json_shape",
    "fits",
]

MAX_LIST_ITEMS = 1_000  # items of a typed list field (dependencies, local variables, loggers)


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_depth: int = 32
    max_values: int = 10_000
    max_key_chars: int = 1_024
    max_string_chars: int = 65_536
    max_total_chars: int = 1024 * 1024


DEFAULT_LIMITS = JsonLimits()
# PostgreSQL can store NUL neither in text nor in JSON: refuse it here, not with a 500 there.
_NUL = "contains a NUL character"


def check_json_shape(value: Any, limits: JsonLimits = DEFAULT_LIMITS) -> None:
    """Raise ``ValueError`` saying which limit ``value`` breaks (pydantic turns it into a
    validation error naming the field)."""
    count = 0
    chars = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limits.max_values:
            raise ValueError(f"holds more than {limits.max_values} values")
        if isinstance(item, Mapping):
            if depth > limits.max_depth:
                raise ValueError(f"is nested deeper than {limits.max_depth} levels")
            for key, child in item.items():
                text = str(key)
                if len(text) > limits.max_key_chars:
                    raise ValueError(f"has a key longer than {limits.max_key_chars} characters")
                if "\x00" in text:
                    raise ValueError(_NUL)
                chars += len(text)
                stack.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            if depth > limits.max_depth:
                raise ValueError(f"is nested deeper than {limits.max_depth} levels")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if len(item) > limits.max_string_chars:
                raise ValueError(f"has a string longer than {limits.max_string_chars} characters")
            if "\x00" in item:
                raise ValueError(_NUL)
            chars += len(item)
        if chars > limits.max_total_chars:
            raise ValueError(f"is larger than {limits.max_total_chars} characters in total")


def fits(value: Any, limits: JsonLimits = DEFAULT_LIMITS) -> bool:
    """Whether ``value`` is within ``limits``."""
    try:
        check_json_shape(value, limits)
    except ValueError:
        return False
    return True


def _bounded(value: Any) -> Any:
    check_json_shape(value)
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded)]
"""A free-form JSON object within ``DEFAULT_LIMITS``."""

JsonList = Annotated[list[Any], AfterValidator(_bounded)]
"""A free-form JSON list within ``DEFAULT_LIMITS``."""

StringList = Annotated[list[str], AfterValidator(_bounded)]
"""A list of strings (URIs, names) within ``DEFAULT_LIMITS`` (at most 10,000 of them)."""


def _bounded_text(value: str) -> str:
    # A JSON document inside a string (a resource plan): the same limits apply to what
    # it parses to. Text that is not JSON is left for the domain to reject with its reason.
    if len(value) > DEFAULT_LIMITS.max_total_chars:
        raise ValueError(f"is longer than {DEFAULT_LIMITS.max_total_chars} characters")
    try:
        parsed = json.loads(value)
    except RecursionError:
        raise ValueError(f"is nested deeper than {DEFAULT_LIMITS.max_depth} levels") from None
    except ValueError:
        return value
    check_json_shape(parsed)
    return value


JsonText = Annotated[str, AfterValidator(_bounded_text)]
"""A string holding a JSON document (a resource plan) whose content is within the limits."""
