"""Signing in and out of the console, and switching namespace: ``/console``,
``/console/sign-in``, ``/console/sign-out``, ``/console/scope``. Sign-in forms carry a
pre-session token; failed sign-ins are throttled per address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from millstream.control.context import Scope
from millstream.domain.access import Permission
from millstream.domain.errors import MillstreamError, NotFound, Unauthenticated
from millstream.web.responder import (
    CSRF_HEADER,
    Console,
    FormField,
    RequestContext,
    SignedOut,
    set_session_cookie,
)
from millstream.web.sessions import COOKIE_NAME, SIGN_IN_COOKIE_NAME, secrets_match

__all__ = ["register"]


def register(router: APIRouter, console: Console) -> None:
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
        set_session_cookie(response, request, console.codec, session)
        response.delete_cookie(SIGN_IN_COOKIE_NAME, path="/console")
        return response

    @router.post("/sign-out")
    def sign_out(request: Request, csrf: FormField = "") -> Response:
        try:
            ctx = console.context(request)
        except SignedOut:
            return console.to_sign_in(request)
        if not secrets_match(csrf or request.headers.get(CSRF_HEADER, ""), ctx.csrf):
            return console.failure(ctx, "this form is out of date: reload the page", 403)
        console.revocations.revoke(ctx.session)  # a kept copy of the cookie stops working
        response = RedirectResponse(
            f"{request.scope.get('root_path', '')}/console/sign-in", status_code=303
        )
        response.delete_cookie(COOKIE_NAME, path="/console")
        return response

    @router.post("/scope")
    def switch_scope(request: Request, scope: FormField = "", csrf: FormField = "") -> Response:
        def handle(ctx: RequestContext) -> Response:
            workspace, _, namespace = scope.partition("/")
            target = Scope(workspace.strip(), namespace.strip())
            if not target.workspace or not target.namespace:
                raise NotFound("pick a workspace/namespace")
            console.access.authorize(ctx.actor, target, Permission.READ)
            response = RedirectResponse(
                f"{request.scope.get('root_path', '')}/console/deployments", status_code=303
            )
            new = ctx.session.with_scope(target.workspace, target.namespace)
            set_session_cookie(response, request, console.codec, new)
            return response

        return console.respond(request, Permission.READ, handle, csrf=csrf)
