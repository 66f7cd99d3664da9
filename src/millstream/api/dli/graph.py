"""CreateFlinkSqlJobGraph (``POST /v3/{project_id}/streaming/jobs/{job_id}/gen-graph``):
the stream graph Flink's planner makes of a Flink SQL job, without running it.

The SQL is the body's ``sql_body``, else the job's own; ``parallel_number`` (else the
job's parallelism) is the plan's default parallelism. Planning goes through
``DeploymentService.plan_sql`` on the project's cluster, so it is Flink's real JobGraph,
planned by the installation's engine (``flink_version`` is checked like a job's but
does not pick another planner; ``cu_number``, ``tm_cus``, ``tm_slot_num``,
``operator_config``, ``graph_type`` and the static estimator's settings shape no JobGraph
and are accepted as they are). The answer is the SDK's
``CreateFlinkSqlJobGraphResponse``: ``stream_graph`` is a JSON text (the SDK types it as a
string) ``{"job_name", "type", "nodes": [{"id", "name", "parallelism", "inputs"}],
"edges": [{"source", "target", "ship_strategy"}]}``, nodes in Flink's order. SQL the
planner refuses is a 400 ``DLI.0005`` with the planner's message and, when Flink gives
one, its line and column; a Jar job is a 400 ``DLI.0001``. Registered by the package's
``DLI`` dialect.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.dli.context import open_project
from millstream.api.dli.envelope import ok_json
from millstream.api.dli.jobs import deployment_of
from millstream.api.dli.mappers import JobKind, engine_version, kind_of
from millstream.api.dli.routing import dli_router, parse_body
from millstream.api.dli.schemas import GraphRequest
from millstream.domain.errors import InvalidInput, InvalidSql

__all__ = ["router", "stream_graph"]

router = dli_router()

PARALLELISM_KEY = "parallelism.default"


def stream_graph(plan: dict[str, Any]) -> dict[str, Any]:
    """Flink's JobGraph plan (``{"jid", "name", "type", "nodes"}``) as the stream graph."""
    nodes = [node for node in plan.get("nodes") or [] if isinstance(node, dict)]
    return {
        "job_name": plan.get("name"),
        "type": plan.get("type"),
        "nodes": [
            {
                "id": str(node.get("id", "")),
                "name": str(node.get("description") or node.get("operator") or ""),
                "parallelism": node.get("parallelism"),
                "inputs": [
                    str(link.get("id", ""))
                    for link in node.get("inputs") or []
                    if isinstance(link, dict)
                ],
            }
            for node in nodes
        ],
        "edges": [
            {
                "source": str(link.get("id", "")),
                "target": str(node.get("id", "")),
                "ship_strategy": str(link.get("ship_strategy") or ""),
            }
            for node in nodes
            for link in node.get("inputs") or []
            if isinstance(link, dict)
        ],
    }


def _graph(
    request: Request, ctx: RequestContext, project_id: str, job_id: int, body: GraphRequest
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    deployment = deployment_of(project, job_id)
    if kind_of(deployment) is not JobKind.SQL:
        raise InvalidInput(f"job {job_id} is a Flink Jar job: only a SQL job has a stream graph")
    if body.flink_version:
        project.services.versions.resolve(engine_version(body.flink_version))
    script = body.sql_body if body.sql_body is not None else deployment.artifact.sql_script
    if not (script or "").strip():
        raise InvalidInput("sql_body is empty: give the SQL statements to plan")
    flink_conf = dict(deployment.flink_conf)
    flink_conf[PARALLELISM_KEY] = (
        body.parallel_number or deployment.streaming_resource.parallelism or 1
    )
    try:
        plan = project.services.deployments.plan_sql(
            project.scope,
            script or "",
            execution_mode=deployment.execution_mode,
            flink_conf=flink_conf,
        )
    except InvalidSql as exc:
        if exc.line is None:
            raise
        where = f" (line {exc.line}" + (f", column {exc.column})" if exc.column else ")")
        raise InvalidSql(exc.message + where, line=exc.line, column=exc.column) from None
    return ok_json(
        ctx.request_id,
        "The stream graph is generated successfully.",
        stream_graph=json.dumps(stream_graph(plan), separators=(",", ":")),
    )


@router.post("/v3/{project_id}/streaming/jobs/{job_id}/gen-graph", name="CreateFlinkSqlJobGraph")
async def create_flink_sql_job_graph(
    project_id: str, job_id: Annotated[int, Path(ge=0)], request: Request, ctx: Context
) -> JSONResponse:
    body = await parse_body(request, GraphRequest)
    return await run_in_threadpool(_graph, request, ctx, project_id, job_id, body)
