"""``/console/static/{name}``: the console's CSS and scripts (a fixed list, cached 5 min)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from millstream.web.rendering import STATIC_FILES, static_dir

__all__ = ["register"]


def register(router: APIRouter) -> None:
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
