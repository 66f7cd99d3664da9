"""The foas 2018-11-11 envelope (spec §1.5-1.6, sdk-wire-notes.md §2): every answer
carries ``RequestId``; successes are ``{"RequestId", <result fields>}``; failures a
4xx/5xx with ``{"RequestId", "HostId", "Code", "Message"}``, which
``aliyun-python-sdk-core`` turns into ``ServerException(code, message, request_id)``.

JSON unless the request asks ``Format=XML`` (the document's common parameter): then the
same data as ``<{Operation}Response>`` XML. The document says XML is the default, but the
SDK always sends ``Accept: application/json`` and parses errors as JSON only, so JSON is
the default here (what the SDK sends wins, as the issue asks). The format of the current
request is kept in a context variable set by the route class (``use_format``), so errors
raised anywhere answer in it. The request id is also sent in ``x-acs-request-id``.
Used by ``errors`` and the operation modules.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any
from xml.sax.saxutils import escape

from starlette.responses import Response

__all__ = [
    "HOST_ID",
    "REQUEST_ID_HEADER",
    "error_body",
    "new_request_id",
    "ok",
    "render",
    "to_xml",
    "use_format",
    "wants_xml",
]

REQUEST_ID_HEADER = "x-acs-request-id"
HOST_ID = "millstream"

_XML: ContextVar[str | None] = ContextVar("foas_xml_root", default=None)


def new_request_id() -> str:
    """An upper-case UUID, the shape of Alibaba Cloud request ids."""
    return str(uuid.uuid4()).upper()


def wants_xml(query: Mapping[str, str]) -> bool:
    return (query.get("Format") or query.get("format") or "").upper() == "XML"


@contextlib.contextmanager
def use_format(xml_root: str | None) -> Iterator[None]:
    """Answer in XML under ``<xml_root>`` (None: JSON) while the block runs."""
    token = _XML.set(xml_root)
    try:
        yield
    finally:
        _XML.reset(token)


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "".join(_element(str(key), item) for key, item in value.items())
    if isinstance(value, list):
        return "".join(_element("item", item) for item in value)
    return escape("" if value is None else str(value))


def _element(name: str, value: Any) -> str:
    """``<name>value</name>``; a list repeats the element once per item, as Aliyun's
    XML does (``{"Instances": {"Instance": [a, b]}}`` is two ``<Instance>``)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(_element(name, item) for item in value)
    return f"<{name}>{_xml_value(value)}</{name}>"


def to_xml(root: str, body: Mapping[str, Any]) -> str:
    """``body`` as ``<?xml ...?><root>...</root>`` (lists repeat ``<item>``)."""
    return f'<?xml version="1.0" encoding="UTF-8"?><{root}>{_xml_value(dict(body))}</{root}>'


def render(
    body: Mapping[str, Any], status: int, request_id: str, *, error: bool = False
) -> Response:
    """``body`` in the request's format; an error's XML root is ``<Error>``."""
    headers = {REQUEST_ID_HEADER: request_id}
    root = _XML.get()
    if root is not None:
        root = "Error" if error else root
        return Response(
            to_xml(root, body),
            status_code=status,
            media_type="text/xml;charset=utf-8",
            headers=headers,
        )
    return Response(
        json.dumps(dict(body), ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type="application/json;charset=utf-8",
        headers=headers,
    )


def ok(request_id: str, **fields: Any) -> Response:
    """A 200 ``{"RequestId": ..., <fields>}``."""
    return render({"RequestId": request_id, **fields}, 200, request_id)


def error_body(request_id: str, code: str, message: str) -> dict[str, Any]:
    return {"RequestId": request_id, "HostId": HOST_ID, "Code": code, "Message": message}
