"""Native GetLineageInfo (``POST /meta/v2/lineage``): table- and column-level lineage of
the namespace's SQL deployments, served by ``services.lineage``.

Body: SDK ``GetLineageInfoParams`` — ``id`` (a deployment id with ``idType`` JOB, or a
table ``catalog.database.table`` with ``idType`` TABLE), ``direction`` (UPSTREAM,
DOWNSTREAM, BOTH), ``depth`` (table hops, 1-10), ``isColumnLevel``, ``namespace`` and
``workspace`` (the scope, as the path carries it elsewhere). Answer: SDK ``LineageInfo``
— ``nodes`` (one per table: catalog, database, connector, columns, ``with`` options),
``edges.tableLineage`` / ``edges.columnLineage`` (``Relation {source, destination,
jobId}``; a column is ``<table id>.<column>``) and ``jobInfos`` (the deployments).
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import Field

from millstream.api.dialect import Context, RequestContext
from millstream.api.native.mappers.common import parse_enum
from millstream.api.native.routing import native_router, not_enabled, ok
from millstream.api.native.schemas import WireModel
from millstream.control.services.lineage import LineageService
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput
from millstream.domain.lineage import Direction, Lineage, LineageEdge, LineageTable

__all__ = ["router"]

router = native_router()

_ID_TYPES = {"JOB", "DEPLOYMENT", "TABLE"}


class LineageParams(WireModel):
    """SDK ``GetLineageInfoParams``."""

    id: str | None = Field(default=None, max_length=512)
    id_type: str | None = Field(default=None, max_length=32)
    direction: str | None = Field(default=None, max_length=16)
    depth: int | None = None
    is_column_level: bool | None = None
    is_temporary: bool | None = None
    namespace: str | None = Field(default=None, max_length=128)
    workspace: str | None = Field(default=None, max_length=128)


def _lineage(ctx: RequestContext) -> LineageService:
    if ctx.services.lineage is None:
        raise not_enabled("lineage")
    return ctx.services.lineage


def _node(table: LineageTable) -> dict[str, Any]:
    return {
        "id": table.id,
        "catalogName": table.catalog,
        "databaseName": table.database,
        "connector": table.connector,
        "isTemporary": table.temporary,
        "tables": [
            {
                "id": table.id,
                "tableName": table.name,
                "with": dict(table.options),
                "properties": {},
                "columns": [
                    {
                        "id": f"{table.id}.{c.name}",
                        "columnName": c.name,
                        "columnType": c.type,
                        "columnNativeType": c.type,
                        "nullable": c.nullable,
                    }
                    for c in table.columns
                ],
            }
        ],
    }


def _relation(edge: LineageEdge) -> dict[str, Any]:
    return {"source": edge.source, "destination": edge.destination, "jobId": edge.deployment_id}


def _job(deployment: Deployment) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "properties": {
            "deploymentName": deployment.name,
            "namespace": deployment.namespace,
            "engineVersion": deployment.engine_version,
        },
    }


def lineage_to_wire(lineage: Lineage, deployments: list[Deployment]) -> dict[str, Any]:
    return {
        "nodes": [_node(t) for t in lineage.tables],
        "edges": {
            "tableLineage": [_relation(e) for e in lineage.table_edges],
            "columnLineage": [_relation(e) for e in lineage.column_edges],
        },
        "jobInfos": [_job(d) for d in deployments],
    }


@router.post("/meta/v2/lineage", name="GetLineageInfo")
def get_lineage_info(ctx: Context, body: LineageParams) -> JSONResponse:
    if not body.id or not body.id.strip():
        raise InvalidInput("id is required: a deployment id (idType JOB) or a table id (TABLE)")
    id_type = (body.id_type or "JOB").upper()
    if id_type not in _ID_TYPES:
        raise InvalidInput(f"unknown idType {body.id_type!r}; use JOB or TABLE")
    direction = (
        parse_enum(Direction, body.direction, "direction") if body.direction else Direction.BOTH
    )
    lineage, deployments = _lineage(ctx).lineage(
        ctx.scope,
        target=body.id.strip(),
        is_table=id_type == "TABLE",
        direction=direction,
        depth=1 if body.depth is None else body.depth,
        column_level=body.is_column_level is not False,
    )
    return ok(ctx, lineage_to_wire(lineage, deployments))
