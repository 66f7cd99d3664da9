"""Role checks at the API edge: namespace membership decides what a caller sees and changes.

``authorize`` is the rule (no role -> ``NotFound``, so the namespace's resources are
invisible; a role without the permission -> ``PermissionDenied``). ``namespace_guard``
turns it into a FastAPI dependency that a dialect's router can use as its
``authenticate`` dependency unchanged: it authenticates, then, when the route has a
``{namespace}`` path parameter, authorizes a read (GET/HEAD/OPTIONS) or a write (anything
else) in the ``workspace`` header's workspace.

Wiring in the app factory (the native router needs no change)::

    authenticator = Authenticator(access, [Acs3Verifier(), RoaVerifier()])
    guard = namespace_guard(
        access, native_authenticate(authenticator),
        default_workspace=settings.default_workspace,
    )
    app.include_router(build_router(services, authenticate=guard))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from millstream.api.auth.authenticator import SAFE_METHODS
from millstream.control.context import Actor, Scope
from millstream.control.services.access import AccessService
from millstream.domain.access import Permission, Role

__all__ = ["WORKSPACE_HEADER", "authorize", "is_write", "namespace_guard"]

WORKSPACE_HEADER = "workspace"


def authorize(access: AccessService, actor: Actor, scope: Scope, *, write: bool) -> Role:
    """The caller's role in ``scope`` if it allows reading (or writing, with ``write``)."""
    return access.authorize(actor, scope, Permission.WRITE if write else Permission.READ)


def is_write(request: Request) -> bool:
    """Whether a call changes something: every method but GET, HEAD and OPTIONS."""
    return request.method.upper() not in SAFE_METHODS


def namespace_guard(
    access: AccessService,
    authenticate: Callable[[Request], Awaitable[Actor]],
    *,
    default_workspace: str,
    write: Callable[[Request], bool] = is_write,
) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency: the authenticated actor, authorized for the route's namespace.

    ``write`` decides per request whether a write permission is needed (override it
    for a POST that only reads, such as a validation call).
    """

    async def guarded(request: Request) -> Actor:
        actor = await authenticate(request)
        namespace = request.path_params.get("namespace")
        if namespace is not None:
            scope = Scope(
                workspace=request.headers.get(WORKSPACE_HEADER) or default_workspace,
                namespace=str(namespace),
            )
            await run_in_threadpool(authorize, access, actor, scope, write=write(request))
        return actor

    return guarded
