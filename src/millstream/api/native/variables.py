"""Variable routes of the native dialect: CreateVariable, ListVariables, UpdateVariable and
DeleteVariable, at the paths the official SDK sends (``/api/v2/namespaces/{ns}/variables``).

A variable on the wire is the SDK's ``Variable {name, value, description, kind}`` with
kind ``Plain`` or ``Encrypted``; the value of an Encrypted variable is always answered
as ``******`` (``domain.variables.MASK``). Include this router before the native
router, whose ``/api/v2`` catch-all would otherwise answer these paths.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from millstream.api.native.errors import NativeRoute, ok_response
from millstream.api.native.schemas import WireModel
from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services.variables import VariableService
from millstream.domain.errors import InvalidInput
from millstream.domain.variables import Variable, VariableKind

__all__ = ["VariableBody", "build_variables_router", "variable_to_wire"]

_PREFIX = "/api/v2/namespaces/{namespace}/variables"

PageIndex = Annotated[int, Query(alias="pageIndex", ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=100)]
Namespace = Annotated[str, Path(min_length=1, max_length=128)]
Name = Annotated[str, Path(min_length=1, max_length=128)]
Workspace = Annotated[str | None, Header()]


class VariableBody(WireModel):
    """SDK ``Variable``: the body of CreateVariable and UpdateVariable."""

    name: str | None = None
    value: str | None = None
    description: str | None = None
    kind: str | None = None


def variable_to_wire(variable: Variable) -> dict[str, Any]:
    """SDK ``Variable``; never the clear value of an Encrypted variable."""
    return {
        "name": variable.name,
        "value": variable.shown_value,
        "description": variable.description,
        "kind": variable.kind.value,
    }


def build_variables_router(
    variables: VariableService,
    authenticate: Callable[[Request], Actor | Awaitable[Actor]],
    *,
    default_workspace: str = "default",
) -> APIRouter:
    """The variable routes; ``authenticate`` is the dependency the native router uses."""
    router = APIRouter(route_class=NativeRoute)
    Caller = Annotated[Actor, Depends(authenticate)]

    def scope(namespace: str, workspace: str | None) -> Scope:
        return Scope(workspace=workspace or default_workspace, namespace=namespace)

    @router.post(_PREFIX)
    def create_variable(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        body: VariableBody,
        workspace: Workspace = None,
    ) -> JSONResponse:
        if not body.name:
            raise InvalidInput(
                'name is required, e.g. {"name": "table_rows", "value": "10", "kind": "Plain"}',
                code="InvalidVariableName",
            )
        created = variables.create(
            scope(namespace, workspace),
            actor,
            body.name,
            body.value,
            kind=VariableKind.parse(body.kind),
            description=body.description,
        )
        return ok_response(request.state.request_id, variable_to_wire(created))

    @router.get(_PREFIX)
    def list_variables(
        request: Request,
        actor: Caller,  # noqa: ARG001 (authentication)
        namespace: Namespace,
        workspace: Workspace = None,
        page_index: PageIndex = 1,
        page_size: PageSize = 10,
    ) -> JSONResponse:
        found, total = variables.list(
            scope(namespace, workspace),
            Page(offset=(page_index - 1) * page_size, limit=page_size),
        )
        return ok_response(
            request.state.request_id,
            [variable_to_wire(v) for v in found],
            pageIndex=page_index,
            pageSize=page_size,
            totalSize=total,
        )

    @router.patch(_PREFIX + "/{name}")
    def update_variable(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        name: Name,
        body: VariableBody,
        workspace: Workspace = None,
    ) -> JSONResponse:
        if body.name and body.name != name:
            raise InvalidInput(
                f"a variable cannot be renamed ({name!r} -> {body.name!r}): create the new "
                "name and delete the old one",
                code="InvalidVariableName",
            )
        updated = variables.update(
            scope(namespace, workspace),
            actor,
            name,
            value=body.value,
            kind=VariableKind.parse(body.kind) if body.kind else None,
            description=body.description,
        )
        return ok_response(request.state.request_id, variable_to_wire(updated))

    @router.delete(_PREFIX + "/{name}")
    def delete_variable(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        name: Name,
        workspace: Workspace = None,
    ) -> JSONResponse:
        variables.delete(scope(namespace, workspace), actor, name)
        return ok_response(request.state.request_id, None)

    return router
