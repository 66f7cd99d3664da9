"""404 and 405 in the envelope of the dialect whose prefix the path is under.

Starlette raises ``HTTPException(404)`` when no route matches and ``HTTPException(405)``
when only the method is wrong; ``install_fallbacks`` adds one app-level handler that
answers both in the owning dialect's envelope (``Allow`` lists every method the path
takes) and leaves FastAPI's default answer for paths of no dialect.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.routing import Match

from millstream.api.dialect.dialects import Dialect, owning_dialect

__all__ = ["allowed_methods", "install_fallbacks"]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at this path (asked of the routes
    themselves, so routers included in routers are searched too)."""
    routes = request.app.router.routes
    return [
        method
        for method in sorted(_METHODS)
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install_fallbacks(app: FastAPI, dialects: Sequence[Dialect]) -> None:
    """Answer unknown paths and wrong methods under each dialect's prefixes in its envelope."""

    async def fallback(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        owner = owning_dialect(dialects, request.url.path)
        if owner is None or exc.status_code not in {404, 405}:
            return await http_exception_handler(request, exc)
        request_id = owner.envelope.new_request_id()
        path = request.url.path
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            message = f"{request.method} is not allowed on {path}; use {', '.join(allowed)}"
            response = owner.envelope.error(HTTPException(405, message), request_id)
            response.headers["Allow"] = ", ".join(allowed)
            return response
        message = f"no operation at {request.method} {path}"
        return owner.envelope.error(HTTPException(404, message), request_id)

    app.add_exception_handler(HTTPException, fallback)
