"""What every operation of the dialect works with: the services (``Backend``) and one
call's caller, parameters and scope checks (``Call``).

The scope of a call is a Millstream namespace: ``ProjectId`` names it (the default
namespace also answers to ``default``, so the SDK works out of the box), in the
installation's default workspace (a Volcengine account). Calls that name only an id
(GetApplicationInstance, CreateGWSSavepoint...) take the scope of the entity the id
names. Either way the caller's role is checked there before anything is read or changed:
a read needs the viewer role, a write the editor role (DESIGN.md §6); a caller without a
role sees ``NotFound``, as if the project did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from millstream.api.auth.rbac import authorize
from millstream.api.volcengine.ids import Ids
from millstream.control.context import Actor, Scope
from millstream.control.services import Services
from millstream.control.services.access import AccessService
from millstream.control.services.clusters import ClusterService
from millstream.control.services.locator import Locator

__all__ = ["DEFAULT_PROJECT", "Backend", "Call"]

DEFAULT_PROJECT = "default"

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Backend:
    """The use cases the dialect calls: the app's ``Services``, picked apart per call."""

    services: Services
    access: AccessService | None
    locator: Locator | None
    ids: Ids
    default_namespace: str
    clusters: ClusterService | None = None

    @property
    def workspace(self) -> str:
        return self.services.default_workspace

    def namespace_of(self, project_id: str | None) -> str:
        name = (project_id or "").strip()
        if not name or name == DEFAULT_PROJECT:
            return self.default_namespace
        return name


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated call: who, the merged query + body parameters, read or write."""

    backend: Backend
    actor: Actor
    params: dict[str, Any]
    write: bool
    # X-Sdk-Invocation-Id: the same on every retry of one SDK call, new for the next call.
    invocation_id: str | None = None
    # Told the scope once it is known, so the audit log records where the call acted.
    on_scope: Callable[[Scope], None] | None = None

    @property
    def client_token(self) -> str | None:
        """The start idempotency token of a call that has no UniqueKey."""
        return f"volcengine.invocation:{self.invocation_id}" if self.invocation_id else None

    def parse(self, model: type[_M]) -> _M:
        """The parameters as ``model`` (pydantic ``ValidationError`` -> 400)."""
        return model.model_validate(self.params)

    def project(self, project_id: str | None) -> Scope:
        """The scope ``ProjectId`` names, once the caller's role there allows the call."""
        scope = Scope(self.backend.workspace, self.backend.namespace_of(project_id))
        self.authorize(scope)
        return scope

    def job_scope(self, job_id: str) -> Scope:
        """The scope of a job named by id only, once the caller's role there allows it."""
        locator = self.backend.locator
        scope = (
            locator.job_scope(job_id)
            if locator is not None
            else Scope(self.backend.workspace, self.backend.default_namespace)
        )
        self.authorize(scope)
        return scope

    def deployment_scope(self, deployment_id: str) -> Scope:
        """The scope of a deployment named by id only, once the caller may act there."""
        locator = self.backend.locator
        scope = (
            locator.deployment_scope(deployment_id, workspace=self.backend.workspace)
            if locator is not None
            else Scope(self.backend.workspace, self.backend.default_namespace)
        )
        self.authorize(scope)
        return scope

    def authorize(self, scope: Scope) -> None:
        access = self.backend.access
        if access is not None:
            authorize(access, self.actor, scope, write=self.write)
        if self.on_scope is not None:
            self.on_scope(scope)
