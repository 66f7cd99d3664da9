"""The native dialect's route modules, in the order the app serves them.

One module per resource, each a ``router = native_router()`` of module-level handlers
named after their operations (``operation_table.OPERATIONS``). To add a route module,
write it and list its ``router`` here. ``build_router`` serves them all over one
``Services`` bundle and guard (what ``api.native.NATIVE.router`` does).
"""

from __future__ import annotations

from fastapi import APIRouter

from millstream.api.dialect import Guard, bound_router
from millstream.api.dialect.routing import Binding
from millstream.api.native import (
    access_keys,
    ai_agent,
    alerts,
    artifacts,
    autopilot,
    deployment_drafts,
    deployment_targets,
    deployments,
    deployments_by_ip,
    diagnoses,
    draft_tickets,
    engine_versions,
    events,
    flink_proxy,
    folders,
    health,
    hot_updates,
    job_insights,
    jobs,
    lineage,
    logs,
    members,
    patrol,
    queues,
    resource_plans,
    savepoint_schedules,
    savepoints,
    scheduled_plans,
    session_clusters,
    sql,
    sql_catalogs,
    sql_files,
    sql_previews,
    udfs,
    variables,
)
from millstream.control.services import Services

__all__ = ["ROUTERS", "Authenticate", "build_router"]

# Kept for callers of the first wave: the guard's type.
Authenticate = Guard

# Order matters only where paths overlap: ``jobs/hot-updates/{id}`` (hot_updates) and
# ``jobs/{job_id}/logs`` (logs) before ``jobs/{job_id}`` (jobs); ``.../deployments/{id}/
# jobs/...`` (diagnoses, logs) before ``deployments/{id}`` (deployments).
ROUTERS: tuple[APIRouter, ...] = (
    hot_updates.router,
    diagnoses.router,
    logs.router,
    flink_proxy.router,
    deployments_by_ip.router,
    savepoint_schedules.router,
    job_insights.router,
    health.router,
    draft_tickets.router,
    resource_plans.router,
    scheduled_plans.router,
    lineage.router,
    deployments.router,
    jobs.router,
    savepoints.router,
    events.router,
    sql.router,
    engine_versions.router,
    artifacts.router,
    session_clusters.router,
    deployment_targets.router,
    variables.router,
    folders.router,
    sql_files.router,
    sql_catalogs.router,
    sql_previews.router,
    udfs.router,
    deployment_drafts.router,
    members.router,
    access_keys.router,
    queues.router,
    autopilot.router,
    patrol.router,
    ai_agent.router,
    alerts.router,
)


def build_router(
    services: Services, authenticate: Guard, *, public_url: str | None = None
) -> APIRouter:
    """Every native route over ``services``; ``authenticate`` resolves the caller."""
    return bound_router(ROUTERS, Binding(services, authenticate, public_url))
