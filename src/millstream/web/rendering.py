"""Jinja2 environment of the console: templates, filters and the error-to-status table.

``console.py`` renders every page and htmx fragment through ``Renderer``; templates live
in ``web/templates`` and static files in ``web/static`` (served by the console router).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from millstream.domain.errors import (
    Conflict,
    InvalidInput,
    MillstreamError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from millstream.web import numbers, views, wording

__all__ = ["STATIC_FILES", "Renderer", "error_status", "static_dir"]

_HERE = Path(__file__).parent

# name -> media type; only these are served (no directory listing, no path tricks)
STATIC_FILES: dict[str, str] = {
    "htmx.min.js": "text/javascript",
    "console.js": "text/javascript",
    "sql-editor.min.js": "text/javascript",  # built from web-editor/ by `make editor`
    "console.css": "text/css",
    "favicon.svg": "image/svg+xml",
}

_STATUS: tuple[tuple[type[MillstreamError], int], ...] = (
    (NotFound, 404),
    (InvalidInput, 400),
    (Conflict, 409),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (PayloadTooLarge, 413),
    (Unavailable, 503),
)


def static_dir() -> Path:
    """Where the console's CSS, JS and icons are (to mount them elsewhere if wanted)."""
    return _HERE / "static"


def error_status(error: MillstreamError) -> int:
    """HTTP status of a full-page error, most specific class first."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


class Renderer:
    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(_HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            time=views.format_time,
            duration=views.format_duration,
            tone=views.status_tone,
            event_title=wording.event_title,
            event_detail=wording.event_detail,
            inline_code=wording.inline_code,
            rate=numbers.rate,
            bytes=numbers.byte_size,
            ratio=numbers.ratio,
            ms_share=numbers.ms_share,
            ms=numbers.milliseconds,
            clock=numbers.clock,
        )

    def html(
        self,
        request: Request,
        template: str,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        base = request.scope.get("root_path", "") + "/console"
        body = self.env.get_template(template).render(request=request, base=base, **context)
        return HTMLResponse(body, status_code=status_code, headers=headers)
