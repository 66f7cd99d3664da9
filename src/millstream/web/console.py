"""The console router: every page and htmx fragment under ``/console``.

``build_console`` is called once by the app factory (``server.create_app``) with the wired
``Services`` and access control; it returns an ``APIRouter`` to include. Handlers are sync
(FastAPI runs them in its thread pool) and call control/ services directly; a
``MillstreamError`` becomes a message on the page (or in the flash area for htmx calls),
never a stack trace. Sessions are signed cookies (``sessions.py``); each request re-checks
the access key and the caller's role in the selected namespace (``responder.py``). The
handlers live in ``web/routes/``, one module per area.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter

from millstream.control.services import Services
from millstream.web.ports import ConsoleAccess
from millstream.web.responder import Console
from millstream.web.route import ConsoleRoute
from millstream.web.routes import (
    clusters,
    deployments,
    drafts,
    editor,
    folders,
    job_insights,
    jobs,
    sessions,
    sql_tools,
    static,
)
from millstream.web.sessions import SessionCodec

__all__ = ["build_console"]


def build_console(
    services: Services,
    *,
    access: ConsoleAccess,
    flink_ui_url: Callable[[], str] | str,
    secret_key: bytes,
    default_namespace: str = "default-namespace",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """The console at ``/console`` (pages, htmx fragments and its static files)."""
    console = Console(
        services, access, flink_ui_url, SessionCodec(secret_key), default_namespace, clock
    )
    router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)
    # Order matters: ``/deployments/rows`` before ``/deployments/{deployment_id}``.
    static.register(router)
    sessions.register(router, console)
    deployments.register(router, console)
    editor.register(router, console)
    drafts.register(router, console)
    folders.register(router, console)
    sql_tools.register(router, console)
    jobs.register(router, console)
    job_insights.register(router, console)
    clusters.register(router, console)
    return router
