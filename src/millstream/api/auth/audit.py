"""``AuditMiddleware``: writes every mutating call (POST, PUT, PATCH, DELETE) by an
authenticated caller to the audit log — who, what (method + route template), which
resource (the concrete path), when, the request id and the response status.

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
from millstream.control.context import Actor
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
        if scope["type"] != "http" or scope["method"].upper() in SAFE_METHODS:
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
            actor = scope["state"].get("actor")
            if isinstance(actor, Actor):
                await self._record(scope, actor, seen["status"], seen["request_id"])

    async def _record(
        self, scope: Scope, actor: Actor, status: int, request_id: str | None
    ) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or scope.get("path", "")
        namespace = (scope.get("path_params") or {}).get("namespace")
        workspace = None
        if namespace is not None:
            headers = {k.lower(): v for k, v in scope.get("headers", ())}
            raw = headers.get(WORKSPACE_HEADER.encode())
            workspace = raw.decode() if raw else self._default_workspace
        entry = AuditEntry(
            id=str(uuid.uuid4()),
            at=self._clock(),
            actor_id=actor.id,
            actor_name=actor.name,
            action=f"{scope['method'].upper()} {template}",
            resource=scope.get("path", ""),
            request_id=request_id,
            status_code=status,
            workspace=workspace,
            namespace=str(namespace) if namespace is not None else None,
        )
        try:
            await run_in_threadpool(self._access.record_audit, entry)
        except Exception:  # auditing must never break a call that already finished
            _log.exception("could not write audit entry for %s", entry.action)
