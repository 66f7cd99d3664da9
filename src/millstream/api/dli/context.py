"""Which Millstream scope a DLI ``project_id`` names, and the caller's role check there.

DLI puts the project id in every path (``/v1.0/{project_id}/...``) and the SDK repeats
it in ``X-Project-Id``; the two must agree. A project is a namespace (DESIGN.md §2: one
namespace per project), found in this order:

- the configuration's ``api.dli_projects`` (``MILLSTREAM_API__DLI_PROJECTS``, a JSON
  object): project id -> ``<namespace>`` of the default workspace, or
  ``<workspace>/<namespace>``; a mapped project is exactly that namespace (one that does
  not exist answers like a project without a role, and is logged for the operator);
- else a namespace of the default workspace named exactly like the project id;
- else the default namespace (``default-namespace``), so the SDK works out of the box
  with the project id a user already has.

The mapping is read from the installation's settings (``config.get_settings()``, cached;
tests override it).
The caller's role is checked in that scope before anything is read or changed (a read
needs the viewer role, a write the editor role; no role: ``NotFound``), and the scope is
recorded for the audit log. Used by every operation module through ``open_project``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request

from millstream.api.auth.rbac import authorize
from millstream.api.dialect import RequestContext
from millstream.api.dli.errors import BAD_PARAMETER, DialectError
from millstream.api.dli.ids import Ids
from millstream.config import get_settings
from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services import Services
from millstream.domain.errors import ErrorCode, NotFound, PermissionDenied

__all__ = [
    "PROJECT_HEADER",
    "Project",
    "configured_projects",
    "mapped_scope",
    "open_project",
    "project_scope",
]

_log = logging.getLogger(__name__)

PROJECT_HEADER = "x-project-id"
_SCOPE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
# Huawei project ids are 32 hex digits; names of namespaces fit too. The SDK sends the
# literal "{project_id}" when the credentials have none: refused here, with the fix.
_PROJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class Project:
    """One authorized call in one project: what the handlers work with."""

    project_id: str
    scope: Scope
    actor: Actor
    services: Services
    ids: Ids


def project_scope(
    services: Services, project_id: str, projects: Mapping[str, str] | None = None
) -> Scope:
    """The namespace ``projects`` (default: the configured ``api.dli_projects``) maps the
    project to, else the one named like the project, else the default one."""
    workspace = services.default_workspace
    mapped = (configured_projects() if projects is None else projects).get(project_id)
    if mapped is not None:
        scope = mapped_scope(mapped, default_workspace=workspace)
        try:
            services.deployments.list(scope, Page(0, 1))
        except NotFound as exc:
            if exc.code is ErrorCode.NAMESPACE_NOT_FOUND:
                _log.warning(
                    "api.dli_projects maps project %r to %s/%s, which does not exist",
                    project_id,
                    scope.workspace,
                    scope.namespace,
                )
            raise
        return scope
    named = Scope(workspace, project_id)
    try:
        services.deployments.list(named, Page(0, 1))
    except NotFound as exc:
        if exc.code is not ErrorCode.NAMESPACE_NOT_FOUND:
            raise
        return Scope(workspace, services.default_namespace)
    return named


def configured_projects() -> Mapping[str, str]:
    """``api.dli_projects`` of the installation's settings."""
    return get_settings().api.dli_projects


def mapped_scope(target: str, *, default_workspace: str) -> Scope:
    """``<namespace>`` (of the default workspace) or ``<workspace>/<namespace>``."""
    workspace, sep, namespace = target.strip().rpartition("/")
    if not sep:
        workspace = default_workspace
    if not _SCOPE_PART.fullmatch(workspace) or not _SCOPE_PART.fullmatch(namespace):
        # The operator's mistake, not the caller's: say so in the log, answer "no project".
        _log.warning("api.dli_projects maps a project to %r: not [<workspace>/]<namespace>", target)
        raise NotFound(
            "the project's configured namespace is not valid", code=ErrorCode.NAMESPACE_NOT_FOUND
        )
    return Scope(workspace, namespace)


def _check_project_id(request: Request, project_id: str) -> None:
    if not _PROJECT_ID.fullmatch(project_id):
        raise DialectError(
            400,
            BAD_PARAMETER,
            f"project_id {project_id[:32]!r} is not valid: give the project id in the "
            "credentials (BasicCredentials(ak, sk, project_id)); 1 to 64 letters, digits, "
            "'_', '.' or '-'",
        )
    header = request.headers.get(PROJECT_HEADER)
    if header is not None and header != project_id:
        raise DialectError(
            400,
            BAD_PARAMETER,
            f"the project id in the path ({project_id!r}) is not the X-Project-Id header "
            f"({header!r}); send the same project id in both",
        )


def open_project(request: Request, ctx: RequestContext, project_id: str) -> Project:
    """The call's project scope, once the caller's role there allows the operation.

    Blocking (reads the store): call it from the thread pool."""
    _check_project_id(request, project_id)
    services = ctx.services
    try:
        scope = project_scope(services, project_id)
        if services.access is not None:
            authorize(services.access, ctx.actor, scope, write=ctx.operation.writes)
    except NotFound as exc:
        if exc.code is not ErrorCode.NAMESPACE_NOT_FOUND:
            raise
        # The domain names a namespace and a workspace; a DLI user knows a project id.
        # No role and no such project answer alike, so nothing leaks.
        raise NotFound(
            f"project {project_id!r} does not exist or your access key has no role in it",
            code=ErrorCode.NAMESPACE_NOT_FOUND,
        ) from None
    except PermissionDenied:
        needed = "write (editor)" if ctx.operation.writes else "read (viewer)"
        raise PermissionDenied(
            f"your access key's role in project {project_id!r} does not allow "
            f"{ctx.operation.name}: it needs {needed} access; ask the project's owner",
            code=ErrorCode.PERMISSION_DENIED,
        ) from None
    request.state.scope = scope  # what the audit log records
    return Project(
        project_id=project_id,
        scope=scope,
        actor=ctx.actor,
        services=services,
        ids=Ids(services.external_keys, workspace=scope.workspace),
    )
