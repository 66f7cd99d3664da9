"""The API app factory: one FastAPI app serving every dialect over the same services.

Called by the server entry point with wired ``Services`` and the auth layer's
``authenticate`` dependency. A dialect is one ``include_router`` line; the native router
goes last because its catch-all answers any ``/api/v2/...`` path no other dialect claimed.
"""

from __future__ import annotations

from fastapi import FastAPI

from millstream.api.limits import BodySizeLimit
from millstream.api.native import Authenticate
from millstream.api.native import build_router as build_native_router
from millstream.control.services import Services

__all__ = ["DEFAULT_MAX_BODY_BYTES", "create_api"]

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


def create_api(
    services: Services,
    authenticate: Authenticate,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The ASGI app; ``authenticate`` is a FastAPI dependency returning the caller."""
    app = FastAPI(title="Millstream")
    app.add_middleware(BodySizeLimit, max_body_bytes=max_body_bytes)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Dialects: one line each; native last (its /api/v2 catch-all).
    app.include_router(build_native_router(services, authenticate))
    return app
