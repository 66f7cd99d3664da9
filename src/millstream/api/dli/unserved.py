"""The SDK's Flink operations Millstream does not serve yet: ``show_flink_metric``,
``create_flink_sql_job_graph`` and ``import_flink_job_savepoint``.

Each answers 501 ``DLI.0007`` naming the operation, after the usual signature check, so a
caller learns it is not served instead of a misleading 405 (``POST .../jobs/metrics``
otherwise meets ``GET/DELETE .../jobs/{job_id}``) or a 404. Registered by the package's
``DLI`` dialect; ``create_flink_sql_job_graph`` is the SDK's only ``/v3/`` path.
"""

from __future__ import annotations

from typing import NoReturn

from fastapi.responses import JSONResponse

from millstream.api.dialect import Context
from millstream.api.dli.errors import UNSUPPORTED, DialectError
from millstream.api.dli.routing import V1, dli_router

__all__ = ["router"]

router = dli_router()


def _not_served(operation: str) -> NoReturn:
    raise DialectError(
        501, UNSUPPORTED, f"{operation} is not served by Millstream yet (see the README)"
    )


@router.post(V1 + "/streaming/jobs/metrics", name="ShowFlinkMetric")
async def show_flink_metric(project_id: str, ctx: Context) -> JSONResponse:  # noqa: ARG001
    _not_served("ShowFlinkMetric")


@router.post("/v3/{project_id}/streaming/jobs/{job_id}/gen-graph", name="CreateFlinkSqlJobGraph")
async def create_flink_sql_job_graph(
    project_id: str,  # noqa: ARG001
    job_id: str,  # noqa: ARG001
    ctx: Context,  # noqa: ARG001
) -> JSONResponse:
    _not_served("CreateFlinkSqlJobGraph")


@router.post(V1 + "/streaming/jobs/{job_id}/import-savepoint", name="ImportFlinkJobSavepoint")
async def import_flink_job_savepoint(
    project_id: str,  # noqa: ARG001
    job_id: str,  # noqa: ARG001
    ctx: Context,  # noqa: ARG001
) -> JSONResponse:
    _not_served("ImportFlinkJobSavepoint")
