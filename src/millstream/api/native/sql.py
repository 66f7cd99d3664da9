"""Native ValidateSqlStatement: a POST that only reads (a VIEWER may call it).

An invalid statement is a 200 whose ``data`` says why (as the SDK expects), not an error.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from fastapi.responses import JSONResponse

from millstream.api.native import mappers, schemas
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, dump, native_router, ok
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.errors import InvalidInput, InvalidSql, UnknownVariable

__all__ = ["router"]

router = native_router()


@router.post(NAMESPACE + "/sql-statement/validate", name="ValidateSqlStatement")
def validate_sql_statement(ctx: Ctx, body: schemas.SqlStatementWithContext) -> JSONResponse:
    if not body.statement or not body.statement.strip():
        raise InvalidInput("statement is required")
    services = ctx.services
    if body.version_name:
        services.versions.resolve(body.version_name)
    try:
        services.deployments.validate_sql(
            ctx.scope,
            body.statement,
            execution_mode=ExecutionMode.BATCH if body.batch_mode else ExecutionMode.STREAMING,
            flink_conf=dict(body.flink_configuration or {}),
            engine_version=body.version_name or None,
        )
    except (InvalidSql, UnknownVariable) as exc:
        return ok(ctx, dump(mappers.sql_invalid_to_wire(exc)))
    return ok(ctx, dump(mappers.sql_valid_to_wire(body.statement)))
