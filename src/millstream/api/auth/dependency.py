"""The FastAPI side of authentication: ``signed_request`` reads a Starlette request as it
arrived (``SignedRequest``), ``native_authenticate(authenticator)`` makes the dependency
(``RequestAuthentication``) every dialect's guard awaits. ``api.app`` wires one per
dialect; ``api.auth.rbac`` guards call its ``authorize``, which answers a cached role on
the event loop (current as of the request's ``accept``, see ``access_checks``): a
request with a cached key and role crosses into a worker thread once, for ``accept``.
"""

from __future__ import annotations

import functools

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from millstream.api.auth.authenticator import Authenticator, SignedRequest
from millstream.control.context import Actor, Scope
from millstream.control.services.access import AccessGrant
from millstream.domain.access import Permission, Role

__all__ = ["RequestAuthentication", "native_authenticate", "signed_request"]


def _decode(value: bytes) -> str:
    # Header values are bytes on the wire; SDKs sign the str they encoded as UTF-8.
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


def signed_request(request: Request, body: bytes) -> SignedRequest:
    """The raw request behind a Starlette ``Request`` (``scope['raw_path']``, not the
    decoded ``path``)."""
    scope = request.scope
    raw = scope.get("raw_path")
    # Some ASGI servers (and httpx's ASGITransport) include the query in raw_path.
    raw_path = request.url.path if raw is None else _decode(raw).partition("?")[0]
    return SignedRequest(
        method=request.method.upper(),
        raw_path=raw_path,
        raw_query=_decode(scope.get("query_string", b"")),
        headers=tuple((_decode(k).lower(), _decode(v)) for k, v in scope.get("headers", ())),
        body=body,
        client=request.client.host if request.client else None,
    )


class RequestAuthentication:
    """A FastAPI dependency: the authenticated ``Actor`` of the request
    (``native_authenticate(authenticator)`` makes one).

    Runs at most once per request (the actor and the ``AccessGrant`` of its ``accept``
    are kept in ``request.state``; the audit middleware reads the actor), so it may be
    depended on several times. Starlette caches the body, so the endpoint can still read
    it. ``authorize`` is the role check of the ``api.auth.rbac`` guards: on the event
    loop when the role is cached at the request's grant, else in a worker thread.
    """

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    async def __call__(self, request: Request) -> Actor:
        cached = getattr(request.state, "actor", None)
        if isinstance(cached, Actor):
            return cached
        body = await request.body()
        namespace = request.path_params.get("namespace")
        actor, grant = await run_in_threadpool(
            functools.partial(
                self._authenticator.verify_caller,
                signed_request(request, body),
                workspace=request.headers.get("workspace") if namespace else None,
                namespace=str(namespace) if namespace else None,
                request_id=getattr(request.state, "request_id", None),
            )
        )
        request.state.actor = actor
        request.state.access_grant = grant
        return actor

    async def authorize(
        self, request: Request, actor: Actor, scope: Scope, permission: Permission
    ) -> Role:
        """The caller's role in ``scope`` if it allows ``permission`` (``NotFound`` /
        ``PermissionDenied``)."""
        grant = getattr(request.state, "access_grant", None)
        if isinstance(grant, AccessGrant) and request.state.actor is actor:
            role = self._authenticator.cached_authorization(actor, scope, permission, grant)
            if role is not None:
                return role
        else:
            grant = None
        return await run_in_threadpool(
            functools.partial(self._authenticator.authorize, actor, scope, permission, grant=grant)
        )


def native_authenticate(authenticator: Authenticator) -> RequestAuthentication:
    """The FastAPI dependency authenticating requests with ``authenticator``."""
    return RequestAuthentication(authenticator)
