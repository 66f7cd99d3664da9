"""Namespace variables: named values referenced as ``${name}`` in SQL scripts, main args
and Flink configuration (the SDK's ``Variable {name, value, description, kind}``).

A ``Plain`` variable keeps its value readable; an ``Encrypted`` one is kept only as
ciphertext (``control.services.variables.VariableService`` encrypts it) and is shown
masked everywhere (``MASK``). Job ``localVariables`` override the deployment's, which
override namespace variables (``control.variables.merge_variables``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from millstream.domain.errors import ErrorCode, InvalidInput

__all__ = [
    "MASK",
    "MAX_VALUE_LENGTH",
    "Variable",
    "VariableKind",
    "check_value",
    "validate_variable_name",
]

MASK = "******"
MAX_VALUE_LENGTH = 64 * 1024
_MAX_NAME = 128
_MAX_DESCRIPTION = 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


class VariableKind(enum.StrEnum):
    PLAIN = "Plain"
    ENCRYPTED = "Encrypted"

    @classmethod
    def parse(cls, value: str | None) -> VariableKind:
        """``None`` is Plain; matching ignores case (``plain``, ``ENCRYPTED``)."""
        if value is None or value == "":
            return cls.PLAIN
        for kind in cls:
            if kind.value.lower() == value.lower():
                return kind
        raise InvalidInput(
            f"unknown variable kind {value!r}; use Plain or Encrypted",
            code=ErrorCode.INVALID_VARIABLE_KIND,
        )


def validate_variable_name(name: str) -> str:
    """The name as ``${name}`` can reference it: ``[A-Za-z_][A-Za-z0-9_.-]*``."""
    if not name or len(name) > _MAX_NAME or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"invalid variable name {name!r}: start with a letter or '_', then letters, "
            f"digits, '_', '.' or '-' (at most {_MAX_NAME} characters)",
            code=ErrorCode.INVALID_VARIABLE_NAME,
        )
    return name


@dataclass(slots=True)
class Variable:
    """One namespace variable. Exactly one of ``value`` (Plain) and ``ciphertext``
    (Encrypted) is set; the clear value of an Encrypted variable never lives here."""

    workspace: str
    namespace: str
    name: str
    kind: VariableKind
    value: str | None = None
    ciphertext: bytes | None = None
    description: str | None = None
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    @property
    def shown_value(self) -> str:
        """What any reader may see: the value of a Plain variable, ``MASK`` otherwise."""
        if self.kind is VariableKind.ENCRYPTED:
            return MASK
        return self.value or ""

    def validate(self) -> None:
        validate_variable_name(self.name)
        if self.description is not None and len(self.description) > _MAX_DESCRIPTION:
            raise InvalidInput(f"variable description is longer than {_MAX_DESCRIPTION} characters")
        if (self.kind is VariableKind.PLAIN) != (self.value is not None) or (
            self.kind is VariableKind.ENCRYPTED
        ) != (self.ciphertext is not None):
            raise InvalidInput(f"variable {self.name!r} must carry exactly one value")


def check_value(name: str, value: str | None) -> str:
    """A value a variable can hold (required, at most ``MAX_VALUE_LENGTH`` characters)."""
    if value is None:
        raise InvalidInput(
            f"variable {name!r} needs a value", code=ErrorCode.INVALID_VARIABLE_VALUE
        )
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidInput(
            f"the value of variable {name!r} is longer than {MAX_VALUE_LENGTH} characters",
            code=ErrorCode.INVALID_VARIABLE_VALUE,
        )
    return value
