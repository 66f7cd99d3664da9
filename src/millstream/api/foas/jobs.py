"""foas jobs (spec §3.3): CreateJob, GetJob, ListJob, UpdateJob, DeleteJob, ValidateJob,
CommitJob and OfflineJob over the project's deployments, named by ``jobName``.

- CreateJob makes the deployment (``mappers.deployment_patch``); the name is the
  deployment's name, unique in the project (``Job.AlreadyExists``); ``queueName`` is
  the deployment's queue (``queues.job_queue``: an unknown one is ``Queue.NotFound``);
  ``folderId`` must name a folder of the project (``Folder.NotFound``; 0 is ``/``);
  ``packages`` registered with a location (CreatePackage's OSS bucket and path) are used
  from there (``scan.package_locations``), so the artifact checks of the deployment
  service resolve them like any artifact URI; a batch SQL job is refused in a project
  whose batch SQL was turned off (UpdateProjectConfig, ``project_profiles``). UpdateJob
  checks the same.
- UpdateJob merges the fields it sends into the job's foas fields and rewrites the
  deployment from them; a running instance keeps what it was started with.
- DeleteJob deletes the deployment; with a live instance it is refused
  (``Job.InvalidState``, the domain's rule) - the document's "take it offline first".
- CommitJob / OfflineJob set ``IsCommitted``; CommitJob's AutoScale settings (isOnOff,
  maxCU, configure, recommendOnly) are kept and shown as ``AutoScaleParams``. Committing
  is not a precondition of StartJob (the issue: SDK users start right after CreateJob);
  OfflineJob refuses while an instance is live, as the document says ("stop the running
  job first").
- ValidateJob plans a SQL job's script on Flink (``Job.InvalidSql`` with line and column
  when it does not plan) and answers ``JobInOut``: the tables the script creates, the ones
  it inserts into as outputs, the others as inputs, each with its ``WITH`` options; a
  DATASTREAM job's artifact is checked (its jar must exist).
Handlers read the parameters, then do the blocking work in the thread pool.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import FOLDER_NOT_FOUND, INVALID_PARAMETER, FoasError
from millstream.api.foas.mappers import (
    AUTOSCALE,
    COMMITTED,
    deployment_patch,
    job_view,
    spec_of,
    spec_update,
)
from millstream.api.foas.project_profiles import batch_sql_allowed
from millstream.api.foas.queues import job_queue
from millstream.api.foas.routing import JOB, PROJECT, Params, foas_router, read_params
from millstream.api.foas.scan import package_locations
from millstream.api.foas.states import JOB_STATES
from millstream.control.ports import Page
from millstream.control.services import DeploymentPatch
from millstream.domain.artifacts import ArtifactKind, ExecutionMode
from millstream.domain.autoscale import AutoscaleConfigPatch
from millstream.domain.deployments import Deployment
from millstream.domain.errors import Conflict, ErrorCode, NotFound
from millstream.domain.jobs import Job, JobStatus

__all__ = ["current_run", "deployment_named", "router", "table_io"]

router = foas_router()

_PAGE = 500
_MAX_PAGE_SIZE = 100
_LIVE = frozenset(
    {JobStatus.STARTING, JobStatus.RUNNING, JobStatus.CANCELLING, JobStatus.SUSPENDED}
)
_CREATE_TABLE = re.compile(
    r"CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([`\w.]+)", re.IGNORECASE
)
_INSERT = re.compile(r"INSERT\s+(?:INTO|OVERWRITE)\s+(?:TABLE\s+)?([`\w.]+)", re.IGNORECASE)
_OPTION = re.compile(r"'([^']+)'\s*=\s*'([^']*)'")


def deployment_named(project: Project, job_name: str) -> Deployment:
    """The project's deployment named ``job_name``; ``Job.NotFound`` if none."""
    try:
        return project.services.deployments.get_by_name(project.scope, job_name)
    except NotFound as exc:
        if exc.code is ErrorCode.NAMESPACE_NOT_FOUND:
            raise
        raise NotFound(
            f"job {job_name!r} does not exist in project {project.name!r}",
            code=ErrorCode.DEPLOYMENT_NOT_FOUND,
        ) from None


def current_run(project: Project, deployment: Deployment) -> Job | None:
    """The deployment's newest job: its current (or last) instance."""
    jobs, _ = project.services.jobs.list(project.scope, deployment.id, Page(0, 1))
    return jobs[0] if jobs else None


def _all_deployments(project: Project) -> list[Deployment]:
    found: list[Deployment] = []
    while True:
        page, total = project.services.deployments.list(project.scope, Page(len(found), _PAGE))
        found.extend(page)
        if not page or len(found) >= total:
            return found


# ----------------------------------------------------------------- create / update


def _check_folder(project: Project, spec: dict[str, Any]) -> None:
    """``folderId`` names a folder of the project (0 is the root ``/``)."""
    raw = spec.get("folderId")
    folders = project.services.folders
    if raw is None or folders is None:
        return
    try:
        folder_id = int(str(raw))
    except ValueError:
        raise FoasError(
            400, INVALID_PARAMETER, f"folderId must be an integer, not {str(raw)[:40]!r}"
        ) from None
    try:
        folders.get_by_id(project.scope, folder_id)
    except NotFound:
        raise FoasError(
            404,
            FOLDER_NOT_FOUND,
            f"folder {folder_id} does not exist in project {project.name!r}: create it "
            "(CreateFolder, GetFolder shows its id) or use 0, the root folder '/'",
        ) from None


def _check_batch_sql(project: Project, spec: dict[str, Any]) -> None:
    """UpdateProjectConfig ``IsOpenBatchSQL=False`` turns batch SQL jobs off."""
    batch = str(spec.get("jobType") or "").upper() == "FLINK_BATCH"
    sql = str(spec.get("apiType") or "").upper() == "SQL"
    if batch and sql and not batch_sql_allowed(project):
        raise FoasError(
            400,
            "OperationDenied",
            f"batch SQL jobs are turned off in project {project.name!r} "
            "(UpdateProjectConfig IsOpenBatchSQL=True turns them on)",
        )


def _patch(project: Project, spec: dict[str, Any], *, name: str | None) -> DeploymentPatch:
    """The deployment the job's fields describe, once the project's rules allow them."""
    _check_folder(project, spec)
    _check_batch_sql(project, spec)
    return deployment_patch(spec, project.scope, name=name, locations=package_locations(project))


def _create(request: Request, ctx: RequestContext, project_name: str, params: Params) -> Response:
    name = params.required("jobName")
    params.required("apiType")
    project = open_project(request, ctx, project_name)
    spec = spec_update(params)
    patch = _patch(project, spec, name=name)
    queue = job_queue(project.services, spec.get("queueName"))
    patch = dataclasses.replace(patch, queue=queue)
    project.services.deployments.create(project.scope, project.actor, patch)
    return ok(ctx.request_id)


@router.post(PROJECT + "/jobs", name="CreateJob")
async def create_job(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_create, request, ctx, projectName, params)


def _rewrite(
    project: Project, deployment: Deployment, spec: dict[str, Any], *, queue: bool = False
) -> Deployment:
    patch = _patch(project, spec, name=None)
    if queue:
        # "" clears the deployment's queue: the default queue.
        named = job_queue(project.services, spec.get("queueName"))
        patch = dataclasses.replace(patch, queue=named or "")
    return project.services.deployments.update(project.scope, project.actor, deployment.id, patch)


def _update(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, params: Params
) -> Response:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    changes = spec_update(params)
    merged = {**spec_of(deployment), **changes}
    _rewrite(project, deployment, merged, queue="queueName" in changes)
    return ok(ctx.request_id)


@router.put(JOB, name="UpdateJob")
async def update_job(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_update, request, ctx, projectName, jobName, params)


def _autoscale(params: Params) -> dict[str, Any]:
    """CommitJob's AutoScale settings, kept and shown as the instances' ``AutoScaleParams``.
    ``isOnOff`` and ``recommendOnly`` also switch the job's autoscaler (``_switch``);
    ``maxCU``, ``configure`` and the suspend periods are recorded only: the autoscaler's
    bounds are parallelisms (UpdateAutoScaleConfig), and "1 CU = 1 core + 4 GB" says
    nothing of how many cores one parallel instance of this job takes."""
    max_cu = params.text("maxCU")
    limit: float | None = None
    if max_cu is not None:
        try:
            limit = float(max_cu)
        except ValueError:
            raise FoasError(
                400, INVALID_PARAMETER, f"maxCU must be a number, not {max_cu[:40]!r}"
            ) from None
    return {
        "isOnOff": params.boolean("isOnOff", False),
        "strategyConfigure": params.text("configure"),
        "maxCU": limit,
        "recommendOnly": params.boolean("recommendOnly", False),
    }


def _set_committed(
    request: Request,
    ctx: RequestContext,
    project_name: str,
    job_name: str,
    committed: bool,
    autoscale: dict[str, Any] | None = None,
) -> Response:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    if not committed:
        run = current_run(project, deployment)
        if run is not None and run.status in _LIVE:
            raise Conflict(
                f"job {job_name!r} has a live instance ({JOB_STATES[run.status]}): stop it "
                "(ModifyInstanceState TERMINATED) before taking the job offline",
                code=ErrorCode.DEPLOYMENT_HAS_LIVE_JOB,
            )
    spec = {**spec_of(deployment), COMMITTED: committed}
    if autoscale is not None:
        if autoscale.pop(_SWITCH, False):
            _switch(project, deployment, autoscale)
        spec[AUTOSCALE] = autoscale
    _rewrite(project, deployment, spec)
    return ok(ctx.request_id)


_SWITCH = "switch"  # internal: whether CommitJob named isOnOff (never stored)


def _switch(project: Project, deployment: Deployment, autoscale: dict[str, Any]) -> None:
    """CommitJob's ``isOnOff`` turns the job's autoscaler on or off (and ``recommendOnly``
    keeps it to recording plans), as UpdateAutoScaleConfig's ``autoscale.enable`` does.
    Validated first (a batch job cannot be autoscaled): a refused switch commits nothing."""
    service = project.services.autoscale
    if service is None:
        return  # a server without an autoscaler: the settings stay recorded only
    patch = AutoscaleConfigPatch(
        enabled=bool(autoscale["isOnOff"]), recommend_only=bool(autoscale["recommendOnly"])
    )
    service.update_config(project.scope, project.actor, deployment.id, patch)


@router.put(JOB + "/commit", name="CommitJob")
async def commit_job(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    params = await read_params(request)
    autoscale = _autoscale(params)
    # Only a CommitJob that names isOnOff switches the autoscaler: committing again
    # without it keeps what UpdateAutoScaleConfig set.
    autoscale[_SWITCH] = params.text("isOnOff") is not None
    return await run_in_threadpool(
        _set_committed, request, ctx, projectName, jobName, True, autoscale
    )


@router.put(JOB + "/offline", name="OfflineJob")
async def offline_job(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_set_committed, request, ctx, projectName, jobName, False)


# ----------------------------------------------------------------- read


def _get(request: Request, ctx: RequestContext, project_name: str, job_name: str) -> Response:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    return ok(ctx.request_id, Job=job_view(deployment, project=project_name))


@router.get(JOB, name="GetJob")
async def get_job(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_get, request, ctx, projectName, jobName)


def _matches(view: dict[str, Any], params: Params) -> bool:
    wanted = {
        "jobName": "JobName",
        "jobType": "JobType",
        "apiType": "ApiType",
        "engineVersion": "EngineVersion",
        "clusterId": "ClusterId",
        "queueName": "QueueName",
    }
    for param, field in wanted.items():
        value = params.text(param)
        if value is None:
            continue
        shown = str(view.get(field) or "")
        if param == "jobName":
            if value.lower() not in shown.lower():
                return False
        elif shown.upper() != value.upper():
            return False
    folder = params.integer("folderId")
    return folder is None or view.get("FolderId") == folder


def _list(request: Request, ctx: RequestContext, project_name: str) -> Response:
    params = Params(dict(request.query_params))
    page_index = params.integer("pageIndex", 1, low=1) or 1
    page_size = min(params.integer("pageSize", 10, low=1) or 10, _MAX_PAGE_SIZE)
    full = params.boolean("isShowFullField", True)
    project = open_project(request, ctx, project_name)
    views = [job_view(d, project=project_name) for d in _all_deployments(project)]
    views = [v for v in views if _matches(v, params)]
    views.sort(key=lambda v: (v.get("CreateTime") or 0, v["JobName"]))
    shown = views[(page_index - 1) * page_size : page_index * page_size]
    if not full:
        # The code and plan can be large; without isShowFullField the list leaves them out.
        shown = [{k: v for k, v in view.items() if k not in {"Code", "PlanJson"}} for view in shown]
    return ok(
        ctx.request_id,
        Jobs={"Job": shown},
        PageIndex=page_index,
        PageSize=page_size,
        TotalCount=len(views),
        TotalPage=(len(views) + page_size - 1) // page_size,
    )


@router.get(PROJECT + "/jobs", name="ListJob")
async def list_job(projectName: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_list, request, ctx, projectName)


# ----------------------------------------------------------------- delete


def _delete(request: Request, ctx: RequestContext, project_name: str, job_name: str) -> Response:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    project.services.deployments.delete(project.scope, project.actor, deployment.id)
    return ok(ctx.request_id)


@router.delete(JOB, name="DeleteJob")
async def delete_job(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_delete, request, ctx, projectName, jobName)


# ----------------------------------------------------------------- validate


def _options(text: str) -> dict[str, str]:
    return dict(_OPTION.findall(text))


def table_io(script: str, *, project: str) -> dict[str, Any]:
    """``JobInOut`` of a SQL script: created tables, the inserted-into ones as outputs."""
    statements = [s for s in script.split(";") if s.strip()]
    tables: dict[str, dict[str, str]] = {}
    outputs: set[str] = set()
    for statement in statements:
        created = _CREATE_TABLE.search(statement)
        if created is not None:
            tables[created.group(1).strip("`")] = _options(statement)
        for inserted in _INSERT.findall(statement):
            outputs.add(inserted.strip("`"))

    def entry(name: str, options: dict[str, str]) -> dict[str, Any]:
        kind = options.get("connector") or options.get("type") or ""
        return {
            "Alias": name,
            "Name": name,
            "Properties": options,
            "Type": kind,
            "Workspace": project,
        }

    inputs = [entry(n, o) for n, o in tables.items() if n not in outputs]
    outs = [entry(n, tables.get(n, {})) for n in sorted(outputs)]
    return {"Dims": [], "Inputs": inputs, "Outputs": outs}


def _validate(request: Request, ctx: RequestContext, project_name: str, job_name: str) -> Response:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    artifact = deployment.artifact
    if artifact.kind is not ArtifactKind.SQLSCRIPT:
        artifact.validate()
        if project.services.artifacts is not None:
            project.services.artifacts.check_artifact(project.scope, artifact)
        return ok(ctx.request_id, JobInOut={"Dims": [], "Inputs": [], "Outputs": []})
    script = artifact.sql_script or ""
    project.services.deployments.validate_sql(
        project.scope,
        script,
        execution_mode=deployment.execution_mode or ExecutionMode.STREAMING,
        flink_conf=deployment.flink_conf,
    )
    return ok(ctx.request_id, JobInOut=table_io(script, project=project_name))


@router.get(JOB + "/validate", name="ValidateJob")
async def validate_job(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_validate, request, ctx, projectName, jobName)
