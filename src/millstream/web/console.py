"""The console router: every page and htmx fragment under ``/console``.

``build_console`` is called once by the app factory (``server.create_app``) with the wired
``Services`` and access control; it returns an ``APIRouter`` to include. Handlers are sync
(FastAPI runs them in its thread pool) and call control/ services directly; a
``MillstreamError`` becomes a message on the page (or in the flash area for htmx calls),
never a stack trace. Sessions are signed cookies (``sessions.py``); each request re-checks
the access key and the caller's role in the selected namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services import Services
from millstream.control.services.logs import LogKind
from millstream.control.throttle import FailureThrottle
from millstream.domain.access import Permission, Role
from millstream.domain.errors import InvalidSql, MillstreamError, NotFound, Unauthenticated
from millstream.domain.jobs import Job, RestoreKind, StopStrategy
from millstream.domain.savepoints import SavepointState
from millstream.web import views
from millstream.web.forms import EditorForm, parse_restore, parse_stop
from millstream.web.guards import SECURITY_HEADERS, same_origin
from millstream.web.highlight import highlight_sql
from millstream.web.ports import ConsoleAccess
from millstream.web.queue_views import queue_bars
from millstream.web.rendering import STATIC_FILES, Renderer, error_status, static_dir
from millstream.web.sessions import (
    COOKIE_NAME,
    SIGN_IN_COOKIE_NAME,
    Revocations,
    Session,
    SessionCodec,
    secrets_match,
)

__all__ = ["build_console"]

_PAGE_SIZE = 20
_FILTER_SCAN = 1000
_CSRF_HEADER = "x-csrf-token"

FormField = Annotated[str, Form()]


class _SignedOut(Exception):
    """No valid session: send the browser to the sign-in page."""


class _ConsoleRoute(APIRoute):
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


@dataclass(frozen=True, slots=True)
class _Context:
    """Who is looking at which namespace, for one request."""

    request: Request
    session: Session
    actor: Actor
    scope: Scope
    csrf: str
    role: Role | None = None

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    @property
    def can_edit(self) -> bool:
        return self.role is not None and self.role.allows(Permission.WRITE)


class _Console:
    def __init__(
        self,
        services: Services,
        access: ConsoleAccess,
        flink_ui_url: Callable[[], str] | str,
        codec: SessionCodec,
        default_namespace: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.services = services
        self.access = access
        self._flink_ui_url = flink_ui_url
        self.codec = codec
        self.default_namespace = default_namespace
        self.clock = clock
        self.renderer = Renderer()
        self.revocations = Revocations()
        # Failed sign-ins per source address (memory-bounded, like the API's throttle).
        self.sign_in_throttle = FailureThrottle(max_failures=20, max_failures_per_key=0)

    # ------------------------------------------------------------------ plumbing

    def flink_ui_url(self) -> str:
        value = self._flink_ui_url() if callable(self._flink_ui_url) else self._flink_ui_url
        return value.rstrip("/")

    def context(self, request: Request) -> _Context:
        session = self.codec.decode(request.cookies.get(COOKIE_NAME))
        if session is None or self.revocations.is_revoked(session):
            raise _SignedOut
        try:
            resolved = self.access.resolve(session.key_id)
        except Unauthenticated:
            raise _SignedOut from None
        if resolved.actor.id != session.actor_id:
            raise _SignedOut
        request.state.actor = resolved.actor  # the audit middleware records changes
        return _Context(
            request=request,
            session=session,
            actor=resolved.actor,
            scope=Scope(session.workspace, session.namespace),
            csrf=self.codec.csrf_token(session),
        )

    def respond(
        self,
        request: Request,
        permission: Permission,
        handler: Callable[[_Context], Response],
        *,
        csrf: str | None = None,
    ) -> Response:
        """Run ``handler`` for a signed-in caller allowed ``permission`` in the namespace;
        render any domain error as a message."""
        try:
            ctx = self.context(request)
        except _SignedOut:
            return self.to_sign_in(request)
        if request.method == "POST":
            given = csrf or request.headers.get(_CSRF_HEADER, "")
            if not secrets_match(given, ctx.csrf):
                return self.failure(ctx, "this form is out of date: reload the page", 403)
        try:
            role = self.access.authorize(ctx.actor, ctx.scope, permission)
            ctx = _Context(ctx.request, ctx.session, ctx.actor, ctx.scope, ctx.csrf, role)
            return handler(ctx)
        except MillstreamError as exc:
            return self.failure(ctx, exc.message, error_status(exc))

    def to_sign_in(self, request: Request) -> Response:
        target = f"{request.scope.get('root_path', '')}/console/sign-in"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=200, headers={"HX-Redirect": target})
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(COOKIE_NAME, path="/console")
        return response

    def failure(self, ctx: _Context, message: str, status: int) -> Response:
        if ctx.htmx:  # htmx does not swap 4xx bodies: answer 200 into the flash area
            return self.renderer.html(
                ctx.request,
                "_flash.html",
                tone="bad",
                message=message,
                headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
            )
        return self.page(ctx, "error.html", status_code=status, message=message)

    def flash(self, ctx: _Context, message: str, *, tone: str = "ok") -> Response:
        """An action's result into ``#flash``; listeners of ``refresh`` reload themselves."""
        return self.renderer.html(
            ctx.request,
            "_flash.html",
            tone=tone,
            message=message,
            headers={"HX-Trigger": "refresh", "HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )

    def page(
        self, ctx: _Context, template: str, *, status_code: int = 200, **values: Any
    ) -> Response:
        return self.renderer.html(
            ctx.request,
            template,
            status_code=status_code,
            ctx=ctx,
            namespaces=self.namespace_choices(ctx),
            flink_ui=self.flink_ui_url(),
            **values,
        )

    def fragment(self, ctx: _Context, template: str, **values: Any) -> Response:
        headers = values.pop("headers", None)
        return self.renderer.html(
            ctx.request, template, ctx=ctx, flink_ui=self.flink_ui_url(), headers=headers, **values
        )

    def namespace_choices(self, ctx: _Context) -> list[tuple[str, str]]:
        try:
            found = self.access.editable_namespaces(ctx.actor)
        except MillstreamError:
            found = []
        choices = {(n.workspace, n.namespace) for n in found}
        choices.add((ctx.scope.workspace, ctx.scope.namespace))
        return sorted(choices)

    # ------------------------------------------------------------------ reads

    def latest_job(self, scope: Scope, deployment_id: str) -> Job | None:
        jobs, _ = self.services.jobs.list(scope, deployment_id, Page(0, 1))
        return jobs[0] if jobs else None

    def deployment_rows(self, ctx: _Context, name: str, page_number: int) -> dict[str, Any]:
        pager = views.Pager.of(page_number, _PAGE_SIZE)
        needle = name.strip().lower()
        if needle:
            # The service matches names exactly; the console filters by substring over
            # the first _FILTER_SCAN deployments and pages the matches itself.
            everything, _ = self.services.deployments.list(ctx.scope, Page(0, _FILTER_SCAN))
            matches = [d for d in everything if needle in d.name.lower()]
            deployments, total = matches[pager.offset : pager.offset + pager.size], len(matches)
        else:
            deployments, total = self.services.deployments.list(
                ctx.scope, Page(pager.offset, pager.size)
            )
        rows = []
        for deployment in deployments:
            job = self.latest_job(ctx.scope, deployment.id)
            rows.append((deployment, job, views.display_status(job)))
        return {"rows": rows, "pager": pager.with_total(total), "name": name}

    def deployment_live(self, ctx: _Context, deployment_id: str) -> dict[str, Any]:
        scope = ctx.scope
        deployment = self.services.deployments.get(scope, deployment_id)
        jobs, jobs_total = self.services.jobs.list(scope, deployment_id, Page(0, 10))
        savepoints, savepoints_total = self.services.savepoints.list(
            scope, Page(0, 10), deployment_id=deployment_id
        )
        events, _ = self.services.events.list(scope, Page(0, 15), deployment_id=deployment_id)
        latest = jobs[0] if jobs else None
        live = latest if latest is not None and not latest.is_terminal else None
        return {
            "deployment": deployment,
            "jobs": jobs,
            "jobs_total": jobs_total,
            "latest": latest,
            "live": live,
            "status": views.display_status(latest),
            "savepoints": savepoints,
            "savepoints_total": savepoints_total,
            "events": events,
        }

    def job_live(self, ctx: _Context, job_id: str) -> dict[str, Any]:
        scope = ctx.scope
        job = self.services.jobs.get(scope, job_id)
        events, _ = self.services.events.list(scope, Page(0, 200), job_id=job_id)
        savepoints, _ = self.services.savepoints.list(scope, Page(0, 50), job_id=job_id)
        now = self.clock()
        durations = views.savepoint_durations(savepoints)
        return {
            "job": job,
            "status": views.display_status(job),
            "events": events[:30],
            "segments": views.timeline(events, now=now),
            "savepoints": savepoints,
            "savepoint_chart": views.sparkline(durations),
            "restart_chart": views.sparkline(_restarts_over_time(events)),
            "flink_job_url": views.flink_job_url(self.flink_ui_url(), job),
            "running_for": (
                (job.end_time or now) - job.start_time if job.start_time is not None else None
            ),
        }


def _restarts_over_time(events: list[Any]) -> list[float]:
    """Cumulative restarts, one point per job event (oldest first), from events alone."""
    count = 0.0
    series: list[float] = []
    for event in sorted(events, key=lambda e: e.created_at):
        if event.name.value == "JOB_RESTARTED":
            count += 1
        series.append(count)
    return series if count else []


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
    console = _Console(
        services, access, flink_ui_url, SessionCodec(secret_key), default_namespace, clock
    )
    router = APIRouter(prefix="/console", include_in_schema=False, route_class=_ConsoleRoute)
    _static_routes(router)
    _session_routes(router, console)
    _deployment_routes(router, console)
    _editor_routes(router, console)
    _job_routes(router, console)
    _cluster_routes(router, console)
    return router


# ---------------------------------------------------------------------- static files


def _static_routes(router: APIRouter) -> None:
    @router.get("/static/{name}")
    def static(name: str) -> Response:
        media_type = STATIC_FILES.get(name)
        if media_type is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(
            static_dir() / name,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=300"},
        )


# ---------------------------------------------------------------------- sign in / out


def _session_routes(router: APIRouter, console: _Console) -> None:
    renderer = console.renderer

    @router.get("")
    @router.get("/")
    def home(request: Request) -> Response:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/console/deployments", 303)

    def sign_in_form(
        request: Request, *, status_code: int = 200, message: str | None = None, key_id: str = ""
    ) -> Response:
        # A fresh pre-session cookie and its token each time the form is shown.
        nonce = console.codec.new_sign_in_nonce()
        response = renderer.html(
            request,
            "sign_in.html",
            status_code=status_code,
            message=message,
            key_id=key_id,
            sign_in_token=console.codec.sign_in_token(nonce),
        )
        response.set_cookie(
            SIGN_IN_COOKIE_NAME,
            nonce,
            max_age=3600,
            path="/console",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.get("/sign-in")
    def sign_in_page(request: Request) -> Response:
        return sign_in_form(request)

    @router.post("/sign-in")
    def sign_in(
        request: Request,
        access_key_id: FormField = "",
        access_key_secret: FormField = "",
        sign_in_token: FormField = "",
    ) -> Response:
        key_id = access_key_id.strip()
        if not console.codec.sign_in_matches(
            request.cookies.get(SIGN_IN_COOKIE_NAME), sign_in_token
        ):
            return sign_in_form(
                request,
                status_code=403,
                message="This sign-in form has expired or was sent from another site: "
                "sign in again.",
                key_id=key_id,
            )
        address = [f"addr:{request.client.host}"] if request.client else []
        wait = console.sign_in_throttle.retry_after(address)
        if wait is not None:
            return sign_in_form(
                request,
                status_code=429,
                message=f"Too many failed sign-ins: try again in {max(1, round(wait))} seconds.",
                key_id=key_id,
            )
        try:
            resolved = console.access.resolve(key_id) if key_id else None
        except Unauthenticated:
            resolved = None
        if resolved is None or not secrets_match(access_key_secret.strip(), resolved.secret):
            console.sign_in_throttle.record_failure(address)
            return sign_in_form(
                request,
                status_code=401,
                message="That access key ID and secret do not match an active key.",
                key_id=key_id,
            )
        actor = resolved.actor
        workspace = console.services.default_workspace
        try:
            editable = console.access.editable_namespaces(actor, workspace=workspace)
        except MillstreamError:
            editable = []
        names = [n.namespace for n in editable]
        namespace = (
            console.default_namespace
            if (not names or console.default_namespace in names)
            else names[0]
        )
        session = console.codec.new(
            key_id=key_id,
            actor_id=actor.id,
            actor_name=actor.name,
            workspace=workspace,
            namespace=namespace,
        )
        response = RedirectResponse(
            f"{request.scope.get('root_path', '')}/console/deployments", 303
        )
        _set_cookie(response, request, console.codec, session)
        response.delete_cookie(SIGN_IN_COOKIE_NAME, path="/console")
        return response

    @router.post("/sign-out")
    def sign_out(request: Request, csrf: FormField = "") -> Response:
        try:
            ctx = console.context(request)
        except _SignedOut:
            return console.to_sign_in(request)
        if not secrets_match(csrf or request.headers.get(_CSRF_HEADER, ""), ctx.csrf):
            return console.failure(ctx, "this form is out of date: reload the page", 403)
        console.revocations.revoke(ctx.session)  # a kept copy of the cookie stops working
        response = RedirectResponse(
            f"{request.scope.get('root_path', '')}/console/sign-in", status_code=303
        )
        response.delete_cookie(COOKIE_NAME, path="/console")
        return response

    @router.post("/scope")
    def switch_scope(request: Request, scope: FormField = "", csrf: FormField = "") -> Response:
        def handle(ctx: _Context) -> Response:
            workspace, _, namespace = scope.partition("/")
            target = Scope(workspace.strip(), namespace.strip())
            if not target.workspace or not target.namespace:
                raise NotFound("pick a workspace/namespace")
            console.access.authorize(ctx.actor, target, Permission.READ)
            response = RedirectResponse(
                f"{request.scope.get('root_path', '')}/console/deployments", status_code=303
            )
            new = ctx.session.with_scope(target.workspace, target.namespace)
            _set_cookie(response, request, console.codec, new)
            return response

        return console.respond(request, Permission.READ, handle, csrf=csrf)


def _set_cookie(
    response: Response, request: Request, codec: SessionCodec, session: Session
) -> None:
    response.set_cookie(
        COOKIE_NAME,
        codec.encode(session),
        max_age=codec.lifetime_seconds,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


# ---------------------------------------------------------------------- deployments


def _deployment_routes(router: APIRouter, console: _Console) -> None:
    services = console.services

    @router.get("/deployments")
    def deployments(
        request: Request,
        name: Annotated[str, Query()] = "",
        page: Annotated[int, Query(ge=1)] = 1,
        deleted: Annotated[str, Query()] = "",
    ) -> Response:
        def handle(ctx: _Context) -> Response:
            return console.page(
                ctx,
                "deployments.html",
                deleted=deleted,
                **console.deployment_rows(ctx, name, page),
            )

        return console.respond(request, Permission.READ, handle)

    @router.get("/deployments/rows")
    def deployment_rows(
        request: Request,
        name: Annotated[str, Query()] = "",
        page: Annotated[int, Query(ge=1)] = 1,
    ) -> Response:
        def handle(ctx: _Context) -> Response:
            return console.fragment(
                ctx, "_deployment_rows.html", **console.deployment_rows(ctx, name, page)
            )

        return console.respond(request, Permission.READ, handle)

    @router.get("/deployments/{deployment_id}")
    def deployment(request: Request, deployment_id: str) -> Response:
        def handle(ctx: _Context) -> Response:
            values = console.deployment_live(ctx, deployment_id)
            d = values["deployment"]
            completed, _ = services.savepoints.list(ctx.scope, Page(0, 50), deployment_id=d.id)
            return console.page(
                ctx,
                "deployment.html",
                sql_lines=highlight_sql(d.artifact.sql_script or ""),
                restore_kinds=list(RestoreKind),
                stop_strategies=list(StopStrategy),
                restorable=[s for s in completed if s.state is SavepointState.COMPLETED],
                **values,
            )

        return console.respond(request, Permission.READ, handle)

    @router.get("/deployments/{deployment_id}/live")
    def deployment_live(
        request: Request, deployment_id: str, seen: Annotated[str, Query()] = ""
    ) -> Response:
        def handle(ctx: _Context) -> Response:
            values = console.deployment_live(ctx, deployment_id)
            changed = bool(seen) and seen != values["status"]
            headers = {"HX-Trigger": "status-changed"} if changed else None
            return console.fragment(ctx, "_deployment_live.html", headers=headers, **values)

        return console.respond(request, Permission.READ, handle)

    @router.get("/deployments/{deployment_id}/actions")
    def deployment_actions(request: Request, deployment_id: str) -> Response:
        def handle(ctx: _Context) -> Response:
            values = console.deployment_live(ctx, deployment_id)
            completed, _ = services.savepoints.list(
                ctx.scope, Page(0, 50), deployment_id=deployment_id
            )
            return console.fragment(
                ctx,
                "_deployment_actions.html",
                restore_kinds=list(RestoreKind),
                stop_strategies=list(StopStrategy),
                restorable=[s for s in completed if s.state is SavepointState.COMPLETED],
                **values,
            )

        return console.respond(request, Permission.READ, handle)

    @router.post("/deployments/{deployment_id}/start")
    def start(
        request: Request,
        deployment_id: str,
        restore_kind: FormField = "NONE",
        savepoint_id: FormField = "",
        allow_non_restored_state: FormField = "",
        csrf: FormField = "",
    ) -> Response:
        def handle(ctx: _Context) -> Response:
            restore = parse_restore(restore_kind, savepoint_id, allow_non_restored_state)
            job = services.jobs.start(ctx.scope, ctx.actor, deployment_id, restore=restore)
            return console.flash(
                ctx, f"Start requested: job {job.id[:8]} (restore {restore.kind.value})."
            )

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)

    @router.post("/deployments/{deployment_id}/stop")
    def stop(
        request: Request,
        deployment_id: str,
        strategy: FormField = "STOP_WITH_SAVEPOINT",
        csrf: FormField = "",
    ) -> Response:
        def handle(ctx: _Context) -> Response:
            stop_strategy = parse_stop(strategy)
            job = console.latest_job(ctx.scope, deployment_id)
            if job is None or job.is_terminal:
                raise NotFound("this deployment has no live job to stop")
            services.jobs.stop(ctx.scope, ctx.actor, job.id, stop_strategy)
            return console.flash(
                ctx, f"Stop ({stop_strategy.value}) requested for job {job.id[:8]}."
            )

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)

    @router.post("/deployments/{deployment_id}/savepoint")
    def take_savepoint(request: Request, deployment_id: str, csrf: FormField = "") -> Response:
        def handle(ctx: _Context) -> Response:
            savepoint = services.savepoints.create(
                ctx.scope, ctx.actor, deployment_id, description="taken from the console"
            )
            return console.flash(ctx, f"Savepoint {savepoint.id[:8]} requested.")

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)

    @router.post("/deployments/{deployment_id}/delete")
    def delete(request: Request, deployment_id: str, csrf: FormField = "") -> Response:
        def handle(ctx: _Context) -> Response:
            deployment = services.deployments.delete(ctx.scope, ctx.actor, deployment_id)
            target = f"{request.scope.get('root_path', '')}/console/deployments"
            return Response(
                status_code=200,
                headers={"HX-Redirect": f"{target}?deleted={quote(deployment.name)}"},
            )

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)


# ---------------------------------------------------------------------- SQL editor


def _editor_routes(router: APIRouter, console: _Console) -> None:
    services = console.services

    def editor(
        ctx: _Context,
        form: EditorForm,
        *,
        deployment_id: str | None,
        error: MillstreamError | None = None,
        status_code: int = 200,
    ) -> Response:
        return console.page(
            ctx,
            "editor.html",
            status_code=status_code,
            form=form,
            deployment_id=deployment_id,
            versions=list(services.versions.installed),
            validation=_validation(form.sql_script, error) if error is not None else None,
        )

    @router.get("/sql/new")
    def new_sql(request: Request) -> Response:
        def handle(ctx: _Context) -> Response:
            return editor(ctx, EditorForm(sql_script=_STARTER_SQL), deployment_id=None)

        return console.respond(request, Permission.WRITE, handle)

    @router.get("/deployments/{deployment_id}/edit")
    def edit_sql(request: Request, deployment_id: str) -> Response:
        def handle(ctx: _Context) -> Response:
            deployment = services.deployments.get(ctx.scope, deployment_id)
            return editor(ctx, EditorForm.from_deployment(deployment), deployment_id=deployment_id)

        return console.respond(request, Permission.WRITE, handle)

    async def _fields(request: Request) -> dict[str, Any]:
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}

    @router.post("/sql/validate")
    async def validate(request: Request) -> Response:
        fields = await _fields(request)
        form = EditorForm.from_fields(fields)

        def handle(ctx: _Context) -> Response:
            try:
                services.deployments.validate_sql(
                    ctx.scope,
                    form.sql_script,
                    execution_mode=form.mode,
                )
            except MillstreamError as exc:
                return console.fragment(
                    ctx, "_validation.html", **_validation(form.sql_script, exc)
                )
            return console.fragment(ctx, "_validation.html", **_validation(form.sql_script, None))

        return await run_in_threadpool(
            console.respond, request, Permission.READ, handle, csrf=fields.get("csrf", "")
        )

    @router.post("/sql/save")
    async def save(request: Request) -> Response:
        fields = await _fields(request)
        form = EditorForm.from_fields(fields)
        deployment_id = fields.get("deployment_id") or None

        def handle(ctx: _Context) -> Response:
            try:
                if deployment_id is None:
                    saved = services.deployments.create(ctx.scope, ctx.actor, form.to_patch())
                else:
                    current = services.deployments.get(ctx.scope, deployment_id)
                    saved = services.deployments.update(
                        ctx.scope, ctx.actor, deployment_id, form.to_patch(current)
                    )
            except MillstreamError as exc:
                return editor(
                    ctx, form, deployment_id=deployment_id, error=exc, status_code=error_status(exc)
                )
            target = f"{request.scope.get('root_path', '')}/console/deployments/{saved.id}"
            return RedirectResponse(target, status_code=303)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )


_STARTER_SQL = """CREATE TEMPORARY TABLE source_table (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '10'
);

CREATE TEMPORARY TABLE sink_table (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO sink_table SELECT id, name FROM source_table;
"""


def _validation(script: str, error: MillstreamError | None) -> dict[str, Any]:
    """What the validation panel shows: OK, or the message and the marked line."""
    line = error.line if isinstance(error, InvalidSql) else None
    column = error.column if isinstance(error, InvalidSql) else None
    return {
        "valid": error is None,
        "message": error.message if error is not None else "The script is valid.",
        "error_line": line,
        "error_column": column,
        "lines": highlight_sql(script, error_line=line, error_column=column)
        if error is not None
        else [],
    }


# ---------------------------------------------------------------------- jobs


def _job_routes(router: APIRouter, console: _Console) -> None:
    services = console.services

    @router.get("/jobs/{job_id}")
    def job(request: Request, job_id: str) -> Response:
        def handle(ctx: _Context) -> Response:
            values = console.job_live(ctx, job_id)
            deployment_name = values["job"].deployment_name
            return console.page(ctx, "job.html", deployment_name=deployment_name, **values)

        return console.respond(request, Permission.READ, handle)

    @router.get("/jobs/{job_id}/live")
    def job_live(request: Request, job_id: str) -> Response:
        def handle(ctx: _Context) -> Response:
            return console.fragment(ctx, "_job_live.html", **console.job_live(ctx, job_id))

        return console.respond(request, Permission.READ, handle)

    @router.get("/jobs/{job_id}/logs")
    def job_logs(request: Request, job_id: str, kind: str = "jobmanager") -> Response:
        def handle(ctx: _Context) -> Response:
            if services.logs is None:
                return console.fragment(ctx, "_job_logs.html", error="no log service", files=[])
            try:
                log = services.logs.job_log(ctx.scope, job_id, LogKind.parse(kind))
            except MillstreamError as exc:  # gone with its cluster, bad kind...
                return console.fragment(ctx, "_job_logs.html", error=exc.message, files=[])
            return console.fragment(ctx, "_job_logs.html", error=None, files=log.files)

        return console.respond(request, Permission.READ, handle)

    @router.post("/jobs/{job_id}/delete")
    def delete_job(request: Request, job_id: str, csrf: FormField = "") -> Response:
        def handle(ctx: _Context) -> Response:
            deleted = services.jobs.delete(ctx.scope, ctx.actor, job_id)
            target = (
                f"{request.scope.get('root_path', '')}/console/deployments/{deleted.deployment_id}"
            )
            return Response(status_code=200, headers={"HX-Redirect": target})

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)


# ---------------------------------------------------------------------- clusters


def _cluster_routes(router: APIRouter, console: _Console) -> None:
    @router.get("/clusters")
    def clusters(request: Request) -> Response:
        def handle(ctx: _Context) -> Response:
            listed, _ = console.services.deployments.list(ctx.scope, Page(0, _FILTER_SCAN))
            pairs = [(d, console.latest_job(ctx.scope, d.id)) for d in listed]
            usage = views.cluster_usage(pairs)
            service = console.services.queues
            queues = queue_bars(service.list()) if service is not None else []
            return console.page(ctx, "clusters.html", usage=usage, queues=queues)

        return console.respond(request, Permission.READ, handle)
