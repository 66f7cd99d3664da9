"""``RequestMetrics``: a pure ASGI middleware timing each HTTP request.

Labels stay bounded: the matched route's template (``/api/v2/namespaces/{namespace}/
deployments``, never the raw path; ``<unmatched>`` for 404s and mounts), the dialect and
operation the dialect route recorded in ``request.state.call`` (RPC dialects serve every
action on one path, so the operation tells them apart), the method and the status class
(``2xx``). ``server.create_app`` adds it outermost, so it times auth and audit too.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from millstream.observability.registry import Metrics

__all__ = ["UNMATCHED", "RequestMetrics"]

UNMATCHED = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self._histogram = metrics.api_request_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # an exception escaping the app ends as a 500 from the server
        started = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            dialect, operation = _call_labels(scope)
            method = str(scope.get("method", "")).upper()
            self._histogram.labels(
                method=method if method in _METHODS else "OTHER",
                route=_route_template(scope),
                dialect=dialect,
                operation=operation,
                status_class=f"{status // 100}xx",
            ).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The template of the route the router matched (it writes ``scope["route"]``)."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def _call_labels(scope: Scope) -> tuple[str, str]:
    """Dialect and operation of a dialect route's ``Call`` (``request.state.call``)."""
    state = scope.get("state")
    call: Any = state.get("call") if isinstance(state, dict) else None
    dialect = getattr(call, "dialect", None)
    operation = getattr(getattr(call, "operation", None), "name", None)
    return (
        dialect if isinstance(dialect, str) else "none",
        operation if isinstance(operation, str) else "none",
    )
