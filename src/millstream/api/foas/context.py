"""Which Millstream scope a foas ``projectName`` names, and the caller's role check there.

A project is a namespace of the installation's default workspace (DESIGN.md §2: one
namespace per project), by name; the installation's default namespace is also the project
``default``, so the SDK works out of the box. A project that names no namespace is a 404
``Project.NotFound``. The caller's role is checked in that scope before anything is read
or changed (a read needs the viewer role, a write the editor role; no role: not found)
and the scope is recorded for the audit log. Operations outside any project (clusters,
tags) run in the default project. Used by every operation module through
``open_project``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from millstream.api.auth.rbac import authorize
from millstream.api.dialect import RequestContext
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.ids import Ids
from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services import Services
from millstream.domain.errors import ErrorCode, NotFound

__all__ = ["DEFAULT_PROJECT", "Project", "open_project", "project_name_of", "project_scope"]

DEFAULT_PROJECT = "default"
_MAX_PROJECT = 128


@dataclass(frozen=True, slots=True)
class Project:
    """One authorized call in one project: what the handlers work with."""

    name: str
    scope: Scope
    actor: Actor
    services: Services
    ids: Ids


def project_scope(services: Services, name: str) -> Scope:
    """The namespace the project names; ``NotFound`` (Project.NotFound) if none."""
    workspace = services.default_workspace
    namespace = services.default_namespace if name == DEFAULT_PROJECT else name
    scope = Scope(workspace, namespace)
    try:
        services.deployments.list(scope, Page(0, 1))
    except NotFound as exc:
        if exc.code is not ErrorCode.NAMESPACE_NOT_FOUND:
            raise
        raise NotFound(
            f"project {name!r} does not exist", code=ErrorCode.NAMESPACE_NOT_FOUND
        ) from None
    return scope


def project_name_of(services: Services, namespace: str) -> str:
    """The project name a namespace of the default workspace has."""
    return DEFAULT_PROJECT if namespace == services.default_namespace else namespace


def open_project(request: Request, ctx: RequestContext, name: str) -> Project:
    """The call's project scope, once the caller's role there allows the operation.

    Blocking (reads the store): call it from the thread pool."""
    if not name or len(name) > _MAX_PROJECT or not name.isprintable():
        raise FoasError(400, INVALID_PARAMETER, f"projectName {name[:40]!r} is not valid")
    services = ctx.services
    scope = project_scope(services, name)
    if services.access is not None:
        authorize(services.access, ctx.actor, scope, write=ctx.operation.writes)
    request.state.scope = scope  # what the audit log records
    return Project(
        name=name,
        scope=scope,
        actor=ctx.actor,
        services=services,
        ids=Ids(services.external_keys, workspace=scope.workspace),
    )
