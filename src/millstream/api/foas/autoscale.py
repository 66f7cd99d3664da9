"""foas autoscaling (spec §3.3.12, §3.3.13, §3.1.13, §3.1.14): UpdateAutoScaleConfig,
GetJobLatestAutoScalePlan, GetInstanceHistoryAutoScalePlanList and
GetInstanceHistoryAutoScalePlanContent, over Millstream's autoscaler
(``control.autoscaler``).

The document sets AutoScale per instance; Millstream keeps the settings on the job (the
deployment), because every autoscaling restart creates the job's next instance and the
settings must carry over. ``configJson`` is a JSON object of these keys (values as JSON
or as strings; unnamed settings keep their value):

- ``autoscale.enable`` (the document's key) — turn autoscaling on or off;
- ``autoscale.min-parallelism`` / ``autoscale.max-parallelism`` — the bounds (1 / 4);
- ``autoscale.target-utilization`` — busy share of the busiest vertex to aim for (0.7);
- ``autoscale.utilization-boundary`` — no change within target ± boundary (0.2);
- ``autoscale.cool-down-seconds`` — after a change or a start before the next (300);
- ``autoscale.recommend-only`` — record plans, never apply them (false).

A plan's name is the second it was made (``2026-12-04 21:30:05``); its content (and
``PlanJson``) is a JSON document: the decision, the outcome (``KEPT``, ``APPLIED``,
``RECOMMENDED``, ``COOLING_DOWN``, ``FAILED``), the settings and the vertices' loads it
was made from. ``instanceId`` ``-1`` lists the plans of every instance of the job; a
number lists that instance's.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.instances import instance_of
from millstream.api.foas.jobs import deployment_named
from millstream.api.foas.routing import JOB, Params, foas_router, read_params
from millstream.control.services.autoscale import AutoscaleService
from millstream.domain.autoscale import AutoscaleConfig, AutoscaleConfigPatch, AutoscalePlan
from millstream.domain.deployments import Deployment
from millstream.domain.errors import ErrorCode, NotFound, Unavailable

__all__ = ["CONFIG_KEYS", "router"]

router = foas_router()

_INSTANCE = JOB + "/instance/{instanceId}"
_MAX_PLAN_NAME = 64
_LISTED = 500

# configJson key -> (AutoscaleConfigPatch field, type)
CONFIG_KEYS: dict[str, tuple[str, type]] = {
    "autoscale.enable": ("enabled", bool),
    "autoscale.min-parallelism": ("min_parallelism", int),
    "autoscale.max-parallelism": ("max_parallelism", int),
    "autoscale.target-utilization": ("target_utilization", float),
    "autoscale.utilization-boundary": ("utilization_boundary", float),
    "autoscale.cool-down-seconds": ("cool_down_seconds", float),
    "autoscale.recommend-only": ("recommend_only", bool),
}


def _service(project: Project) -> AutoscaleService:
    service = project.services.autoscale
    if service is None:
        raise Unavailable("this server runs no autoscaler")
    return service


def _typed(key: str, kind: type, value: Any) -> bool | int | float:
    def bad(expected: str) -> FoasError:
        shown = json.dumps(value)[:40]
        return FoasError(
            400, INVALID_PARAMETER, f"configJson {key} must be {expected}, not {shown}"
        )

    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise bad("true or false")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad("a number")
    try:
        number = float(value)
    except ValueError:
        raise bad("a number") from None
    if kind is int:
        if not number.is_integer():
            raise bad("a whole number")
        return int(number)
    if number != number or number in (float("inf"), float("-inf")):
        raise bad("a finite number")
    return number


def _patch(params: Params) -> AutoscaleConfigPatch:
    raw = params.required("configJson")
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        raise FoasError(400, INVALID_PARAMETER, "configJson is not valid JSON") from None
    if not isinstance(decoded, dict) or not decoded:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"configJson must be a JSON object of one or more of: {', '.join(CONFIG_KEYS)}",
        )
    unknown = sorted(str(key) for key in decoded if key not in CONFIG_KEYS)
    if unknown:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"configJson key {', '.join(k[:60] for k in unknown[:5])} is not known; use "
            f"{', '.join(CONFIG_KEYS)}",
        )
    changes: dict[str, Any] = {}
    for key, value in decoded.items():
        field, kind = CONFIG_KEYS[key]
        changes[field] = _typed(key, kind, value)
    return AutoscaleConfigPatch(**changes)


def _config_view(config: AutoscaleConfig) -> dict[str, Any]:
    return {
        "autoscale.enable": config.enabled,
        "autoscale.min-parallelism": config.min_parallelism,
        "autoscale.max-parallelism": config.max_parallelism,
        "autoscale.target-utilization": config.target_utilization,
        "autoscale.utilization-boundary": config.utilization_boundary,
        "autoscale.cool-down-seconds": config.cool_down_seconds,
        "autoscale.recommend-only": config.recommend_only,
    }


def _instance_number(project: Project, job_id: str) -> int | None:
    try:
        return project.ids.instance_id(job_id)
    except NotFound:  # the plan outlived its instance (a deleted job)
        return None


def _plan_view(project: Project, deployment: Deployment, plan: AutoscalePlan) -> str:
    decision = plan.decision
    return json.dumps(
        {
            "planName": plan.name,
            "jobName": deployment.name,
            "instanceId": _instance_number(project, plan.job_id),
            "createdAt": int(plan.created_at.timestamp() * 1000),
            "action": plan.action.value,
            "outcome": plan.outcome.value,
            "reason": decision.reason,
            "message": plan.message,
            "currentParallelism": decision.current_parallelism,
            "proposedParallelism": decision.proposed_parallelism,
            "utilization": decision.utilization,
            "bottleneck": decision.bottleneck,
            "hotUpdateId": plan.hot_update_id,
            "config": _config_view(plan.config),
            "vertices": [
                {
                    "id": load.vertex_id,
                    "name": load.name,
                    "parallelism": load.parallelism,
                    "busyTimeMsPerSecond": load.busy_ms_per_second,
                    "backPressuredTimeMsPerSecond": load.backpressured_ms_per_second,
                }
                for load in plan.inputs
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _instance_job(project: Project, deployment: Deployment, raw_id: str) -> str | None:
    """The job an ``instanceId`` names; ``None`` for ``-1`` (every instance of the job)."""
    if raw_id.strip() == "-1":
        return None
    job, _ = instance_of(project, deployment, raw_id)
    return job.id


# ----------------------------------------------------------------- UpdateAutoScaleConfig


def _update_config(
    request: Request,
    ctx: RequestContext,
    project_name: str,
    job_name: str,
    raw_id: str,
    params: Params,
) -> Response:
    patch = _patch(params)
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    _instance_job(project, deployment, raw_id)  # a named instance must be this job's
    config = _service(project).update_config(project.scope, ctx.actor, deployment.id, patch)
    return ok(ctx.request_id, AutoScaleConfig=json.dumps(_config_view(config)))


@router.put(_INSTANCE + "/autoscale/config", name="UpdateAutoScaleConfig")
async def update_auto_scale_config(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(
        _update_config, request, ctx, projectName, jobName, instanceId, params
    )


# ----------------------------------------------------------------- plans


def _latest(request: Request, ctx: RequestContext, project_name: str, job_name: str) -> Response:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    plan = _service(project).latest_plan(project.scope, deployment.id)
    if plan is None:  # the document: null when the job has no plan
        return ok(ctx.request_id)
    return ok(ctx.request_id, PlanJson=_plan_view(project, deployment, plan))


@router.get(JOB + "/autoscale/latestplanjson", name="GetJobLatestAutoScalePlan")
async def get_job_latest_auto_scale_plan(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_latest, request, ctx, projectName, jobName)


def _list(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, raw_id: str
) -> Response:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    job_id = _instance_job(project, deployment, raw_id)
    plans = _service(project).plans(project.scope, deployment.id, job_id=job_id, limit=_LISTED)
    return ok(ctx.request_id, PlanList=[plan.name for plan in plans])


@router.get(_INSTANCE + "/autoscale/planlist", name="GetInstanceHistoryAutoScalePlanList")
async def get_instance_history_auto_scale_plan_list(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_list, request, ctx, projectName, jobName, instanceId)


def _content(
    request: Request,
    ctx: RequestContext,
    project_name: str,
    job_name: str,
    raw_id: str,
    params: Params,
) -> Response:
    name = params.required("planName")
    if len(name) > _MAX_PLAN_NAME:
        raise FoasError(400, INVALID_PARAMETER, f"planName is longer than {_MAX_PLAN_NAME}")
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    job_id = _instance_job(project, deployment, raw_id)
    service = _service(project)
    plan = service.plan(project.scope, deployment.id, name)
    if job_id is not None and plan.job_id != job_id:
        raise NotFound(
            f"instance {raw_id} has no autoscaling plan named {name!r}", code=ErrorCode.NOT_FOUND
        )
    return ok(ctx.request_id, PlanContent=_plan_view(project, deployment, plan))


@router.get(_INSTANCE + "/autoscale/plancontent", name="GetInstanceHistoryAutoScalePlanContent")
async def get_instance_history_auto_scale_plan_content(
    projectName: str,
    jobName: str,
    instanceId: str,
    request: Request,
    ctx: Context,
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_content, request, ctx, projectName, jobName, instanceId, params)
