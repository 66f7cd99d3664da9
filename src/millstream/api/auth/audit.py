"""``AuditMiddleware``: writes every call that changes something, by an authenticated
caller, to the audit log — who, what, which resource (the concrete path), where (the
workspace and namespace), when, the request id and the response status.

On a dialect's routes "changes something" is the operation table's word (a write; a GET
that issues an upload URL is one, a POST that validates SQL is not), "what" is the
dialect and operation (``native:CreateDeployment``) and "where" is the scope the
dialect's resolver found; all three come from the ``Call`` and scope the route left in
``scope['state']``. Routes outside any dialect are recorded by method (POST, PUT, PATCH,
DELETE) as ``METHOD /route/template``.

A pure ASGI middleware, added once on the app: it sees the final status of every
dialect's routes, including errors their envelopes produced. The caller is the
``request.state.actor`` that ``native_authenticate`` left in ``scope['state']``; calls
that never authenticated (bad signatures) are not audited here, so a flood of forged
requests cannot flood the log. A failed audit write is logged and never changes the
response, which has already been sent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from millstream.api.auth.authenticator import SAFE_METHODS
from millstream.api.auth.rbac import WORKSPACE_HEADER
from millstream.api.dialect.routing import Call
from millstream.control.context import Actor
from millstream.control.context import Scope as CallScope
from millstream.control.services.access import AccessService
from millstream.domain.access import AuditEntry

__all__ = ["REQUEST_ID_HEADERS", "AuditMiddleware"]

_log = logging.getLogger(__name__)

REQUEST_ID_HEADERS = (b"x-acs-request-id", b"x-request-id", b"x-tt-logid")


class AuditMiddleware:
    """``app.add_middleware(AuditMiddleware, access=access, default_workspace=...)``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        access: AccessService,
        default_workspace: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._app = app
        self._access = access
        self._default_workspace = default_workspace
        self._clock = clock or (lambda: datetime.now(UTC))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        # Routing and Request.state write into this same dict, so the actor and the
        # matched route are visible here once the app has run.
        scope.setdefault("state", {})
        seen: dict[str, Any] = {"status": 500, "request_id": None}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() in REQUEST_ID_HEADERS:
                        seen["request_id"] = value.decode("latin-1")
            await send(message)

        try:
            await self._app(scope, receive, capture)
        finally:
            state = scope["state"]
            actor = state.get("actor")
            call = state.get("call")
            if isinstance(actor, Actor) and _changes(scope, call):
                await self._record(scope, actor, seen["status"], seen["request_id"])

    async def _record(
        self, scope: Scope, actor: Actor, status: int, request_id: str | None
    ) -> None:
        state = scope["state"]
        call = state.get("call")
        if isinstance(call, Call):
            action = call.label
            request_id = call.request_id
            where = state.get("scope")
            workspace, namespace = (
                (where.workspace, where.namespace) if isinstance(where, CallScope) else (None, None)
            )
        else:
            action, workspace, namespace = self._outside_dialects(scope)
        entry = AuditEntry(
            id=str(uuid.uuid4()),
            at=self._clock(),
            actor_id=actor.id,
            actor_name=actor.name,
            action=action,
            resource=scope.get("path", ""),
            request_id=request_id,
            status_code=status,
            workspace=workspace,
            namespace=namespace,
        )
        try:
            await run_in_threadpool(self._access.record_audit, entry)
        except Exception:  # auditing must never break a call that already finished
            _log.exception("could not write audit entry for %s", entry.action)

    def _outside_dialects(self, scope: Scope) -> tuple[str, str | None, str | None]:
        """(action, workspace, namespace) of a route no dialect declared."""
        route = scope.get("route")
        template = getattr(route, "path", None) or scope.get("path", "")
        namespace = (scope.get("path_params") or {}).get("namespace")
        workspace = None
        if namespace is not None:
            headers = {k.lower(): v for k, v in scope.get("headers", ())}
            raw = headers.get(WORKSPACE_HEADER.encode())
            workspace = raw.decode() if raw else self._default_workspace
        action = f"{scope['method'].upper()} {template}"
        return action, workspace, str(namespace) if namespace is not None else None


def _changes(scope: Scope, call: object) -> bool:
    """Whether a call is audited: a write of its dialect's table, else a non-GET method."""
    if isinstance(call, Call):
        return call.operation.writes
    return str(scope["method"]).upper() not in SAFE_METHODS
