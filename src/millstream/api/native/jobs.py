"""Native job operations: StartJobWithParams, the deprecated StartJob, ListJobs, GetJob,
StopJob and DeleteJob, at the SDK's paths, and the Millstream extensions SuspendJob
(``/jobs/{id}:suspend``) and ResumeJob (``/jobs/{id}:resume``). The SDK percent-encodes
``:`` as ``%3A``; the ASGI server decodes the path, so routes declare ``/jobs:start``
and ``/jobs/{id}:stop``. Both starts take a client token (Millstream extension) in the
``x-millstream-client-token`` header, StartJobWithParams also as ``clientToken`` in its
body: a repeated start with the same token returns the job the first one created.
StartJobWithParams' ``resourceQueueName`` (an SDK field) names the queue this job is
admitted through, instead of the deployment's; it must exist and allow the namespace.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Annotated

from fastapi import Header, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native import mappers, schemas
from millstream.api.native.params import NAMESPACE, Identifier, PageIndex, PageSize
from millstream.api.native.routing import Ctx, native_router, ok, page
from millstream.api.rendered_rows import RenderedRows
from millstream.api.safe_rows import dumped_one
from millstream.control.ports import Page
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import Job

__all__ = ["router"]

router = native_router()

_PATH = NAMESPACE + "/jobs"
_SORT_NAMES = frozenset({"gmt_create", "gmt_modified"})

ClientToken = Annotated[str | None, Header(alias="x-millstream-client-token")]


@router.post(_PATH + ":start", name="StartJobWithParams")
def start_job_with_params(
    ctx: Ctx, body: schemas.JobStartParameters | None = None, client_token: ClientToken = None
) -> JSONResponse:
    body = body or schemas.JobStartParameters()
    if not body.deployment_id:
        raise InvalidInput("deploymentId is required")
    if client_token is not None and body.client_token not in (None, client_token):
        raise InvalidInput(
            "clientToken in the body differs from the x-millstream-client-token header; "
            "send one of them"
        )
    queue = body.resource_queue_name
    if queue is not None and not queue.strip():
        raise InvalidInput(
            "resourceQueueName is empty: name a queue (ListQueues) or leave it out to use "
            "the deployment's"
        )
    job = ctx.services.jobs.start(
        ctx.scope,
        ctx.actor,
        body.deployment_id,
        restore=mappers.restore_from_wire(body.restore_strategy),
        local_variables=(
            None
            if body.local_variables is None
            else mappers.variables_from_wire(body.local_variables)
        ),
        client_token=client_token if client_token is not None else body.client_token,
        queue=queue,
    )
    return ok(ctx, dumped_one(job, mappers.job_to_wire))


@router.post(_PATH, name="StartJob")
def start_job(
    ctx: Ctx, body: schemas.StartJobRequestBody, client_token: ClientToken = None
) -> JSONResponse:
    """Deprecated StartJob; resources come from the deployment, never from the call."""
    if not body.deployment_id:
        raise InvalidInput("deploymentId is required")
    if body.resource_setting_spec:
        raise InvalidInput(
            "resourceSettingSpec is not supported: set resources on the deployment "
            "(UpdateDeployment), then start the job"
        )
    job = ctx.services.jobs.start(
        ctx.scope,
        ctx.actor,
        body.deployment_id,
        restore=mappers.restore_from_wire(body.restore_strategy),
        client_token=client_token,
    )
    return ok(ctx, dumped_one(job, mappers.job_to_wire))


@router.get(_PATH, name="ListJobs")
def list_jobs(
    ctx: Ctx,
    deployment_id: Annotated[str, Query(alias="deploymentId", min_length=1)],
    page_index: PageIndex = 1,
    page_size: PageSize = 10,
    sort_name: Annotated[str | None, Query(alias="sortName")] = None,
    sort_order: Annotated[str | None, Query(alias="sortOrder")] = None,
) -> JSONResponse:
    # Jobs are ordered by creation; gmt_modified is accepted as the same order.
    if sort_name is not None and sort_name.lower() not in _SORT_NAMES:
        valid = ", ".join(sorted(_SORT_NAMES))
        raise InvalidInput(f"unknown sortName {sort_name!r}; use one of {valid}")
    order = (sort_order or "desc").lower()
    if order not in {"asc", "desc"}:
        raise InvalidInput(f"unknown sortOrder {sort_order!r}; use asc or desc")
    jobs = ctx.services.jobs
    keys, total = jobs.list_keys(
        ctx.scope,
        deployment_id,
        Page(offset=(page_index - 1) * page_size, limit=page_size),
        newest_first=order == "desc",
    )
    items = _rendered(ctx).page(keys, lambda ids: jobs.get_many(ctx.scope, ids))
    return page(ctx, items, page_index, page_size, total)


@router.get(_PATH + "/{job_id}", name="GetJob")
def get_job(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    # The job's version, then its rendering at that version if kept (see ListJobs).
    jobs = ctx.services.jobs
    key = jobs.key(ctx.scope, job_id)
    found = _rendered(ctx).page([key], lambda ids: jobs.get_many(ctx.scope, ids))
    if not found:  # deleted since (NotFound), or it cannot be rendered at all (logged)
        return ok(ctx, dumped_one(jobs.get(ctx.scope, job_id), mappers.job_to_wire))
    return ok(ctx, found[0])


def _rendered(ctx: RequestContext) -> RenderedRows[Job]:
    """The jobs' wire JSON by (id, version), shared by GetJob and ListJobs."""
    return ctx.kept("native.jobs", lambda: RenderedRows[Job](mappers.job_to_wire))


@router.post(_PATH + "/{job_id}:stop", name="StopJob")
def stop_job(ctx: Ctx, job_id: Identifier, body: schemas.StopJobRequestBody) -> JSONResponse:
    strategy = mappers.stop_strategy_from_wire(body.stop_strategy)
    job = ctx.services.jobs.stop(ctx.scope, ctx.actor, job_id, strategy)
    return ok(ctx, dumped_one(job, mappers.job_to_wire))


@router.post(_PATH + "/{job_id}:suspend", name="SuspendJob")
def suspend_job(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    """Millstream extension: stop with a savepoint and keep the job SUSPENDED."""
    job = ctx.services.jobs.suspend(ctx.scope, ctx.actor, job_id)
    return ok(ctx, dumped_one(job, mappers.job_to_wire))


@router.post(_PATH + "/{job_id}:resume", name="ResumeJob")
def resume_job(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    """Millstream extension: run a SUSPENDED job again from its suspend savepoint."""
    job = ctx.services.jobs.resume(ctx.scope, ctx.actor, job_id)
    return ok(ctx, dumped_one(job, mappers.job_to_wire))


@router.delete(_PATH + "/{job_id}", name="DeleteJob")
def delete_job(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    ctx.services.jobs.delete(ctx.scope, ctx.actor, job_id)
    return ok(ctx)
