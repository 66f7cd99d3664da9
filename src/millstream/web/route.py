"""``ConsoleRoute``, the route class of every console route: security headers on every
response and cross-origin POSTs refused before any handler runs (``guards.py`` holds both
rules)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from millstream.web.guards import SECURITY_HEADERS, same_origin

__all__ = ["ConsoleRoute"]


class ConsoleRoute(APIRoute):
    """Every console response carries the security headers (CSP, no framing, nosniff,
    no referrer to other sites); a POST from another origin is refused before any
    handler runs (the CSRF tokens are the main defence, this one needs no state)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            if request.method == "POST" and not same_origin(request):
                response: Response = Response(
                    "cross-origin request refused", status_code=403, media_type="text/plain"
                )
            else:
                response = await handler(request)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded
