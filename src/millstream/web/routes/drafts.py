"""Deployment drafts in the SQL editor: the folder tree and drafts beside the editor,
opening a draft (which takes its lock, or opens it read-only while someone else holds
it), saving, renaming and deleting it, and deploying it after a diff against the
deployment's current spec; the deploy runs on the draft runner and its ticket is shown
until it ends. Folder actions are in ``routes/folders.py``; the catalog browser and the
preview panel in ``routes/sql_tools.py``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from millstream.control.ports import Page
from millstream.control.services import Services
from millstream.control.services.draft_specs import spec_of
from millstream.control.services.drafts import DraftChange, DraftService
from millstream.domain.access import Permission
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.drafts import DeploymentDraft, DraftSpec, TicketKind, TicketStatus
from millstream.domain.errors import Conflict, InvalidInput, MillstreamError, NotFound
from millstream.domain.folders import Folder
from millstream.web.draft_views import folder_tree, lock_note, spec_diff
from millstream.web.responder import Console, RequestContext

__all__ = ["draft_service", "form_fields", "register", "sidebar"]

MAX_LISTED = 500  # drafts listed beside the editor

_STARTER = """CREATE TEMPORARY TABLE orders (
  id BIGINT,
  amount DOUBLE
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '5'
);

CREATE TEMPORARY TABLE sink (
  id BIGINT,
  amount DOUBLE
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO sink SELECT id, amount FROM orders;
"""


def draft_service(services: Services) -> DraftService:
    if services.drafts is None:
        raise NotFound("deployment drafts are not enabled on this server")
    return services.drafts


async def form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _folder_nodes(services: Services, ctx: RequestContext) -> list[Folder]:
    """Every folder of the namespace (the tree is walked from the root)."""
    if services.folders is None:
        return []
    found: list[Folder] = []
    pending = ["/"]
    while pending and len(found) < MAX_LISTED:
        children = services.folders.children(ctx.scope, pending.pop())
        found.extend(children)
        pending.extend(f.path for f in children)
    return found


def sidebar(console: Console, ctx: RequestContext) -> dict[str, Any]:
    """The folder tree with its drafts, and the deployments a new draft may start from."""
    services = console.services
    drafts, _ = draft_service(services).list(ctx.scope, Page(0, MAX_LISTED))
    tree = folder_tree(_folder_nodes(services, ctx), drafts)
    deployments, _ = services.deployments.list(ctx.scope, Page(0, 200))
    now = console.clock()
    return {
        "tree": tree,
        "folders": list(tree.walk()),
        "locks": {d.id: lock_note(d.lock, ctx.actor.id, now) for d in drafts},
        "deployments": deployments,
    }


def _folder_id(text: str) -> int:
    try:
        value = int(text or "0")
    except ValueError:
        raise InvalidInput(f"folder must be a folder id, got {text[:40]!r}") from None
    if value < 0:
        raise InvalidInput("folder must be a folder id")
    return value


def _mode(text: str) -> ExecutionMode:
    try:
        return ExecutionMode((text or "STREAMING").upper())
    except ValueError:
        raise InvalidInput(f"execution mode must be STREAMING or BATCH, got {text!r}") from None


def edited_spec(draft: DeploymentDraft, fields: dict[str, str]) -> DraftSpec:
    """The draft's spec with what the editor posted written over it (labels, variables
    and a non-SQL artifact's other fields are kept)."""
    script = fields.get("sql_script", "").replace("\r\n", "\n")
    artifact = draft.spec.artifact
    if artifact is not None and artifact.kind is ArtifactKind.SQLSCRIPT:
        artifact = Artifact(
            kind=ArtifactKind.SQLSCRIPT,
            sql_script=script,
            additional_dependencies=artifact.additional_dependencies,
            extra=dict(artifact.extra),
        )
    elif artifact is None:
        artifact = Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=script)
    return DraftSpec(
        name=fields.get("name", draft.spec.name).strip(),
        artifact=artifact,
        execution_mode=_mode(fields.get("execution_mode", "")),
        engine_version=fields.get("engine_version", "").strip() or None,
        labels=dict(draft.spec.labels),
        variables=dict(draft.spec.variables),
    )


def register(router: APIRouter, console: Console) -> None:
    services = console.services

    def base(ctx: RequestContext) -> str:
        return f"{ctx.request.scope.get('root_path', '')}/console"

    def workspace(
        ctx: RequestContext,
        draft: DeploymentDraft | None,
        *,
        status_code: int = 200,
        message: str | None = None,
        tone: str = "ok",
        spec: DraftSpec | None = None,
    ) -> Response:
        lock = lock_note(draft.lock, ctx.actor.id, console.clock()) if draft else None
        return console.page(
            ctx,
            "drafts.html",
            status_code=status_code,
            draft=draft,
            spec=spec or (draft.spec if draft else None),
            lock=lock,
            read_only=draft is not None and (not ctx.can_edit or bool(lock and lock.blocks)),
            message=message,
            tone=tone,
            versions=list(services.versions.installed),
            **sidebar(console, ctx),
        )

    @router.get("/drafts")
    def drafts_page(request: Request) -> Response:
        return console.respond(request, Permission.READ, lambda ctx: workspace(ctx, None))

    @router.post("/drafts/new")
    async def create_draft(request: Request) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            service = draft_service(services)
            source = fields.get("deployment_id", "").strip() or None
            name = fields.get("name", "").strip()
            if source is not None and not name:  # "Edit in a draft": reopen the one there is
                listed, _ = service.list(ctx.scope, Page(0, MAX_LISTED))
                existing = next((d for d in listed if d.deployment_id == source), None)
                if existing is not None:
                    return RedirectResponse(f"{base(ctx)}/drafts/{existing.id}", status_code=303)
            if source is not None:
                spec = spec_of(services.deployments.get(ctx.scope, source))
                spec.name = name or spec.name
            else:
                spec = DraftSpec(
                    name=name, artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=_STARTER)
                )
            draft = service.create(
                ctx.scope,
                ctx.actor,
                DraftChange(
                    spec=spec,
                    folder_id=_folder_id(fields.get("folder_id", "")),
                    deployment_id=source,
                ),
            )
            return RedirectResponse(f"{base(ctx)}/drafts/{draft.id}", status_code=303)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )

    @router.get("/drafts/{draft_id}")
    def open_draft(request: Request, draft_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            service = draft_service(services)
            draft = service.get(ctx.scope, draft_id)
            if ctx.can_edit:  # opening a draft in the editor is editing it: take its lock
                # Someone else holds it: the page opens read-only and says who, until when.
                with contextlib.suppress(Conflict):
                    draft.lock = service.lock(ctx.scope, ctx.actor, draft_id)
            saved = request.query_params.get("saved")
            return workspace(ctx, draft, message="Draft saved." if saved else None)

        return console.respond(request, Permission.READ, handle)

    async def _save(request: Request, draft_id: str, then: str) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            service = draft_service(services)
            draft = service.get(ctx.scope, draft_id)
            try:
                spec = edited_spec(draft, fields)
                service.lock(ctx.scope, ctx.actor, draft_id)
                service.update(
                    ctx.scope,
                    ctx.actor,
                    draft_id,
                    DraftChange(spec=spec, folder_id=_folder_id(fields.get("folder_id", ""))),
                )
            except MillstreamError as exc:
                shown = draft.spec
                with contextlib.suppress(MillstreamError):
                    shown = edited_spec(draft, fields)
                return workspace(
                    ctx, draft, status_code=400, message=exc.message, tone="bad", spec=shown
                )
            return RedirectResponse(f"{base(ctx)}/drafts/{draft_id}{then}", status_code=303)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )

    @router.post("/drafts/{draft_id}/save")
    async def save_draft(request: Request, draft_id: str) -> Response:
        return await _save(request, draft_id, "?saved=1")

    @router.post("/drafts/{draft_id}/review")
    async def review_draft(request: Request, draft_id: str) -> Response:
        """Save what the editor holds, then show what deploying it changes."""
        return await _save(request, draft_id, "/deploy")

    @router.post("/drafts/{draft_id}/rename")
    async def rename_draft(request: Request, draft_id: str) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            service = draft_service(services)
            draft = service.get(ctx.scope, draft_id)
            draft.spec.name = fields.get("name", "").strip()
            service.update(ctx.scope, ctx.actor, draft_id, DraftChange(spec=draft.spec))
            return RedirectResponse(f"{base(ctx)}/drafts/{draft_id}", status_code=303)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )

    @router.post("/drafts/{draft_id}/delete")
    async def delete_draft(request: Request, draft_id: str) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            draft_service(services).delete(ctx.scope, ctx.actor, draft_id)
            return RedirectResponse(f"{base(ctx)}/drafts", status_code=303)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )

    @router.get("/drafts/{draft_id}/deploy")
    def review_page(request: Request, draft_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            draft = draft_service(services).get(ctx.scope, draft_id)
            deployment = (
                services.deployments.get(ctx.scope, draft.deployment_id)
                if draft.deployment_id
                else None
            )
            before = spec_of(deployment) if deployment is not None else None
            return console.page(
                ctx,
                "draft_deploy.html",
                draft=draft,
                deployment=deployment,
                diff=spec_diff(before, draft.spec),
                lock=lock_note(draft.lock, ctx.actor.id, console.clock()),
            )

        return console.respond(request, Permission.WRITE, handle)

    @router.post("/drafts/{draft_id}/deploy")
    async def deploy_draft(request: Request, draft_id: str) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            ticket = draft_service(services).deploy_async(
                ctx.scope,
                ctx.actor,
                draft_id,
                skip_validate=fields.get("skip_validate", "") in ("on", "true", "1"),
            )
            target = f"{base(ctx)}/drafts/{draft_id}/tickets/{ticket.id}"
            return RedirectResponse(target, status_code=303)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )

    @router.get("/drafts/{draft_id}/tickets/{ticket_id}")
    def ticket_page(request: Request, draft_id: str, ticket_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            service = draft_service(services)
            draft = service.get(ctx.scope, draft_id)
            ticket = service.ticket(ctx.scope, ticket_id, TicketKind.DEPLOY)
            if ticket.draft_id != draft.id:
                raise NotFound(f"deploy ticket {ticket_id!r} is not of draft {draft_id!r}")
            values: dict[str, Any] = {
                "draft": draft,
                "ticket": ticket,
                "processing": ticket.status is TicketStatus.PROCESSING,
            }
            if ctx.htmx:
                return console.fragment(ctx, "_draft_ticket.html", **values)
            return console.page(ctx, "draft_ticket.html", **values)

        return console.respond(request, Permission.READ, handle)
