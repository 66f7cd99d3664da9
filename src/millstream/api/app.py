"""The API app factory: one FastAPI app serving a list of dialects over the same services.

``create_api(services, access, dialects=[...])`` is the production app: for each dialect
a guard (its signature verifiers through the shared ``Authenticator``, then the role
check of the call's operation, ``api.auth.rbac.operation_guard``) and its routers bound
to ``services``; the audit middleware; the body-size limit and the 404/405 fallback, both
answering in the envelope of the dialect whose prefix the path is under; routes looked up
through a segment index (``route_index``). ``build_app`` is
the same app around one caller-resolving dependency (tests pass simple ones). The server
lists the dialects it serves in one place (``server.DIALECTS``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from fastapi import APIRouter, FastAPI

from millstream.api.auth import AuditMiddleware, Authenticator, native_authenticate
from millstream.api.auth.failures import FailureAudit
from millstream.api.auth.rbac import operation_guard
from millstream.api.auth.roa import configure_roa
from millstream.api.dialect import Dialect, Guard, install_fallbacks
from millstream.api.limits import BodySizeLimit
from millstream.api.native import NATIVE
from millstream.api.route_index import index_routes
from millstream.control.services import Services
from millstream.control.services.access import AccessService
from millstream.control.throttle import FailureThrottle

__all__ = [
    "DEFAULT_DIALECTS",
    "DEFAULT_MAX_BODY_BYTES",
    "Guard",
    "RouterFactory",
    "build_app",
    "create_api",
]

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_DIALECTS: tuple[Dialect, ...] = (NATIVE,)

# Extra routers built from the first dialect's guard (tests mount single-service routers).
RouterFactory = Callable[[Guard], APIRouter]


def _assemble(
    services: Services,
    guard_for: Callable[[Dialect], Guard],
    dialects: Sequence[Dialect],
    routers: Sequence[RouterFactory],
    max_body_bytes: int,
    public_url: str | None,
) -> FastAPI:
    if not dialects:
        raise ValueError("an API app serves at least one dialect")
    names = [dialect.name for dialect in dialects]
    if len(set(names)) != len(names):
        raise ValueError(f"a dialect is listed twice: {names}")
    app = FastAPI(title="Millstream")
    streamed = tuple(prefix for dialect in dialects for prefix in dialect.streamed_prefixes)
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=max_body_bytes,
        exempt_prefixes=streamed,
        dialects=dialects,
    )
    install_fallbacks(app, dialects)
    index_routes(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    first_guard = guard_for(dialects[0])
    for factory in routers:
        app.include_router(factory(first_guard))
    for dialect in dialects:
        guard = first_guard if dialect is dialects[0] else guard_for(dialect)
        app.include_router(dialect.router(services, guard, public_url=public_url))
    return app


def build_app(
    services: Services,
    guard: Guard,
    *,
    dialects: Sequence[Dialect] = DEFAULT_DIALECTS,
    routers: Sequence[RouterFactory] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    public_url: str | None = None,
) -> FastAPI:
    """The app with ``guard`` resolving the caller of every dialect (no signatures, no
    roles unless ``guard`` checks them): for tests."""
    return _assemble(services, lambda _: guard, dialects, routers, max_body_bytes, public_url)


def create_api(
    services: Services,
    access: AccessService,
    *,
    dialects: Sequence[Dialect] = DEFAULT_DIALECTS,
    routers: Sequence[RouterFactory] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    public_url: str | None = None,
    roa_allowed: Callable[[str], bool] = lambda _dialect: True,
    throttle: FailureThrottle | None = None,
    failures_audited_per_minute: int = 60,
) -> FastAPI:
    """The production app: signed requests, roles per operation, audit.

    ``roa_allowed(dialect name)`` decides whether the dialect accepts legacy ROA
    signatures (``ApiSettings.roa_allowed``); ``throttle`` limits failed authentications
    (default: 20 a minute per address and per key id)."""
    if services.access is not access:
        services = dataclasses.replace(services, access=access)
    # One budget of failed authentications per caller, whichever dialect it tries.
    throttle = FailureThrottle() if throttle is None else throttle
    failures = FailureAudit(access, max_entries_per_minute=failures_audited_per_minute)

    def guard_for(dialect: Dialect) -> Guard:
        verifiers = configure_roa(
            dialect.verifiers,
            default_workspace=services.default_workspace,
            enabled=roa_allowed(dialect.name),
        )
        authenticator = Authenticator(
            access,
            verifiers,
            throttle=throttle,
            audit=failures,
            default_workspace=services.default_workspace,
        )
        return operation_guard(access, native_authenticate(authenticator))

    app = _assemble(services, guard_for, dialects, routers, max_body_bytes, public_url)
    app.add_middleware(AuditMiddleware, access=access, default_workspace=services.default_workspace)
    return app
