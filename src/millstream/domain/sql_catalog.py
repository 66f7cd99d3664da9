"""Millstream's persistent SQL catalog of a namespace: its databases, tables, views and
functions, as Flink's planner described them after the DDL that made them.

The catalog is named ``vvp`` with the database ``default``, like the managed service's
default catalog, so ``SELECT * FROM orders`` means ```vvp`.`default`.`orders``` in a
SQL deployment of the namespace as in interactive SQL. ``catalog_ddl`` is the script that
rebuilds it in any Flink ``TableEnvironment`` (an in-memory catalog): the SQL runner puts
it in front of every SQL deployment's script of the namespace. Pure data, no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from millstream.domain.errors import InvalidSql

__all__ = [
    "CATALOG_NAME",
    "DEFAULT_DATABASE",
    "MAX_CATALOG_OBJECTS",
    "CatalogColumn",
    "CatalogDatabase",
    "CatalogObject",
    "ObjectKind",
    "SqlCatalog",
    "catalog_ddl",
    "catalog_from_json",
    "catalog_to_json",
    "check_ddl_statement",
    "deployment_preamble",
    "function_ddl",
    "object_from_json",
    "object_to_json",
    "ordered_like",
    "quote",
]

CATALOG_NAME = "vvp"
DEFAULT_DATABASE = "default"
# One row holds a namespace's catalog; this bounds it (and the script put before jobs).
MAX_CATALOG_OBJECTS = 2000
_DDL_VERBS = ("CREATE", "ALTER", "DROP")


class ObjectKind(enum.StrEnum):
    TABLE = "TABLE"
    VIEW = "VIEW"
    FUNCTION = "FUNCTION"


@dataclass(frozen=True, slots=True)
class CatalogColumn:
    name: str
    type: str  # Flink's logical type, e.g. "BIGINT NOT NULL", "TIMESTAMP(3) *ROWTIME*"
    nullable: bool = True
    comment: str | None = None
    expression: str | None = None  # computed column
    metadata_key: str | None = None  # metadata column
    virtual: bool | None = None


@dataclass(frozen=True, slots=True)
class CatalogObject:
    """A table, view or function of a database of the catalog, with the DDL that
    recreates it (Flink's ``SHOW CREATE`` for tables and views)."""

    kind: ObjectKind
    database: str
    name: str
    ddl: str
    comment: str | None = None
    columns: tuple[CatalogColumn, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    partition_keys: tuple[str, ...] = ()
    primary_key: tuple[str, tuple[str, ...], bool] | None = None  # name, columns, enforced
    watermarks: tuple[tuple[str, str], ...] = ()  # (rowtime column, expression)
    function_class: str | None = None
    function_language: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        # Tables and views share one name space in Flink; functions have their own.
        space = "function" if self.kind is ObjectKind.FUNCTION else "relation"
        return (self.database, space, self.name)


@dataclass(frozen=True, slots=True)
class CatalogDatabase:
    name: str
    comment: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SqlCatalog:
    """A namespace's catalog; ``revision`` counts its changes (0: never changed)."""

    workspace: str
    namespace: str
    databases: tuple[CatalogDatabase, ...] = (CatalogDatabase(DEFAULT_DATABASE),)
    objects: tuple[CatalogObject, ...] = ()  # in creation order: a view after its tables
    revision: int = 0
    modified_at: datetime | None = None
    modifier: str | None = None

    def database(self, name: str) -> CatalogDatabase | None:
        return next((d for d in self.databases if d.name == name), None)

    def objects_in(self, database: str) -> list[CatalogObject]:
        return [o for o in self.objects if o.database == database]


def quote(identifier: str) -> str:
    """A Flink SQL identifier in backquotes (a backquote inside is doubled)."""
    return "`" + identifier.replace("`", "``") + "`"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def catalog_ddl(catalog: SqlCatalog) -> list[str]:
    """The statements that rebuild ``catalog`` inside a TableEnvironment whose current
    catalog is ``vvp``: databases, then functions (views may call them), then tables and
    views in creation order. Empty when the catalog holds nothing."""
    statements: list[str] = []
    for database in catalog.databases:
        if database.name == DEFAULT_DATABASE:
            continue
        text = f"CREATE DATABASE IF NOT EXISTS {quote(CATALOG_NAME)}.{quote(database.name)}"
        if database.comment:
            text += f" COMMENT {_literal(database.comment)}"
        if database.properties:
            pairs = ", ".join(
                f"{_literal(k)} = {_literal(v)}" for k, v in database.properties.items()
            )
            text += f" WITH ({pairs})"
        statements.append(text)
    functions = [o for o in catalog.objects if o.kind is ObjectKind.FUNCTION]
    relations = [o for o in catalog.objects if o.kind is not ObjectKind.FUNCTION]
    statements += [o.ddl for o in functions] + [o.ddl for o in relations]
    return statements


def deployment_preamble(catalog: SqlCatalog) -> list[str]:
    """What a SQL deployment of the namespace runs before its script: the catalog ``vvp``
    (Flink's in-memory catalog, made current, so plain names mean ``vvp.default``) and
    its DDL. Empty while the catalog holds nothing, so such scripts run as written."""
    ddl = catalog_ddl(catalog)
    if not ddl and not catalog.objects:
        return []
    return [
        f"CREATE CATALOG {quote(CATALOG_NAME)} WITH ('type' = 'generic_in_memory', "
        f"'default-database' = {_literal(DEFAULT_DATABASE)})",
        f"USE CATALOG {quote(CATALOG_NAME)}",
        *ddl,
    ]


def function_ddl(
    database: str, name: str, class_name: str, language: str, uris: Sequence[str]
) -> str:
    """``CREATE FUNCTION`` for a catalog function (Flink has no SHOW CREATE FUNCTION)."""
    path = f"{quote(CATALOG_NAME)}.{quote(database)}.{quote(name)}"
    text = f"CREATE FUNCTION {path} AS {_literal(class_name)} LANGUAGE {language}"
    if uris:
        text += " USING " + ", ".join(f"JAR {_literal(u)}" for u in uris)
    return text


def check_ddl_statement(text: str, *, line: int = 1, column: int = 1) -> str:
    """``text`` if it is one persistent DDL statement (CREATE / ALTER / DROP of a table,
    view, function or database); ``InvalidSql`` saying what to do instead otherwise."""
    words = text.split(None, 3)
    verb = words[0].upper() if words else ""
    if verb not in _DDL_VERBS:
        raise InvalidSql(
            "the catalog runs DDL only (CREATE, ALTER or DROP of a TABLE, VIEW, FUNCTION "
            "or DATABASE); run queries as a SQL preview",
            line=line,
            column=column,
        )
    second = words[1].upper() if len(words) > 1 else ""
    if "TEMPORARY" in (w.upper() for w in text.split()[1:4]):
        raise InvalidSql(
            "a TEMPORARY object lives only in one session: drop TEMPORARY to keep it in the "
            "catalog, or declare it in the deployment's script",
            line=line,
            column=column,
        )
    if second == "CATALOG":
        raise InvalidSql(
            f"the namespace has one catalog, {CATALOG_NAME!r}: create databases, tables, "
            "views and functions in it",
            line=line,
            column=column,
        )
    return text


def _columns(raw: Sequence[Mapping[str, Any]]) -> tuple[CatalogColumn, ...]:
    """Columns from their JSON form (what the SQL session prints and the store keeps)."""
    return tuple(
        CatalogColumn(
            name=str(c["name"]),
            type=str(c.get("type") or ""),
            nullable=bool(c.get("nullable", True)),
            comment=c.get("comment"),
            expression=c.get("expression"),
            metadata_key=c.get("metadataKey"),
            virtual=c.get("virtual"),
        )
        for c in raw
    )


def _column_json(c: CatalogColumn) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name, "type": c.type, "nullable": c.nullable}
    if c.comment is not None:
        out["comment"] = c.comment
    if c.expression is not None:
        out["expression"] = c.expression
    if c.metadata_key is not None:
        out["metadataKey"] = c.metadata_key
        out["virtual"] = bool(c.virtual)
    return out


def object_to_json(o: CatalogObject) -> dict[str, Any]:
    """One object in the JSON form the SQL session prints and the store keeps."""
    out: dict[str, Any] = {
        "kind": o.kind.value,
        "database": o.database,
        "name": o.name,
        "ddl": o.ddl,
        "comment": o.comment,
        "columns": [_column_json(c) for c in o.columns],
        "options": dict(o.options),
        "partitionKeys": list(o.partition_keys),
        "watermarks": [{"column": c, "expression": e} for c, e in o.watermarks],
    }
    if o.primary_key is not None:
        name, columns, enforced = o.primary_key
        out["primaryKey"] = {"name": name, "columns": list(columns), "enforced": enforced}
    if o.kind is ObjectKind.FUNCTION:
        out["functionClass"] = o.function_class
        out["functionLanguage"] = o.function_language
    return out


def object_from_json(raw: Mapping[str, Any]) -> CatalogObject:
    kind = ObjectKind(str(raw["kind"]))
    database, name = str(raw["database"]), str(raw["name"])
    ddl = raw.get("ddl")
    if kind is ObjectKind.FUNCTION and not ddl:
        ddl = function_ddl(
            database,
            name,
            str(raw.get("functionClass") or ""),
            str(raw.get("functionLanguage") or "JAVA"),
            [str(u) for u in raw.get("resources") or []],
        )
    key = raw.get("primaryKey")
    return CatalogObject(
        kind=kind,
        database=database,
        name=name,
        ddl=str(ddl or "").rstrip(),
        comment=raw.get("comment") or None,
        columns=_columns(raw.get("columns") or []),
        options={str(k): str(v) for k, v in (raw.get("options") or {}).items()},
        partition_keys=tuple(str(k) for k in raw.get("partitionKeys") or []),
        primary_key=(
            (str(key["name"]), tuple(str(c) for c in key["columns"]), bool(key["enforced"]))
            if key
            else None
        ),
        watermarks=tuple(
            (str(w["column"]), str(w["expression"])) for w in raw.get("watermarks") or []
        ),
        function_class=raw.get("functionClass"),
        function_language=raw.get("functionLanguage"),
    )


def catalog_to_json(catalog: SqlCatalog) -> dict[str, Any]:
    return {
        "databases": [
            {"name": d.name, "comment": d.comment, "properties": dict(d.properties)}
            for d in catalog.databases
        ],
        "objects": [object_to_json(o) for o in catalog.objects],
    }


def catalog_from_json(
    raw: Mapping[str, Any], *, workspace: str, namespace: str, revision: int = 0
) -> SqlCatalog:
    """A catalog from its JSON form (``databases`` and ``objects``)."""
    return SqlCatalog(
        workspace=workspace,
        namespace=namespace,
        databases=tuple(
            CatalogDatabase(
                name=str(d["name"]),
                comment=d.get("comment") or None,
                properties={str(k): str(v) for k, v in (d.get("properties") or {}).items()},
            )
            for d in raw.get("databases") or []
        )
        or (CatalogDatabase(DEFAULT_DATABASE),),
        objects=tuple(object_from_json(o) for o in raw.get("objects") or []),
        revision=revision,
    )


def ordered_like(
    before: Sequence[CatalogObject], after: Sequence[CatalogObject]
) -> tuple[CatalogObject, ...]:
    """``after`` in creation order: objects that were there keep their place, new ones
    come last (so a view stays behind the tables it reads when the catalog is rebuilt)."""
    rank = {o.key: i for i, o in enumerate(before)}
    return tuple(sorted(after, key=lambda o: (rank.get(o.key, len(rank)), o.name)))
