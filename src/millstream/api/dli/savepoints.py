"""DLI ``import_flink_job_savepoint``: a savepoint the caller names becomes the job's.

    POST /v1.0/{project_id}/streaming/jobs/{job_id}/import-savepoint
         {"job_id", "savepoint_path"}  ImportFlinkJobSavepoint -> {"is_success", "message"}

``savepoint_path`` is the directory holding the savepoint's ``_metadata`` (the SDK's
``obs://bucket_name/file_name/``). Restoring makes Flink's JobManager read that path, so
it must be a place of the caller's own project: ``obs://bucket/dir`` (or any URI
``artifacts.scheme_map`` maps) resolving into the project's namespace of the artifact
store, ``artifacts://<workspace>/<namespace>/<dir>`` of that namespace, or a savepoint
under the savepoint directory of one of the project's jobs; another project's files and
the machine's are refused alike, whether they exist or not. The directory must hold a
real Flink savepoint (``_metadata``). It is copied into the job's savepoint directory and
registered as the job's newest savepoint (``SavepointService.import_savepoint``), so the
next ``batch_run_flink_jobs`` with ``resume_savepoint`` restores from it. Registered by
the package's ``DLI`` dialect.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.dli.context import open_project
from millstream.api.dli.envelope import ok_json
from millstream.api.dli.errors import BAD_PARAMETER, DialectError
from millstream.api.dli.jobs import JobId, deployment_of
from millstream.api.dli.routing import V1, dli_router, parse_body
from millstream.api.dli.schemas import ImportSavepoint

__all__ = ["router"]

router = dli_router()


def _import(
    request: Request, ctx: RequestContext, project_id: str, job_id: int, body: ImportSavepoint
) -> JSONResponse:
    if body.job_id is not None and body.job_id != job_id:
        raise DialectError(
            400,
            BAD_PARAMETER,
            f"job_id {body.job_id} in the body is not the job {job_id} of the path; send the "
            "same job id in both (or none in the body)",
        )
    project = open_project(request, ctx, project_id)
    deployment = deployment_of(project, job_id)
    project.services.savepoints.import_savepoint(
        project.scope, project.actor, deployment.id, body.savepoint_path
    )
    return ok_json(
        ctx.request_id,
        f"The savepoint of job {job_id} is imported: run the job with resume_savepoint to "
        "restore it.",
    )


@router.post(V1 + "/streaming/jobs/{job_id}/import-savepoint", name="ImportFlinkJobSavepoint")
async def import_flink_job_savepoint(
    project_id: str, job_id: JobId, request: Request, ctx: Context
) -> JSONResponse:
    body = await parse_body(request, ImportSavepoint)
    return await run_in_threadpool(_import, request, ctx, project_id, job_id, body)
