"""Native variable operations: CreateVariable, ListVariables, UpdateVariable and
DeleteVariable, at the paths the official SDK sends (``/api/v2/namespaces/{ns}/variables``).

A variable on the wire is the SDK's ``Variable {name, value, description, kind}`` with
kind ``Plain`` or ``Encrypted``; the value of an Encrypted variable is always answered
as ``******`` (``domain.variables.MASK``).
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from millstream.api.dialect import Guard, RequestContext
from millstream.api.native.params import NAMESPACE, PageIndex, PageSize
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok, page
from millstream.api.native.schemas import WireModel
from millstream.control.ports import Page
from millstream.control.services.variables import VariableService
from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.variables import Variable, VariableKind

__all__ = ["VariableBody", "build_variables_router", "router", "variable_to_wire"]

router = native_router()

_PATH = NAMESPACE + "/variables"
Name = Annotated[str, Path(min_length=1, max_length=128)]


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


def _variables(ctx: RequestContext) -> VariableService:
    if ctx.services.variables is None:
        raise not_enabled("variables")
    return ctx.services.variables


@router.post(_PATH, name="CreateVariable")
def create_variable(ctx: Ctx, body: VariableBody) -> JSONResponse:
    if not body.name:
        raise InvalidInput(
            'name is required, e.g. {"name": "table_rows", "value": "10", "kind": "Plain"}',
            code=ErrorCode.INVALID_VARIABLE_NAME,
        )
    created = _variables(ctx).create(
        ctx.scope,
        ctx.actor,
        body.name,
        body.value,
        kind=VariableKind.parse(body.kind),
        description=body.description,
    )
    return ok(ctx, variable_to_wire(created))


@router.get(_PATH, name="ListVariables")
def list_variables(ctx: Ctx, page_index: PageIndex = 1, page_size: PageSize = 10) -> JSONResponse:
    found, total = _variables(ctx).list(
        ctx.scope, Page(offset=(page_index - 1) * page_size, limit=page_size)
    )
    return page(ctx, [variable_to_wire(v) for v in found], page_index, page_size, total)


@router.patch(_PATH + "/{name}", name="UpdateVariable")
def update_variable(ctx: Ctx, name: Name, body: VariableBody) -> JSONResponse:
    if body.name and body.name != name:
        raise InvalidInput(
            f"a variable cannot be renamed ({name!r} -> {body.name!r}): create the new "
            "name and delete the old one",
            code=ErrorCode.INVALID_VARIABLE_NAME,
        )
    updated = _variables(ctx).update(
        ctx.scope,
        ctx.actor,
        name,
        value=body.value,
        kind=VariableKind.parse(body.kind) if body.kind else None,
        description=body.description,
    )
    return ok(ctx, variable_to_wire(updated))


@router.delete(_PATH + "/{name}", name="DeleteVariable")
def delete_variable(ctx: Ctx, name: Name) -> JSONResponse:
    _variables(ctx).delete(ctx.scope, ctx.actor, name)
    return ok(ctx)


def build_variables_router(
    variables: VariableService, authenticate: Guard, *, default_workspace: str = "default"
) -> APIRouter:
    """The variable routes alone, over one service (tests and tools)."""
    from millstream.api.native.standalone import standalone_router

    return standalone_router([router], authenticate, default_workspace, variables=variables)
