"""What the console's pages show, read from the services: the deployment list (with a
substring name filter), a deployment's and a job's live panels. Called by the route
modules in ``web/routes/``; the values go straight into the templates."""

from __future__ import annotations

from typing import Any

from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.domain.health import HealthState, HealthStatus
from millstream.domain.jobs import Job
from millstream.web import views, wording
from millstream.web.responder import Console, RequestContext

__all__ = ["FILTER_SCAN", "deployment_live", "deployment_rows", "job_live", "latest_job"]


_PAGE_SIZE = 20
FILTER_SCAN = 1000  # deployments a name filter (and the clusters page) looks through


def latest_job(console: Console, scope: Scope, deployment_id: str) -> Job | None:
    jobs, _ = console.services.jobs.list(scope, deployment_id, Page(0, 1))
    return jobs[0] if jobs else None


def deployment_rows(
    console: Console, ctx: RequestContext, name: str, page_number: int
) -> dict[str, Any]:
    pager = views.Pager.of(page_number, _PAGE_SIZE)
    needle = name.strip().lower()
    if needle:
        # The service matches names exactly; the console filters by substring over
        # the first FILTER_SCAN deployments and pages the matches itself.
        everything, _ = console.services.deployments.list(ctx.scope, Page(0, FILTER_SCAN))
        matches = [d for d in everything if needle in d.name.lower()]
        deployments, total = matches[pager.offset : pager.offset + pager.size], len(matches)
    else:
        deployments, total = console.services.deployments.list(
            ctx.scope, Page(pager.offset, pager.size)
        )
    rows = []
    for deployment in deployments:
        job = latest_job(console, ctx.scope, deployment.id)
        rows.append((deployment, job, views.display_status(job)))
    return {"rows": rows, "pager": pager.with_total(total), "name": name}


def deployment_live(console: Console, ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    scope = ctx.scope
    deployment = console.services.deployments.get(scope, deployment_id)
    jobs, jobs_total = console.services.jobs.list(scope, deployment_id, Page(0, 10))
    savepoints, savepoints_total = console.services.savepoints.list(
        scope, Page(0, 10), deployment_id=deployment_id
    )
    events, _ = console.services.events.list(scope, Page(0, 15), deployment_id=deployment_id)
    latest = jobs[0] if jobs else None
    live = latest if latest is not None and not latest.is_terminal else None
    return {
        "deployment": deployment,
        "jobs": jobs,
        "jobs_total": jobs_total,
        "latest": latest,
        "live": live,
        "status": views.display_status(latest),
        "savepoints": savepoints,
        "savepoints_total": savepoints_total,
        "events": events,
        "health": _health(console, deployment.id),
    }


def job_live(console: Console, ctx: RequestContext, job_id: str) -> dict[str, Any]:
    scope = ctx.scope
    job = console.services.jobs.get(scope, job_id)
    events, _ = console.services.events.list(scope, Page(0, 200), job_id=job_id)
    savepoints, _ = console.services.savepoints.list(scope, Page(0, 50), job_id=job_id)
    now = console.clock()
    segments = views.timeline(events, now=now)
    return {
        "job": job,
        "status": views.display_status(job),
        "events": events[:30],
        "segments": segments,
        "savepoints": savepoints,
        "flink_job_url": views.flink_job_url(console.flink_ui_url(), job),
        "ran_for": wording.ran_for(job, segments, now),
        "restarts": wording.restarts(job),
        "health": _health(console, job.deployment_id, job_id=job.id),
    }


def _health(
    console: Console, deployment_id: str, *, job_id: str | None = None
) -> HealthStatus | None:
    """The deployment's stored health when it is checked and has a verdict (of that job,
    when ``job_id`` is given); else ``None``."""
    service = console.services.health
    if service is None:
        return None
    status = service.statuses([deployment_id]).get(deployment_id)
    if status is None or status.state is HealthState.UNKNOWN:
        return None
    if job_id is not None and status.job_id != job_id:
        return None
    return status
