"""Native catalog operations at the official SDK's paths: ExecuteSqlStatement
(``POST /api/v2/namespaces/{ns}/sql-statement/execute``), GetCatalogs, GetDatabases and
GetTables (``GET .../catalogs[/{catalog}/databases[/{database}/tables]]``).

The namespace's persistent catalog is ``vvp`` (database ``default``), as in the managed
service; Flink's built-in ``default_catalog`` is listed too (it only ever holds a
script's TEMPORARY objects). ExecuteSqlStatement answers the SDK's
``SqlStatementExecuteResult {statement, executeSuccess}``; a statement Flink's planner
refuses is an ``InvalidSql`` error envelope carrying the planner's message and position.
Tables are the SDK's ``Table {name, comment, tableType, properties, partitionKeys,
schema {columns, primaryKey, watermarkSpecs}, metadata}``; ``metadata.ddl`` is the DDL.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native import schemas
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.sql_catalog import SqlCatalogService
from millstream.domain.errors import InvalidInput
from millstream.domain.sql_catalog import CatalogDatabase, CatalogObject

__all__ = ["router", "table_to_wire"]

router = native_router()

_CATALOGS = NAMESPACE + "/catalogs"
Name = Annotated[str, Path(min_length=1, max_length=128)]


def _catalog(ctx: RequestContext) -> SqlCatalogService:
    if ctx.services.sql_catalog is None:
        raise not_enabled("SQL catalogs")
    return ctx.services.sql_catalog


@router.post(NAMESPACE + "/sql-statement/execute", name="ExecuteSqlStatement")
def execute_sql_statement(ctx: Ctx, body: schemas.SqlStatementWithContext) -> JSONResponse:
    if not body.statement or not body.statement.strip():
        raise InvalidInput(
            'statement is required, e.g. {"statement": "CREATE TABLE orders (id BIGINT) '
            "WITH ('connector' = 'datagen')\"}"
        )
    _catalog(ctx).execute(ctx.scope, ctx.actor, body.statement)
    return ok(ctx, {"statement": body.statement, "executeSuccess": True})


@router.get(_CATALOGS, name="GetCatalogs")
def get_catalogs(
    ctx: Ctx, catalog_name: Annotated[str | None, Query(alias="catalogName", max_length=128)] = None
) -> JSONResponse:
    found = _catalog(ctx).catalogs(ctx.scope, catalog_name or None)
    return ok(ctx, [{"name": c.name, "properties": c.properties} for c in found])


@router.get(_CATALOGS + "/{catalog_name}/databases", name="GetDatabases")
def get_databases(
    ctx: Ctx,
    catalog_name: Name,
    database_name: Annotated[str | None, Query(alias="databaseName", max_length=128)] = None,
) -> JSONResponse:
    found = _catalog(ctx).databases(ctx.scope, catalog_name, database_name or None)
    return ok(ctx, [_database(d) for d in found])


@router.get(_CATALOGS + "/{catalog_name}/databases/{database_name}/tables", name="GetTables")
def get_tables(
    ctx: Ctx,
    catalog_name: Name,
    database_name: Name,
    table_name: Annotated[str | None, Query(alias="tableName", max_length=128)] = None,
) -> JSONResponse:
    found = _catalog(ctx).tables(ctx.scope, catalog_name, database_name, table_name or None)
    return ok(ctx, [table_to_wire(t) for t in found])


def _database(database: CatalogDatabase) -> dict[str, Any]:
    return {
        "name": database.name,
        "comment": database.comment,
        "properties": dict(database.properties),
    }


def table_to_wire(table: CatalogObject) -> dict[str, Any]:
    """SDK ``Table``: the schema as Flink resolved it; ``metadata.ddl`` its DDL."""
    schema: dict[str, Any] = {
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "logicalType": c.type,
                "nullable": c.nullable,
                "expression": c.expression,
                "metadataInfo": (
                    {"key": c.metadata_key, "virtual": bool(c.virtual)}
                    if c.metadata_key is not None
                    else None
                ),
            }
            for c in table.columns
        ],
        "watermarkSpecs": [
            {"column": column, "watermarkExpression": expression, "watermarkType": "CUSTOM"}
            for column, expression in table.watermarks
        ],
    }
    if table.primary_key is not None:
        name, columns, enforced = table.primary_key
        schema["primaryKey"] = {
            "constraintName": name,
            "columns": list(columns),
            "constraintType": "PRIMARY_KEY",
            "enforced": enforced,
        }
    return {
        "name": table.name,
        "comment": table.comment,
        "tableType": table.kind.value,
        "properties": dict(table.options),
        "partitionKeys": list(table.partition_keys),
        "schema": schema,
        "metadata": {"ddl": table.ddl, "database": table.database},
    }
