"""Role checks at the API edge: namespace membership decides what a caller sees and changes.

``authorize`` is the rule (no role -> ``NotFound``, so the namespace's resources are
invisible; a role without the permission -> ``PermissionDenied``). ``operation_guard``
turns it into the guard of a dialect's routes: it authenticates, then, for an operation
its dialect's table marks ``scoped``, checks the read or write permission the table
declares in the scope the dialect's resolver found (path, header, query or JSON body).
Read or write is never guessed from the method or the path: a POST may read
(``ValidateSqlStatement``) and a GET may write (``GetPreSignedUrlForPutObject``).
With the production dependency (``RequestAuthentication``) the role check goes through
its ``authorize``: a role cached at the request's access generation is answered on the
event loop, without the store or a worker thread.

Wiring (``api.app.create_api`` does this per dialect)::

    authenticate = native_authenticate(Authenticator(access, dialect.verifiers))
    router = dialect.router(services, operation_guard(access, authenticate))

``namespace_guard`` is for routes outside any dialect (no operation table): it reads the
``{namespace}`` path parameter and the ``workspace`` header and treats every method but
GET, HEAD and OPTIONS as a write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from millstream.api.auth.authenticator import SAFE_METHODS
from millstream.api.auth.dependency import RequestAuthentication
from millstream.api.dialect.routing import call_of, resolved_scope
from millstream.control.context import Actor, Scope
from millstream.control.services.access import AccessService
from millstream.domain.access import Permission, Role
from millstream.domain.errors import InvalidInput

__all__ = ["WORKSPACE_HEADER", "authorize", "is_write", "namespace_guard", "operation_guard"]

WORKSPACE_HEADER = "workspace"


def authorize(access: AccessService, actor: Actor, scope: Scope, *, write: bool) -> Role:
    """The caller's role in ``scope`` if it allows reading (or writing, with ``write``)."""
    return access.authorize(actor, scope, Permission.WRITE if write else Permission.READ)


def is_write(request: Request) -> bool:
    """For routes outside any dialect only: every method but GET, HEAD and OPTIONS."""
    return request.method.upper() not in SAFE_METHODS


def operation_guard(
    access: AccessService, authenticate: Callable[[Request], Awaitable[Actor]]
) -> Callable[[Request], Awaitable[Actor]]:
    """A dialect route's guard: the authenticated actor, authorized for the call's
    operation in the call's scope."""

    async def guarded(request: Request) -> Actor:
        actor = await authenticate(request)
        call = call_of(request)
        if call is None:
            raise RuntimeError("operation_guard guards dialect routes (DialectRoute) only")
        if not call.operation.scoped:
            return actor  # the service checks the caller itself (members, keys...)
        scope = await resolved_scope(request)
        if scope is None:
            raise InvalidInput(f"{call.operation.name} needs a namespace")
        await _authorize(access, authenticate, request, actor, scope, write=call.operation.writes)
        return actor

    return guarded


def namespace_guard(
    access: AccessService,
    authenticate: Callable[[Request], Awaitable[Actor]],
    *,
    default_workspace: str,
    write: Callable[[Request], bool] = is_write,
) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency for routes outside any dialect: the authenticated actor, authorized
    for the route's ``{namespace}`` path parameter (``write`` decides per request)."""

    async def guarded(request: Request) -> Actor:
        actor = await authenticate(request)
        namespace = request.path_params.get("namespace")
        if namespace is not None:
            scope = Scope(
                workspace=request.headers.get(WORKSPACE_HEADER) or default_workspace,
                namespace=str(namespace),
            )
            await _authorize(access, authenticate, request, actor, scope, write=write(request))
        return actor

    return guarded


async def _authorize(
    access: AccessService,
    authenticate: Callable[[Request], Awaitable[Actor]],
    request: Request,
    actor: Actor,
    scope: Scope,
    *,
    write: bool,
) -> None:
    """The role check, through the production dependency when ``authenticate`` is it."""
    if isinstance(authenticate, RequestAuthentication):
        permission = Permission.WRITE if write else Permission.READ
        await authenticate.authorize(request, actor, scope, permission)
    else:
        await run_in_threadpool(authorize, access, actor, scope, write=write)
