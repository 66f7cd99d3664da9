"""DLI Flink job operations (seed 002 and its family, ``/v1.0/{project_id}/streaming/``).

    POST   /streaming/flink-jobs             CreateFlinkJarJob     -> {"job": FlinkJobStatus}
    PUT    /streaming/flink-jobs/{job_id}    UpdateFlinkJarJob     -> {"job": {"update_time"}}
    POST   /streaming/sql-jobs               CreateFlinkSqlJob
    PUT    /streaming/sql-jobs/{job_id}      UpdateFlinkSqlJob
    GET    /streaming/jobs                   ListFlinkJobs         -> {"job_list": {...}}
    GET    /streaming/jobs/{job_id}          ShowFlinkJob          -> {"job_detail": FlinkJob}
    GET    /streaming/jobs/{job_id}/execute-graph   ShowFlinkJobExecutionGraph
    POST   /streaming/jobs/run               BatchRunFlinkJobs     -> [{"is_success", ...}]
    POST   /streaming/jobs/stop              BatchStopFlinkJobs    -> [...]
    DELETE /streaming/jobs/{job_id}          DeleteFlinkJob
    POST   /streaming/jobs/delete            BatchDeleteFlinkJobs  -> [...]
    POST   /streaming/jobs/{job_id}/savepoint   ExecuteFlinkJobSavepoint (action "1")

A flink job is a deployment; run starts its next job (``resume_savepoint``: restored
from its latest savepoint; a suspended run is resumed), stop stops the live one
(``trigger_savepoint``: with a savepoint). The batch operations first resolve every id
(an unknown one fails the whole request with ``DLI.0002``), then act job by job and
answer one ``{"is_success", "message"}`` per job, in the order asked: a job that cannot
run or stop now says why in its item. Handlers parse the body, then do the blocking work
in the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.dli.context import Project, open_project
from millstream.api.dli.envelope import ok_json, ok_list
from millstream.api.dli.errors import BAD_PARAMETER, DialectError
from millstream.api.dli.mappers import (
    JobKind,
    deployment_patch,
    flink_job,
    job_status,
    kind_of,
    merged_spec,
    millstream_queue,
    spec_from,
    spec_of,
)
from millstream.api.dli.routing import V1, dli_router, parse_body
from millstream.api.dli.schemas import (
    BatchJobs,
    BatchRun,
    BatchStop,
    JarJob,
    SavepointAction,
    SqlJob,
)
from millstream.api.dli.states import LIST_STATUSES, status_of
from millstream.api.dli.templates import template_sql
from millstream.control.ports import Page
from millstream.domain.deployments import Deployment
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    JobAlreadyLive,
    MillstreamError,
    NotFound,
)
from millstream.domain.jobs import Job, JobStatus, RestoreKind, RestoreStrategy, StopStrategy
from millstream.domain.savepoints import SavepointState

__all__ = ["JobId", "current_run", "deployment_of", "router"]

router = dli_router()

JobId = Annotated[int, Path(ge=0)]
_PAGE = 500
_MAX_LIMIT = 100
_TRUE = {"true": True, "false": False}
_MAX_NAME = 57
# Every job_type value the SDK documents for list_flink_jobs (SQL edge jobs never match).
LIST_JOB_TYPES = frozenset(
    {"flink_sql_job", "flink_opensource_sql_job", "flink_sql_edge_job", "flink_jar_job"}
)


# ----------------------------------------------------------------- reading


def deployment_of(project: Project, job_id: int) -> Deployment:
    """The deployment a DLI job id names, in the caller's project."""
    try:
        deployment_id = project.ids.deployment_id(job_id)
        return project.services.deployments.get(project.scope, deployment_id)
    except NotFound:
        raise NotFound(
            f"job {job_id} does not exist", code=ErrorCode.DEPLOYMENT_NOT_FOUND
        ) from None


def current_run(project: Project, deployment: Deployment) -> Job | None:
    """The deployment's newest job (its current or last run)."""
    jobs, _ = project.services.jobs.list(project.scope, deployment.id, Page(0, 1))
    return jobs[0] if jobs else None


def _savepoint_path(project: Project, deployment: Deployment) -> str | None:
    found, _ = project.services.savepoints.list(
        project.scope, Page(0, 20), deployment_id=deployment.id
    )
    completed = [
        sp for sp in found if sp.state is SavepointState.COMPLETED and sp.location is not None
    ]
    completed.sort(key=lambda sp: sp.created_at.timestamp() if sp.created_at else 0.0)
    return completed[-1].location if completed else None


def _all_deployments(project: Project) -> list[Deployment]:
    found: list[Deployment] = []
    while True:
        page, total = project.services.deployments.list(project.scope, Page(len(found), _PAGE))
        found.extend(page)
        if not page or len(found) >= total:
            return found


# ----------------------------------------------------------------- create / update


def _check_queue(project: Project, spec: dict[str, Any]) -> None:
    """A job on a queue that does not exist is refused now, not when it runs."""
    name = spec.get("queue_name")
    if name and project.services.queues is not None:
        project.services.queues.get(millstream_queue(name))


def _create(
    request: Request, ctx: RequestContext, project_id: str, kind: JobKind, body: JarJob | SqlJob
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    if body.name is None:
        raise InvalidInput("name is required: 1 to 57 characters")
    spec = spec_from(body)
    template_id = spec.get("template_id")
    if kind is JobKind.SQL and template_id is not None and not spec.get("sql_body"):
        spec["sql_body"] = template_sql(project, int(template_id))
    patch = deployment_patch(kind, spec)
    _check_queue(project, spec)
    try:
        deployment = project.services.deployments.create(project.scope, project.actor, patch)
    except Conflict as exc:
        if exc.code is not ErrorCode.DEPLOYMENT_NAME_TAKEN:
            raise
        # The domain's message names a deployment and a namespace; say it in DLI's words.
        raise Conflict(
            f"a Flink job named {body.name!r} already exists in this project",
            code=ErrorCode.DEPLOYMENT_NAME_TAKEN,
        ) from None
    number = project.ids.job_id(deployment.id)
    return ok_json(
        ctx.request_id, "A Flink job is created successfully.", job=job_status(number, None)
    )


def _update(
    request: Request,
    ctx: RequestContext,
    project_id: str,
    job_id: int,
    kind: JobKind,
    body: JarJob | SqlJob,
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    deployment = deployment_of(project, job_id)
    if kind_of(deployment) is not kind:
        other = "update_flink_sql_job" if kind is JobKind.JAR else "update_flink_jar_job"
        raise InvalidInput(f"job {job_id} is a {kind_of(deployment).value}: use {other}")
    spec = merged_spec(spec_of(deployment), body)
    patch = deployment_patch(kind, spec)
    _check_queue(project, spec)
    updated = project.services.deployments.update(
        project.scope, project.actor, deployment.id, patch
    )
    modified = updated.modified_at
    update_time = int(modified.timestamp() * 1000) if modified is not None else None
    return ok_json(
        ctx.request_id, "The Flink job is updated successfully.", job={"update_time": update_time}
    )


@router.post(V1 + "/streaming/flink-jobs", name="CreateFlinkJarJob")
async def create_flink_jar_job(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, JarJob)
    return await run_in_threadpool(_create, request, ctx, project_id, JobKind.JAR, body)


@router.put(V1 + "/streaming/flink-jobs/{job_id}", name="UpdateFlinkJarJob")
async def update_flink_jar_job(
    project_id: str, job_id: JobId, request: Request, ctx: Context
) -> JSONResponse:
    body = await parse_body(request, JarJob)
    return await run_in_threadpool(_update, request, ctx, project_id, job_id, JobKind.JAR, body)


@router.post(V1 + "/streaming/sql-jobs", name="CreateFlinkSqlJob")
async def create_flink_sql_job(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, SqlJob)
    return await run_in_threadpool(_create, request, ctx, project_id, JobKind.SQL, body)


@router.put(V1 + "/streaming/sql-jobs/{job_id}", name="UpdateFlinkSqlJob")
async def update_flink_sql_job(
    project_id: str, job_id: JobId, request: Request, ctx: Context
) -> JSONResponse:
    body = await parse_body(request, SqlJob)
    return await run_in_threadpool(_update, request, ctx, project_id, job_id, JobKind.SQL, body)


# ----------------------------------------------------------------- list / show


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DialectError(400, BAD_PARAMETER, f"{name} must be an integer, not {raw!r}") from None
    if not low <= value <= high:
        raise DialectError(400, BAD_PARAMETER, f"{name} must be between {low} and {high}")
    return value


def _bool_param(request: Request, name: str) -> bool:
    raw = (request.query_params.get(name) or "false").lower()
    if raw not in _TRUE:
        raise DialectError(400, BAD_PARAMETER, f"{name} must be true or false, not {raw!r}")
    return _TRUE[raw]


def _tags_filter(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    wanted: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise DialectError(400, BAD_PARAMETER, f"tags filter {part!r} is not key=value")
        wanted[key.strip()] = value.strip()
    return wanted


def _list(request: Request, ctx: RequestContext, project_id: str) -> JSONResponse:
    query = request.query_params
    limit = _int_param(request, "limit", 10, 1, _MAX_LIMIT)
    offset = _int_param(request, "offset", 0, 0, 1_000_000)
    detail = _bool_param(request, "show_detail")
    order = (query.get("order") or "desc").lower()
    if order not in {"asc", "desc"}:
        raise DialectError(400, BAD_PARAMETER, f"order must be asc or desc, not {order!r}")
    tags = _tags_filter(query.get("tags"))
    _check_filters(request)
    project = open_project(request, ctx, project_id)
    # A queue that does not exist is a typo, not a filter that matches nothing.
    _check_queue(project, {"queue_name": query.get("queue_name")})
    deployments = _all_deployments(project)
    numbers = project.ids.job_ids(d.id for d in deployments)
    rows: list[tuple[int, Deployment, Job | None]] = []
    for deployment in deployments:
        job = current_run(project, deployment)
        if not _matches(request, deployment, job, tags):
            continue
        rows.append((numbers[deployment.id], deployment, job))
    rows.sort(key=lambda row: row[0], reverse=order == "desc")
    shown = [
        flink_job(d, job, job_id=n, project_id=project_id, detail=detail)
        for n, d, job in rows[offset : offset + limit]
    ]
    return ok_json(
        ctx.request_id,
        "The job list is obtained successfully.",
        job_list={"total_count": len(rows), "jobs": shown},
    )


def _one_of(request: Request, name: str, valid: frozenset[str]) -> None:
    raw = request.query_params.get(name)
    if raw and raw not in valid:
        raise DialectError(
            400,
            BAD_PARAMETER,
            f"{name} {raw[:64]!r} is not valid: use one of {', '.join(sorted(valid))}",
        )


def _check_filters(request: Request) -> None:
    """Filters with a closed set of values refuse any other (an empty list would hide
    the typo); ``name`` has DLI's length limit, ``root_job_id`` is a job id."""
    _one_of(request, "status", LIST_STATUSES)
    _one_of(request, "job_type", LIST_JOB_TYPES)
    name = request.query_params.get("name") or ""
    if len(name) > _MAX_NAME:
        raise DialectError(400, BAD_PARAMETER, f"name has at most {_MAX_NAME} characters")
    _int_param(request, "root_job_id", -1, 0, 2**63 - 1)


def _matches(
    request: Request, deployment: Deployment, job: Job | None, tags: dict[str, str]
) -> bool:
    query = request.query_params
    if query.get("root_job_id"):
        # Only edge jobs have a parent job; Millstream runs none (root_id is -1).
        return False
    name = query.get("name")
    if name and name.lower() not in deployment.name.lower():
        return False
    status = query.get("status")
    if status and status_of(job) != status:
        return False
    queue = query.get("queue_name")
    if queue and (deployment.queue or "") != millstream_queue(queue):
        return False
    job_type = query.get("job_type")
    if job_type and (spec_of(deployment).get("job_type") or kind_of(deployment).value) != job_type:
        return False
    user = query.get("user_name")
    if user and deployment.creator != user:
        return False
    return all(deployment.labels.get(key) == value for key, value in tags.items())


@router.get(V1 + "/streaming/jobs", name="ListFlinkJobs")
async def list_flink_jobs(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    return await run_in_threadpool(_list, request, ctx, project_id)


def _show(request: Request, ctx: RequestContext, project_id: str, job_id: int) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    deployment = deployment_of(project, job_id)
    job = current_run(project, deployment)
    detail = flink_job(
        deployment,
        job,
        job_id=job_id,
        project_id=project_id,
        detail=True,
        savepoint_path=_savepoint_path(project, deployment),
    )
    return ok_json(ctx.request_id, "Querying of the job details succeeds.", job_detail=detail)


@router.get(V1 + "/streaming/jobs/{job_id}", name="ShowFlinkJob")
async def show_flink_job(
    project_id: str, job_id: JobId, request: Request, ctx: Context
) -> JSONResponse:
    return await run_in_threadpool(_show, request, ctx, project_id, job_id)


def _execution_graph(
    request: Request, ctx: RequestContext, project_id: str, job_id: int
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    deployment = deployment_of(project, job_id)
    job = current_run(project, deployment)
    if job is None or job.flink_job_id is None:
        raise InvalidInput(
            f"job {job_id} has no execution graph: it has not been submitted to Flink yet",
            code=ErrorCode.JOB_NOT_SUBMITTED,
        )
    start = job.start_time
    end = job.end_time
    # Flink's own /jobs/{jid} keys, as the SDK's FlinkJobExecutionGraph reads them.
    graph = {
        "jid": job.flink_job_id,
        "name": deployment.name,
        "isStoppable": job.status is JobStatus.RUNNING,
        "state": job.observed.state.value if job.observed.state else job.status.value,
        "start-time": int(start.timestamp() * 1000) if start else -1,
        "end-time": int(end.timestamp() * 1000) if end else -1,
        "duration": int((end - start).total_seconds() * 1000) if start and end else -1,
    }
    return ok_json(ctx.request_id, "", execute_graph=graph)


@router.get(V1 + "/streaming/jobs/{job_id}/execute-graph", name="ShowFlinkJobExecutionGraph")
async def show_flink_job_execution_graph(
    project_id: str, job_id: JobId, request: Request, ctx: Context
) -> JSONResponse:
    return await run_in_threadpool(_execution_graph, request, ctx, project_id, job_id)


# ----------------------------------------------------------------- run / stop / delete


def _item(ok: bool, message: str) -> dict[str, Any]:
    return {"is_success": ok, "message": message}


def _each(project: Project, job_ids: list[int], act: Any) -> list[dict[str, Any]]:
    """Resolve every id first (an unknown one fails the request), then act on each."""
    deployments = [(job_id, deployment_of(project, job_id)) for job_id in job_ids]
    results = []
    for job_id, deployment in deployments:
        try:
            results.append(_item(True, act(job_id, deployment)))
        except MillstreamError as exc:
            results.append(_item(False, f"job {job_id}: {exc.message}"))
    return results


def _run(request: Request, ctx: RequestContext, project_id: str, body: BatchRun) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    restore = RestoreStrategy(
        kind=RestoreKind.LATEST_SAVEPOINT if body.resume_savepoint else RestoreKind.NONE
    )

    def run(job_id: int, deployment: Deployment) -> str:
        current = current_run(project, deployment)
        if current is not None and current.status is JobStatus.SUSPENDED:
            project.services.jobs.resume(project.scope, project.actor, current.id)
        else:
            try:
                project.services.jobs.start(
                    project.scope, project.actor, deployment.id, restore=restore
                )
            except JobAlreadyLive:
                # The domain's message names a deployment and a job UUID; a DLI user
                # knows this job by its integer id and DLI status.
                live = current_run(project, deployment)
                raise JobAlreadyLive(  # ``_each`` puts "job <id>: " in front
                    f"already running ({status_of(live)}); stop it first"
                ) from None
        return f"The request for submitting job {job_id} is delivered successfully."

    return ok_list(ctx.request_id, _each(project, body.job_ids, run))


@router.post(V1 + "/streaming/jobs/run", name="BatchRunFlinkJobs")
async def batch_run_flink_jobs(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, BatchRun)
    return await run_in_threadpool(_run, request, ctx, project_id, body)


def _stop(request: Request, ctx: RequestContext, project_id: str, body: BatchStop) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    strategy = StopStrategy.STOP_WITH_SAVEPOINT if body.trigger_savepoint else StopStrategy.NONE

    def stop(job_id: int, deployment: Deployment) -> str:
        current = current_run(project, deployment)
        if current is None or current.is_terminal:
            raise InvalidInput(f"job {job_id} is not running", code=ErrorCode.JOB_NOT_RUNNING)
        if body.trigger_savepoint and current.status is JobStatus.STARTING:
            # Flink takes a savepoint only of a running job: stopping a job that is still
            # starting "with a savepoint" would answer success and then leave it running
            # once the savepoint fails. Say so now; nothing is changed.
            raise InvalidInput(  # ``_each`` puts "job <id>: " in front
                f"still {status_of(current)}: Flink takes a savepoint only once the job is "
                "job_running; nothing was stopped. Stop it without trigger_savepoint, or "
                "retry once it runs",
                code=ErrorCode.JOB_NOT_RUNNING,
            )
        project.services.jobs.stop(project.scope, project.actor, current.id, strategy)
        return f"The request for stopping job {job_id} is delivered successfully."

    return ok_list(ctx.request_id, _each(project, body.job_ids, stop))


@router.post(V1 + "/streaming/jobs/stop", name="BatchStopFlinkJobs")
async def batch_stop_flink_jobs(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, BatchStop)
    return await run_in_threadpool(_stop, request, ctx, project_id, body)


def _delete_one(project: Project, job_id: int, deployment: Deployment) -> None:
    try:
        project.services.deployments.delete(project.scope, project.actor, deployment.id)
    except Conflict as exc:
        if exc.code is not ErrorCode.DEPLOYMENT_HAS_LIVE_JOB:
            raise
        live = current_run(project, deployment)
        raise Conflict(
            f"job {job_id} is still running ({status_of(live)}): stop it before deleting it",
            code=ErrorCode.DEPLOYMENT_HAS_LIVE_JOB,
        ) from None


def _delete(request: Request, ctx: RequestContext, project_id: str, job_id: int) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    _delete_one(project, job_id, deployment_of(project, job_id))
    return ok_json(ctx.request_id, "The job is deleted successfully.")


@router.delete(V1 + "/streaming/jobs/{job_id}", name="DeleteFlinkJob")
async def delete_flink_job(
    project_id: str, job_id: JobId, request: Request, ctx: Context
) -> JSONResponse:
    return await run_in_threadpool(_delete, request, ctx, project_id, job_id)


def _batch_delete(
    request: Request, ctx: RequestContext, project_id: str, body: BatchJobs
) -> JSONResponse:
    project = open_project(request, ctx, project_id)

    def delete(job_id: int, deployment: Deployment) -> str:
        _delete_one(project, job_id, deployment)
        return f"Job {job_id} is deleted successfully."

    return ok_list(ctx.request_id, _each(project, body.job_ids, delete))


@router.post(V1 + "/streaming/jobs/delete", name="BatchDeleteFlinkJobs")
async def batch_delete_flink_jobs(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, BatchJobs)
    return await run_in_threadpool(_batch_delete, request, ctx, project_id, body)


# ----------------------------------------------------------------- savepoints


def _savepoint(
    request: Request, ctx: RequestContext, project_id: str, job_id: int, body: SavepointAction
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    deployment = deployment_of(project, job_id)
    if body.action != "1":
        raise InvalidInput(f'savepoint action {body.action!r} is not supported: use "1" (trigger)')
    project.services.savepoints.create(project.scope, project.actor, deployment.id)
    return ok_json(ctx.request_id, f"The savepoint of job {job_id} is being created.")


@router.post(V1 + "/streaming/jobs/{job_id}/savepoint", name="ExecuteFlinkJobSavepoint")
async def execute_flink_job_savepoint(
    project_id: str, job_id: JobId, request: Request, ctx: Context
) -> JSONResponse:
    body = await parse_body(request, SavepointAction)
    return await run_in_threadpool(_savepoint, request, ctx, project_id, job_id, body)
