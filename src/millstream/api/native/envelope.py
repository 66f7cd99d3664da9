"""The native dialect's ``Envelope`` (``api.dialect.Envelope``) over ``errors``: request
ids in Alibaba's format, the ``x-acs-request-id`` header, every failure as
``errors.error_response``. Used by ``routing.NativeApiRoute``, the app's 404/405 fallback
and the 413 of ``api.limits``."""

from __future__ import annotations

from starlette.responses import Response

from millstream.api.native.errors import REQUEST_ID_HEADER, error_response, new_request_id

__all__ = ["ENVELOPE", "NativeEnvelope"]


class NativeEnvelope:
    @property
    def request_id_header(self) -> str:
        return REQUEST_ID_HEADER

    def new_request_id(self) -> str:
        return new_request_id()

    def error(self, exc: Exception, request_id: str) -> Response:
        return error_response(exc, request_id)


ENVELOPE = NativeEnvelope()
