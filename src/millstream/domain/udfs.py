"""UDF artifacts, UDF functions and custom connectors: jars that extend a namespace's SQL.

A *UDF artifact* is a jar (plus dependency jars) of user-defined function classes, found
by scanning the jar (``control.udf_ports.JarScanner``). A *UDF function* is a name a
namespace's SQL calls, bound to one class of one UDF artifact. A *custom connector* is a
table factory of a connector jar, known by its identifier (``'connector' = '<name>'``),
with its options. Jobs that call a function or use a connector get its jars on their
class path and, for functions, a ``CREATE TEMPORARY FUNCTION`` in front of their script
(``sql_libraries``). Pure data and checks; nothing here does I/O.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from millstream.domain.errors import InvalidInput
from millstream.domain.names import has_control_characters

__all__ = [
    "ConnectorOption",
    "CustomConnector",
    "UdfArtifact",
    "UdfClass",
    "UdfFunction",
    "UdfKind",
    "check_class_name",
    "check_connector_name",
    "check_function_name",
    "check_udf_artifact_name",
    "default_function_name",
]

MAX_NAME = 128
_ARTIFACT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# Functions are SQL identifiers: a backquoted name could hold anything, but a registry
# name is typed in scripts again and again, so it stays a plain identifier.
_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_CLASS_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_CONNECTOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class UdfKind(enum.StrEnum):
    """What a function class extends (Flink's ``org.apache.flink.table.functions``)."""

    SCALAR = "SCALAR"  # ScalarFunction
    TABLE = "TABLE"  # TableFunction
    AGGREGATE = "AGGREGATE"  # AggregateFunction
    TABLE_AGGREGATE = "TABLE_AGGREGATE"  # TableAggregateFunction
    ASYNC_SCALAR = "ASYNC_SCALAR"  # AsyncScalarFunction
    ASYNC_TABLE = "ASYNC_TABLE"  # AsyncTableFunction


@dataclass(frozen=True, slots=True)
class UdfClass:
    """A public, concrete function class found in a UDF artifact's jar."""

    class_name: str
    kind: UdfKind


@dataclass(slots=True)
class UdfArtifact:
    """A jar of function classes in a namespace, named uniquely there."""

    id: str
    workspace: str
    namespace: str
    name: str
    jar_uri: str
    dependency_uris: tuple[str, ...] = ()
    classes: tuple[UdfClass, ...] = ()
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    def find_class(self, class_name: str) -> UdfClass | None:
        return next((c for c in self.classes if c.class_name == class_name), None)

    @property
    def jars(self) -> tuple[str, ...]:
        """The URIs a job calling one of its functions needs on its class path."""
        return (self.jar_uri, *self.dependency_uris)


@dataclass(frozen=True, slots=True)
class UdfFunction:
    """A function name of a namespace, bound to a class of a UDF artifact."""

    workspace: str
    namespace: str
    name: str
    artifact_name: str
    class_name: str
    creator: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConnectorOption:
    """One option of a connector's table factory (``WITH ('key' = ...)``)."""

    key: str
    required: bool
    sensitive: bool = False
    default: str | None = None
    description: str = ""

    @property
    def defines_format(self) -> bool:
        return self.key == "format" or self.key.endswith(".format")


@dataclass(slots=True)
class CustomConnector:
    """A table factory of a connector jar, known by its identifier in the namespace."""

    workspace: str
    namespace: str
    name: str  # the factory identifier, e.g. 'ms-sequence'
    factory_class: str
    jar_uri: str
    dependency_uris: tuple[str, ...] = ()
    source: bool = False
    sink: bool = False
    options: tuple[ConnectorOption, ...] = ()
    formats: tuple[str, ...] = ()
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = field(default=None)

    @property
    def jars(self) -> tuple[str, ...]:
        return (self.jar_uri, *self.dependency_uris)


def check_udf_artifact_name(name: str | None) -> str:
    """``name`` if it can name a UDF artifact: 1-128 of ``A-Z a-z 0-9 . _ -``."""
    if not name or not name.strip():
        raise InvalidInput("a UDF artifact needs a name, e.g. 'string-udfs'")
    if not _ARTIFACT_NAME.fullmatch(name):
        raise InvalidInput(
            f"UDF artifact name {name[:40]!r} may only hold letters, digits, '.', '_' and "
            "'-' (at most 128, starting with a letter or digit)"
        )
    return name


def check_function_name(name: str | None) -> str:
    """``name`` if it is a plain SQL identifier a script can call."""
    if not name or not _FUNCTION_NAME.fullmatch(name):
        shown = (name or "")[:40]
        raise InvalidInput(
            f"function name {shown!r} must be a SQL identifier: a letter or '_', then "
            "letters, digits or '_' (at most 128), e.g. 'prefix_upper'"
        )
    return name


def check_class_name(name: str | None) -> str:
    """``name`` if it is a fully qualified Java class name."""
    if not name or len(name) > 1024 or has_control_characters(name):
        raise InvalidInput("a class name is required, e.g. 'com.example.MyFunction'")
    if not _CLASS_NAME.fullmatch(name):
        raise InvalidInput(f"{name[:80]!r} is not a Java class name (e.g. com.example.Upper)")
    return name


def check_connector_name(name: str | None) -> str:
    """``name`` if it can be a connector identifier."""
    if not name or not _CONNECTOR_NAME.fullmatch(name):
        raise InvalidInput(
            f"connector name {(name or '')[:40]!r} may only hold letters, digits, '.', '_' "
            "and '-' (e.g. 'ms-sequence')"
        )
    return name


def default_function_name(class_name: str) -> str:
    """The name a class is registered under when none is given: its simple name in
    snake case (``com.x.PrefixUpper`` -> ``prefix_upper``)."""
    simple = class_name.rsplit(".", 1)[-1].rsplit("$", 1)[-1]
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", simple).lower()
    return snake if _FUNCTION_NAME.fullmatch(snake) else "f_" + re.sub(r"\W", "_", snake)
