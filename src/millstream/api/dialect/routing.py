"""How a dialect's routes run: its route class, the wiring of a built router and the one
request-context dependency every handler takes.

- ``DialectRoute``: each dialect subclasses it once, naming its envelope, operation table
  and scope resolver. A route's ``name`` is its operation (``@router.post(path,
  name="CreateDeployment")``); a name missing from the table fails at import. Before
  anything runs the route records a ``Call`` (dialect, operation, request id) in
  ``request.state.call``; every exception from body parsing, validation, the guard or
  the handler becomes the dialect's envelope.
- ``Binding``: what a built router reaches (services, guard, public URL), attached by a
  router-level dependency so handlers can be plain module-level functions.
- ``request_context`` (``Context`` in a signature): the request id, operation, actor
  (through the guard), resolved scope and services of the call.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, TypeVar, cast

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute

from millstream.api.dialect.envelopes import Envelope
from millstream.api.dialect.operations import Operation, OperationTable
from millstream.api.dialect.scopes import ScopeResolver
from millstream.control.context import Actor, Scope
from millstream.control.services import Services
from millstream.domain.errors import InvalidInput

__all__ = [
    "Binding",
    "Call",
    "Context",
    "DialectRoute",
    "Guard",
    "RequestContext",
    "authenticated_actor",
    "binding_of",
    "bound_router",
    "call_of",
    "request_context",
    "resolved_scope",
]

T = TypeVar("T")

# The auth layer's dependency: the caller, sync or async (it may await the body).
Guard = Callable[[Request], Actor | Awaitable[Actor]]


@dataclass(frozen=True, slots=True)
class Call:
    """What the route knows before anything runs; the audit log reads it too."""

    dialect: str
    operation: Operation
    request_id: str
    scopes: ScopeResolver

    @property
    def label(self) -> str:
        """``native:CreateDeployment``."""
        return f"{self.dialect}:{self.operation.name}"


class DialectRoute(APIRoute):
    """Base of every dialect's route class; subclasses set the four class attributes."""

    dialect: ClassVar[str]
    envelope: ClassVar[Envelope]
    operations: ClassVar[OperationTable]
    scopes: ClassVar[ScopeResolver]

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.operation: Operation | None = self.operations.get(self.name)
        dispatches = type(self).operation_for is not DialectRoute.operation_for
        if self.operation is None and not dispatches:
            raise ValueError(
                f"{self.dialect} route {path!r} is named {self.name!r}, which is not an "
                "operation of its table: add it to the table or name the route after one"
            )

    def operation_for(self, request: Request) -> Operation:  # noqa: ARG002 (a hook)
        """The operation of this call: the one the route is named after. A dialect that
        dispatches several operations on one route (an ``Action`` query parameter)
        overrides this (raising its own error for an unknown one); its routes then need
        not be named after an operation."""
        if self.operation is None:
            raise RuntimeError(f"route {self.path!r} names no operation")
        return self.operation

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        envelope = self.envelope

        async def dialect_handler(request: Request) -> Response:
            request_id = envelope.new_request_id()
            request.state.request_id = request_id
            try:
                operation = self.operation_for(request)
                request.state.call = Call(self.dialect, operation, request_id, self.scopes)
                return await handler(request)
            except Exception as exc:
                return envelope.error(exc, request_id)

        return dialect_handler


@dataclass(frozen=True, slots=True)
class Binding:
    """What the routes of one built router reach at request time."""

    services: Services
    guard: Guard
    # Base of URLs the API hands out (pre-signed uploads); None: the request's own URL.
    public_url: str | None = None
    # What routes keep between requests of this built router (``RequestContext.kept``).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def bound_router(routers: Sequence[APIRouter], binding: Binding) -> APIRouter:
    """One router serving ``routers``' routes over ``binding`` (each build gets its own)."""

    # async: FastAPI runs a sync dependency in a worker thread, a hop for one assignment.
    async def bind(request: Request) -> None:
        request.state.binding = binding

    router = APIRouter(dependencies=[Depends(bind)])
    for module_router in routers:
        router.include_router(module_router)
    return router


def call_of(request: Request) -> Call | None:
    """The ``Call`` a dialect route recorded, None outside dialect routes."""
    call = getattr(request.state, "call", None)
    return call if isinstance(call, Call) else None


def binding_of(request: Request) -> Binding:
    """The ``Binding`` of the router serving this request (services, guard, public URL);
    for the rare handler that runs without ``Context`` (no caller to authenticate)."""
    binding = getattr(request.state, "binding", None)
    if not isinstance(binding, Binding):
        raise RuntimeError("a dialect route ran outside bound_router(): no Binding")
    return binding


async def resolved_scope(request: Request) -> Scope | None:
    """The call's (workspace, namespace) from its dialect's resolver, once per request."""
    state = request.state
    if getattr(state, "scope_resolved", False):
        cached: Scope | None = state.scope
        return cached
    call = call_of(request)
    scope = None
    if call is not None:
        default = binding_of(request).services.default_workspace
        scope = await call.scopes.resolve(request, default_workspace=default)
    state.scope = scope
    state.scope_resolved = True
    return scope


async def authenticated_actor(request: Request) -> Actor:
    """The caller as the binding's guard sees it (authentication and, in production,
    the role check of the call's operation)."""
    actor = binding_of(request).guard(request)
    return await actor if inspect.isawaitable(actor) else actor


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Everything a handler needs besides its own parameters."""

    request_id: str
    operation: Operation
    actor: Actor
    services: Services
    public_url: str | None
    resolved: Scope | None
    # The binding's ``memo``: shared by every request of the built router.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def scope(self) -> Scope:
        """The call's scope; a namespaced operation without one is the caller's error."""
        if self.resolved is None:
            raise InvalidInput(f"{self.operation.name} needs a namespace")
        return self.resolved

    def kept(self, name: str, make: Callable[[], T]) -> T:
        """The router's object called ``name``, made by ``make`` on first use (caches a
        route keeps between requests; they end with the built app)."""
        found = self.memo.get(name)
        if found is None:
            found = self.memo.setdefault(name, make())
        return cast("T", found)


async def request_context(request: Request) -> RequestContext:
    """The shared dependency: guard first (so nothing runs for a refused caller)."""
    call = call_of(request)
    if call is None:
        raise RuntimeError("request_context is for routes of a DialectRoute class")
    actor = await authenticated_actor(request)
    binding = binding_of(request)
    return RequestContext(
        request_id=call.request_id,
        operation=call.operation,
        actor=actor,
        services=binding.services,
        public_url=binding.public_url,
        resolved=await resolved_scope(request),
        memo=binding.memo,
    )


Context = Annotated[RequestContext, Depends(request_context)]
