"""The console's request plumbing: who is asking (``RequestContext``), the per-process
state (``Console``: services, access, session codec, renderer) and ``respond``, which every
handler goes through: session check, CSRF on POST, the namespace permission, and a
``MillstreamError`` rendered as a message on the page (or the flash area for htmx).

Built once by ``console.build_console``; the route modules in ``web/routes/`` call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from millstream.control.context import Actor, Scope
from millstream.control.services import Services
from millstream.control.throttle import FailureThrottle
from millstream.domain.access import Permission, Role
from millstream.domain.errors import MillstreamError, Unauthenticated
from millstream.web.ports import ConsoleAccess
from millstream.web.rendering import Renderer, error_status
from millstream.web.sessions import COOKIE_NAME, Revocations, Session, SessionCodec, secrets_match

__all__ = [
    "CSRF_HEADER",
    "Console",
    "FormField",
    "RequestContext",
    "SignedOut",
    "set_session_cookie",
]


CSRF_HEADER = "x-csrf-token"

FormField = Annotated[str, Form()]


class SignedOut(Exception):
    """No valid session: send the browser to the sign-in page."""


@dataclass(frozen=True, slots=True)
class RequestContext:
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


class Console:
    """The console's state for the process and the helpers every handler uses."""

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

    def context(self, request: Request) -> RequestContext:
        session = self.codec.decode(request.cookies.get(COOKIE_NAME))
        if session is None or self.revocations.is_revoked(session):
            raise SignedOut
        try:
            resolved = self.access.resolve(session.key_id)
        except Unauthenticated:
            raise SignedOut from None
        if resolved.actor.id != session.actor_id:
            raise SignedOut
        request.state.actor = resolved.actor  # the audit middleware records changes
        return RequestContext(
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
        handler: Callable[[RequestContext], Response],
        *,
        csrf: str | None = None,
    ) -> Response:
        """Run ``handler`` for a signed-in caller allowed ``permission`` in the namespace;
        render any domain error as a message."""
        try:
            ctx = self.context(request)
        except SignedOut:
            return self.to_sign_in(request)
        if request.method == "POST":
            given = csrf or request.headers.get(CSRF_HEADER, "")
            if not secrets_match(given, ctx.csrf):
                return self.failure(ctx, "this form is out of date: reload the page", 403)
        try:
            role = self.access.authorize(ctx.actor, ctx.scope, permission)
            ctx = RequestContext(ctx.request, ctx.session, ctx.actor, ctx.scope, ctx.csrf, role)
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

    def failure(self, ctx: RequestContext, message: str, status: int) -> Response:
        if ctx.htmx:  # htmx does not swap 4xx bodies: answer 200 into the flash area
            return self.renderer.html(
                ctx.request,
                "_flash.html",
                tone="bad",
                message=message,
                headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
            )
        return self.page(ctx, "error.html", status_code=status, message=message)

    def flash(self, ctx: RequestContext, message: str, *, tone: str = "ok") -> Response:
        """An action's result into ``#flash``; listeners of ``refresh`` reload themselves."""
        return self.renderer.html(
            ctx.request,
            "_flash.html",
            tone=tone,
            message=message,
            headers={"HX-Trigger": "refresh", "HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )

    def page(
        self, ctx: RequestContext, template: str, *, status_code: int = 200, **values: Any
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

    def fragment(self, ctx: RequestContext, template: str, **values: Any) -> Response:
        headers = values.pop("headers", None)
        return self.renderer.html(
            ctx.request, template, ctx=ctx, flink_ui=self.flink_ui_url(), headers=headers, **values
        )

    def namespace_choices(self, ctx: RequestContext) -> list[tuple[str, str]]:
        try:
            found = self.access.editable_namespaces(ctx.actor)
        except MillstreamError:
            found = []
        choices = {(n.workspace, n.namespace) for n in found}
        choices.add((ctx.scope.workspace, ctx.scope.namespace))
        return sorted(choices)


def set_session_cookie(
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
