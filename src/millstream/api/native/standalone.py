"""Serving some native route modules over single services, without a whole ``Services``.

The server serves the whole native dialect over its ``Services`` bundle. Tests and tools
that wire one service (``build_artifacts_router(artifacts, guard, ...)``) get the same
module-level routes through ``standalone_router``: the use cases the routes would need
but were not given answer "not enabled" (404) instead of being built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from fastapi import APIRouter

from millstream.api.dialect import Binding, Guard, bound_router
from millstream.control.engine_versions import EngineVersions
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.domain.errors import NotFound

__all__ = ["standalone_router"]


class _NotWired:
    """Stands in for a use case a standalone router was not given."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise NotFound(f"{self._name} are not enabled on this server")


def standalone_router(
    routers: Sequence[APIRouter],
    guard: Guard,
    default_workspace: str,
    *,
    public_url: str | None = None,
    **wired: Any,
) -> APIRouter:
    """``routers`` bound to ``guard`` and the services in ``wired`` (``Services`` field
    names, e.g. ``clusters=service``)."""
    services = Services(
        deployments=cast(DeploymentService, _NotWired("deployments")),
        jobs=cast(JobService, _NotWired("jobs")),
        savepoints=cast(SavepointService, _NotWired("savepoints")),
        events=cast(EventService, _NotWired("events")),
        versions=cast(EngineVersions, _NotWired("engine versions")),
        default_workspace=default_workspace,
        **wired,
    )
    return bound_router(routers, Binding(services, guard, public_url))
