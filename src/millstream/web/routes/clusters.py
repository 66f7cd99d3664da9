"""The clusters page: slots used per cluster by live jobs, and queue usage."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from millstream.control.ports import Page
from millstream.domain.access import Permission
from millstream.web import page_data, views
from millstream.web.queue_views import queue_bars
from millstream.web.responder import Console, RequestContext

__all__ = ["register"]


def register(router: APIRouter, console: Console) -> None:
    @router.get("/clusters")
    def clusters(request: Request) -> Response:
        def handle(ctx: RequestContext) -> Response:
            listed, _ = console.services.deployments.list(ctx.scope, Page(0, page_data.FILTER_SCAN))
            pairs = [(d, page_data.latest_job(console, ctx.scope, d.id)) for d in listed]
            usage = views.cluster_usage(pairs)
            service = console.services.queues
            queues = queue_bars(service.list()) if service is not None else []
            return console.page(ctx, "clusters.html", usage=usage, queues=queues)

        return console.respond(request, Permission.READ, handle)
