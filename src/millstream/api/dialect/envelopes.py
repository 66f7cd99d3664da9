"""A dialect's envelope: how it answers errors and which header carries its request id.

The API layer answers every failure under a dialect's routes and prefixes through it:
domain errors, 401/403 from the guard, 404 for unknown paths and 405 for wrong methods
(as ``starlette.exceptions.HTTPException``), 413 from ``api.limits``, 400/422 request
validation errors and any unexpected exception (500, logged, no details on the wire).
"""

from __future__ import annotations

from typing import Protocol

from starlette.responses import Response

__all__ = ["Envelope"]


class Envelope(Protocol):
    """Implemented once per dialect, e.g. ``api.native.envelope.NativeEnvelope``."""

    @property
    def request_id_header(self) -> str:
        """The response header that repeats the request id (``x-acs-request-id``)."""
        ...

    def new_request_id(self) -> str:
        """A fresh request id in the dialect's format."""
        ...

    def error(self, exc: Exception, request_id: str) -> Response:
        """The dialect's answer to ``exc``, with the request id in body and header."""
        ...
