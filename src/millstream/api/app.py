"""The API app factory: one FastAPI app serving every dialect over the same services.

Called by the server entry point with wired ``Services`` and the ``AccessService``. It
builds the authentication chain (signature verifiers -> authenticator -> namespace role
guard), the audit middleware, and mounts the routers. A dialect is one ``include_router``
line; the native router goes last because its catch-all answers any ``/api/v2/...`` path
no other dialect claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import APIRouter, FastAPI, Request

from millstream.api.admin import build_admin_router
from millstream.api.auth import (
    Acs3Verifier,
    AuditMiddleware,
    Authenticator,
    BasicVerifier,
    RoaVerifier,
    namespace_guard,
    native_authenticate,
)
from millstream.api.auth.rbac import is_write
from millstream.api.limits import BodySizeLimit
from millstream.api.native import Authenticate
from millstream.api.native import build_router as build_native_router
from millstream.api.native.members import build_members_router
from millstream.control.services import Services
from millstream.control.services.access import AccessService

__all__ = ["DEFAULT_MAX_BODY_BYTES", "Guard", "RouterFactory", "build_app", "create_api"]

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024

Guard = Authenticate
RouterFactory = Callable[[Guard], APIRouter]

# Pre-signed artifact uploads stream to disk under the artifact store's own size limit.
STREAMED_UPLOAD_PREFIXES = ("/artifacts/v2/upload/",)

# POSTs that only read: a VIEWER may call them.
_READ_ONLY_POSTS = ("/sql-statement/validate",)


def _needs_write(request: Request) -> bool:
    return is_write(request) and not request.url.path.endswith(_READ_ONLY_POSTS)


def build_app(
    services: Services,
    guard: Guard,
    *,
    routers: Sequence[RouterFactory] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The app around any caller-resolving dependency ``guard`` (tests pass simple ones)."""
    app = FastAPI(title="Millstream")
    app.add_middleware(
        BodySizeLimit, max_body_bytes=max_body_bytes, exempt_prefixes=STREAMED_UPLOAD_PREFIXES
    )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for factory in routers:
        app.include_router(factory(guard))
    # Dialects: one line each; native last (its /api/v2 catch-all).
    app.include_router(build_native_router(services, guard))
    return app


def create_api(
    services: Services,
    access: AccessService,
    *,
    routers: Sequence[RouterFactory] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The production app: signed requests, namespace roles, audit. ``routers`` build more
    routers from the role-checking dependency (artifacts, variables...)."""
    authenticator = Authenticator(access, [Acs3Verifier(), RoaVerifier(), BasicVerifier()])
    authenticate = native_authenticate(authenticator)
    workspace = services.default_workspace
    guard = namespace_guard(access, authenticate, default_workspace=workspace, write=_needs_write)
    app = build_app(
        services,
        guard,
        routers=[
            lambda _: build_members_router(access, authenticate, default_workspace=workspace),
            lambda _: build_admin_router(access, authenticate, default_workspace=workspace),
            *routers,
        ],
        max_body_bytes=max_body_bytes,
    )
    app.add_middleware(AuditMiddleware, access=access, default_workspace=workspace)
    return app
