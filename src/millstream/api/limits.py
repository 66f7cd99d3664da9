"""Request-size limit for every dialect: a pure ASGI middleware (413 before any parsing).

A declared ``Content-Length`` over the limit is refused at once, in the envelope (and with
the request-id header) of the dialect whose prefix the path is under; a path of no
dialect gets a generic JSON body both Alibaba SDK families can read (``code``/``message``
and ``Code``/``Message``). A body without a length (chunked) is counted while the route
reads it; crossing the limit raises ``PayloadTooLarge``, which the route's dialect turns
into its own 413 envelope. ``api.app`` adds it once, with the served dialects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from millstream.api.dialect.dialects import Dialect, owning_dialect
from millstream.domain.errors import PayloadTooLarge

__all__ = ["BodySizeLimit"]

# The wire code both Alibaba SDK families read; the domain's code (ErrorCode) is neutral.
_WIRE_CODE = "PayloadTooLarge"


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        exempt_prefixes: tuple[str, ...] = (),
        dialects: Sequence[Dialect] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Routes that stream their body to disk and enforce their own (larger) limit.
        self.exempt_prefixes = exempt_prefixes
        self.dialects = tuple(dialects)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLarge(self._message())
            return message

        await self.app(scope, counting_receive, send)

    def _message(self) -> str:
        return f"request body is larger than the limit of {self.max_body_bytes} bytes"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        owner = owning_dialect(self.dialects, str(scope.get("path", "")))
        if owner is not None:
            request_id = owner.envelope.new_request_id()
            response = owner.envelope.error(PayloadTooLarge(self._message()), request_id)
            # The body was not read: the connection cannot carry another request.
            response.headers["connection"] = "close"
            await response(scope, receive, send)
            return
        await self._refuse_generic(send)

    async def _refuse_generic(self, send: Send) -> None:
        request_id = str(uuid.uuid4()).upper()
        message = self._message()
        body = json.dumps(
            {
                "requestId": request_id,
                "success": False,
                "httpCode": 413,
                "errorCode": _WIRE_CODE,
                "errorMessage": message,
                "data": None,
                "code": _WIRE_CODE,
                "message": message,
                "RequestId": request_id,
                "Code": _WIRE_CODE,
                "Message": message,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-acs-request-id", request_id.encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
