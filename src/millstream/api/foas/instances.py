"""foas instances (spec §3.1 and StartJob): the runs of a job, each a Millstream job with
an integer ``instanceId`` (``ids``).

- StartJob creates the job's next instance (desired RUNNING; WAITING while queued or
  submitted, then RUNNING on Flink). ``parameterJson``: ``startOffset`` (ms) is the
  sources' start time (``RestoreStrategy.job_start_time_ms``); the document's run
  parameters (``blink.checkpoint.interval.ms`` ...) are merged into the job's
  ``properties`` first (``mappers.flink_conf_of`` translates them), so the instance runs
  with them and GetJob shows them; ``restoreStrategy`` (``NONE`` default,
  ``LATEST_SAVEPOINT``, ``LATEST_STATE``; Millstream's addition, not in the document)
  starts from the job's saved state. A job with a live instance is refused
  (``Job.InvalidState``).
- ModifyInstanceState: ``PAUSED`` suspends a RUNNING instance with a savepoint (Flink's
  "checkpoint" of the document: a pause always keeps state, as resuming needs it, so
  ``triggerCheckpoint`` False still takes one); ``RUNNING`` resumes a PAUSED instance from
  that savepoint (``isFlush`` is accepted; the instance keeps its configuration);
  ``TERMINATED`` stops, with a savepoint when ``triggerCheckpoint`` is True.
- ``instanceId`` ``-1`` is the job's current (newest) instance (spec §2.1); a number of
  another job's instance is not found.
- GetInstance, GetInstanceRunSummary, ListInstance (filters, time bounds, paging, archived
  = ended instances), BatchGetInstanceRunSummary, GetInstanceFinalState and
  GetInstanceResource from the store; GetInstanceDetail, GetInstanceConfig,
  GetInstanceExceptions and GetInstanceCheckpoint ask Flink (``/jobs/:jid``, ``/config``,
  ``/exceptions``, ``/checkpoints`` through the diagnosis service) and answer its JSON as a
  string, as the document does.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.jobs import current_run, deployment_named
from millstream.api.foas.mappers import (
    deployment_patch,
    instance_view,
    parse_properties,
    run_summary,
    spec_of,
)
from millstream.api.foas.routing import INSTANCE, JOB, PROJECT, Params, foas_router, read_params
from millstream.api.foas.scan import package_locations
from millstream.api.foas.states import EXPECT_STATES, PAUSED, RUNNING, TERMINATED, actual_state
from millstream.control.ports import Page
from millstream.control.services.diagnosis import ProxyResource
from millstream.domain.clusters import SLOTS_KEY
from millstream.domain.deployments import Deployment
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound, Unavailable
from millstream.domain.jobs import (
    DesiredState,
    Job,
    JobStatus,
    RestoreKind,
    RestoreStrategy,
    StopStrategy,
)

__all__ = ["instance_of", "router"]

router = foas_router()

CURRENT = -1
_MAX_PAGE_SIZE = 100
_JOBS_PAGE = 200
_RESTORE_KINDS = {"NONE", "LATEST_SAVEPOINT", "LATEST_STATE"}
# parameterJson keys StartJob reads itself; the others are run parameters (properties).
_START_KEYS = frozenset({"startOffset", "restoreStrategy"})


def _instance_number(raw: str) -> int:
    try:
        number = int(raw)
    except ValueError:
        raise FoasError(
            400, INVALID_PARAMETER, f"instanceId must be an integer or -1, not {raw[:40]!r}"
        ) from None
    if number < CURRENT:
        raise FoasError(400, INVALID_PARAMETER, "instanceId must be -1 or an instance id")
    return number


def instance_of(project: Project, deployment: Deployment, raw_id: str) -> tuple[Job, int]:
    """The job an ``instanceId`` names within the deployment, and its number."""
    number = _instance_number(raw_id)
    if number == CURRENT:
        job = current_run(project, deployment)
        if job is None:
            raise NotFound(
                f"job {deployment.name!r} has no instance: start it first (StartJob)",
                code=ErrorCode.JOB_NOT_FOUND,
            )
        return job, project.ids.instance_id(job.id)
    missing = NotFound(
        f"instance {number} of job {deployment.name!r} does not exist",
        code=ErrorCode.JOB_NOT_FOUND,
    )
    try:
        job = project.services.jobs.get(project.scope, project.ids.job_id(number))
    except NotFound:
        raise missing from None
    if job.deployment_id != deployment.id:
        raise missing
    return job, number


def _open(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, raw_id: str
) -> tuple[Project, Deployment, Job, int]:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    job, number = instance_of(project, deployment, raw_id)
    return project, deployment, job, number


# ----------------------------------------------------------------- start


def _parameters(params: Params) -> dict[str, Any]:
    raw = params.text("parameterJson")
    if raw is None:
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise FoasError(400, INVALID_PARAMETER, "parameterJson is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise FoasError(400, INVALID_PARAMETER, "parameterJson must be a JSON object")
    return decoded


def _restore(parameters: dict[str, Any]) -> RestoreStrategy:
    kind = str(parameters.get("restoreStrategy") or "NONE").upper()
    if kind not in _RESTORE_KINDS:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"restoreStrategy must be one of {', '.join(sorted(_RESTORE_KINDS))}, not {kind!r}",
        )
    offset = parameters.get("startOffset")
    if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int | str)):
        raise FoasError(400, INVALID_PARAMETER, "startOffset must be milliseconds since 1970")
    try:
        start_ms = int(offset) if offset is not None else None
    except ValueError:
        raise FoasError(400, INVALID_PARAMETER, "startOffset must be epoch milliseconds") from None
    return RestoreStrategy(
        kind=RestoreKind(kind), allow_non_restored_state=True, job_start_time_ms=start_ms
    )


def _with_run_parameters(
    project: Project, deployment: Deployment, parameters: dict[str, Any]
) -> Deployment:
    """The deployment with the run parameters merged into its properties."""
    run = {k: v for k, v in parameters.items() if k not in _START_KEYS}
    if not run:
        return deployment
    spec = spec_of(deployment)
    properties = parse_properties(spec.get("properties"))
    properties.update({str(k): str(v) for k, v in run.items()})
    spec["properties"] = "\n".join(f"{k}={v}" for k, v in properties.items())
    patch = deployment_patch(spec, project.scope, name=None, locations=package_locations(project))
    return project.services.deployments.update(project.scope, project.actor, deployment.id, patch)


def _start(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, params: Params
) -> Response:
    parameters = _parameters(params)
    restore = _restore(parameters)
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    live = current_run(project, deployment)
    if live is not None and not live.is_terminal:
        raise Conflict(
            f"job {job_name!r} already has a live instance "
            f"{project.ids.instance_id(live.id)} ({actual_state(live)}): stop it first",
            code=ErrorCode.JOB_ALREADY_LIVE,
        )
    deployment = _with_run_parameters(project, deployment, parameters)
    job = project.services.jobs.start(project.scope, project.actor, deployment.id, restore=restore)
    return ok(ctx.request_id, instanceId=project.ids.instance_id(job.id))


@router.post(JOB + "/instance", name="StartJob")
async def start_job(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_start, request, ctx, projectName, jobName, params)


# ----------------------------------------------------------------- expected state


def _modify(
    request: Request,
    ctx: RequestContext,
    project_name: str,
    job_name: str,
    raw_id: str,
    params: Params,
) -> Response:
    wanted = params.required("expectState").upper()
    if wanted not in EXPECT_STATES:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"expectState must be RUNNING, PAUSED or TERMINATED, not {wanted[:40]!r} "
            "(SUCCESS and FAILED are outcomes of batch instances, not requests)",
        )
    checkpoint = params.boolean("triggerCheckpoint", False)
    params.boolean("isFlush", True)  # validated; the instance keeps its configuration
    project, _, job, number = _open(request, ctx, project_name, job_name, raw_id)
    jobs = project.services.jobs
    if wanted == PAUSED:
        jobs.suspend(project.scope, project.actor, job.id)
    elif wanted == RUNNING:
        already = job.desired is DesiredState.RUNNING and not job.is_terminal
        if not already:
            if job.status is not JobStatus.SUSPENDED:
                raise InvalidInput(
                    f"instance {number} is {actual_state(job)}: only a PAUSED instance can be "
                    "resumed; start the job again (StartJob)",
                    code=ErrorCode.INVALID_TRANSITION,
                )
            jobs.resume(project.scope, project.actor, job.id)
    else:
        assert wanted == TERMINATED
        strategy = StopStrategy.STOP_WITH_SAVEPOINT if checkpoint else StopStrategy.NONE
        if job.status is JobStatus.SUSPENDED:
            strategy = StopStrategy.NONE  # its state is already in the pause's savepoint
        jobs.stop(project.scope, project.actor, job.id, strategy)
    return ok(ctx.request_id)


@router.put(INSTANCE + "/expectstate", name="ModifyInstanceState")
async def modify_instance_state(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_modify, request, ctx, projectName, jobName, instanceId, params)


# ----------------------------------------------------------------- one instance


def _get(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, raw_id: str
) -> Response:
    _, _, job, number = _open(request, ctx, project_name, job_name, raw_id)
    return ok(ctx.request_id, Instance=instance_view(job, number=number, project=project_name))


@router.get(INSTANCE, name="GetInstance")
async def get_instance(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_get, request, ctx, projectName, jobName, instanceId)


def _summary(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, raw_id: str
) -> Response:
    _, _, job, number = _open(request, ctx, project_name, job_name, raw_id)
    return ok(ctx.request_id, RunSummary=run_summary(job, number=number))


@router.get(INSTANCE + "/runsummary", name="GetInstanceRunSummary")
async def get_instance_run_summary(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_summary, request, ctx, projectName, jobName, instanceId)


def _final_state(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, raw_id: str
) -> Response:
    _, _, job, _ = _open(request, ctx, project_name, job_name, raw_id)
    # YARN's final state of the application; here Flink's last observed job state.
    state = job.observed.state.value if job.observed.state else job.status.value
    return ok(ctx.request_id, Finalstate=state)


@router.get(INSTANCE + "/finalstate", name="GetInstanceFinalState")
async def get_instance_final_state(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_final_state, request, ctx, projectName, jobName, instanceId)


def _resource(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, raw_id: str
) -> Response:
    _, _, job, _ = _open(request, ctx, project_name, job_name, raw_id)
    slots = int(job.flink_conf.get(SLOTS_KEY) or 1)
    cores = job.resources.total_cpu(slots)
    mb = job.resources.total_memory_bytes(slots) // (1024 * 1024)
    held = job.status in {JobStatus.RUNNING, JobStatus.CANCELLING}
    resource = {
        "AllocatedMB": mb,
        "AllocatedVirtualCores": math.ceil(cores),
        # What a running instance holds; nothing once it stopped.
        "TotalMB": mb if held else 0,
        "TotalVirtualCores": math.ceil(cores) if held else 0,
    }
    return ok(ctx.request_id, Resource=resource)


@router.get(INSTANCE + "/resource", name="GetInstanceResource")
async def get_instance_resource(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_resource, request, ctx, projectName, jobName, instanceId)


def _flink(
    request: Request,
    ctx: RequestContext,
    project_name: str,
    job_name: str,
    raw_id: str,
    suffix: str,
    field: str,
) -> Response:
    project, _, job, number = _open(request, ctx, project_name, job_name, raw_id)
    diagnosis = project.services.diagnosis
    if diagnosis is None:
        raise Unavailable("this server does not reach Flink's REST API (no diagnosis service)")
    if job.flink_job_id is None or job.status is not JobStatus.RUNNING:
        raise InvalidInput(
            f"instance {number} is {actual_state(job)}: Flink reports on running instances",
            code=ErrorCode.JOB_NOT_RUNNING,
        )
    found = diagnosis.proxy(project.scope, ProxyResource("jobs", job.id), f"/jobs/{job.id}{suffix}")
    return ok(ctx.request_id, **{field: json.dumps(found, separators=(",", ":"))})


@router.get(INSTANCE + "/details", name="GetInstanceDetail")
async def get_instance_detail(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(
        _flink, request, ctx, projectName, jobName, instanceId, "", "Detail"
    )


@router.get(INSTANCE + "/exceptions", name="GetInstanceExceptions")
async def get_instance_exceptions(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(
        _flink, request, ctx, projectName, jobName, instanceId, "/exceptions", "Exceptions"
    )


@router.get(INSTANCE + "/config", name="GetInstanceConfig")
async def get_instance_config(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(
        _flink, request, ctx, projectName, jobName, instanceId, "/config", "Config"
    )


@router.get(INSTANCE + "/checkpoints", name="GetInstanceCheckpoint")
async def get_instance_checkpoint(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(
        _flink, request, ctx, projectName, jobName, instanceId, "/checkpoints", "Checkpoints"
    )


# ----------------------------------------------------------------- lists


def _runs(project: Project, deployment: Deployment) -> list[Job]:
    found: list[Job] = []
    while True:
        page, total = project.services.jobs.list(
            project.scope, deployment.id, Page(len(found), _JOBS_PAGE)
        )
        found.extend(page)
        if not page or len(found) >= total:
            return found


def _deployments(project: Project, job_name: str | None) -> list[Deployment]:
    if job_name is not None:
        return [deployment_named(project, job_name)]
    found: list[Deployment] = []
    while True:
        page, total = project.services.deployments.list(project.scope, Page(len(found), 500))
        found.extend(page)
        if not page or len(found) >= total:
            return found


def _millis_between(params: Params, low: str, high: str) -> tuple[int | None, int | None]:
    first = params.integer(low)
    second = params.integer(high)
    # The document labels the bounds "upper"/"lower" inconsistently (spec §3.1.11 (?)):
    # the two values bound a range whichever order they come in.
    if first is not None and second is not None and first > second:
        first, second = second, first
    return first, second


def _in_range(moment: int | None, bounds: tuple[int | None, int | None]) -> bool:
    low, high = bounds
    if low is None and high is None:
        return True
    if moment is None:
        return False
    return (low is None or moment >= low) and (high is None or moment <= high)


def _list(request: Request, ctx: RequestContext, project_name: str) -> Response:
    params = Params(dict(request.query_params))
    page_index = params.integer("pageIndex", 1, low=1) or 1
    page_size = min(params.integer("pageSize", 10, low=1) or 10, _MAX_PAGE_SIZE)
    archived = params.boolean("isArchived", False)
    started = _millis_between(params, "startBeginTs", "startEndTs")
    ended = _millis_between(params, "endBeginTs", "endEndTs")
    wanted = {
        field: value.upper()
        for field, value in (
            ("JobType", params.text("jobType")),
            ("ApiType", params.text("apiType")),
            ("ExpectState", params.text("expectState")),
            ("ActualState", params.text("actualState")),
        )
        if value is not None
    }
    project = open_project(request, ctx, project_name)
    views: list[dict[str, Any]] = []
    for deployment in _deployments(project, params.text("jobName")):
        runs = _runs(project, deployment)
        numbers = project.ids.instance_ids(job.id for job in runs)
        for job in runs:
            # Archived: the instances that ended (a stream job's older runs).
            if job.is_terminal is not archived:
                continue
            view = instance_view(job, number=numbers[job.id], project=project_name)
            if any(str(view.get(f, "")).upper() != v for f, v in wanted.items()):
                continue
            if not _in_range(view.get("StartTime"), started):
                continue
            if not _in_range(view.get("EndTime"), ended):
                continue
            views.append(view)
    views.sort(key=lambda view: view["Id"], reverse=True)
    shown = views[(page_index - 1) * page_size : page_index * page_size]
    return ok(
        ctx.request_id,
        Instances={"Instance": shown},
        PageIndex=page_index,
        PageSize=page_size,
        TotalCount=len(views),
        TotalPage=(len(views) + page_size - 1) // page_size,
    )


@router.get(PROJECT + "/instances", name="ListInstance")
async def list_instance(projectName: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_list, request, ctx, projectName)


def _batch_summary(request: Request, ctx: RequestContext, project_name: str) -> Response:
    params = Params(dict(request.query_params))
    names = [n.strip() for n in params.required("jobNames").split(",") if n.strip()]
    project = open_project(request, ctx, project_name)
    summaries = []
    for name in names:
        deployment = deployment_named(project, name)
        job = current_run(project, deployment)
        if job is not None:
            summaries.append(run_summary(job, number=project.ids.instance_id(job.id)))
    return ok(ctx.request_id, RunSummarys={"RunSummary": summaries})


@router.get(PROJECT + "/runsummary", name="BatchGetInstanceRunSummary")
async def batch_get_instance_run_summary(
    projectName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_batch_summary, request, ctx, projectName)
