"""The DLI v1.0 envelope (sdk-wire-notes.md §4D): snake_case JSON answers with
``is_success`` and ``message``; errors with a 4xx/5xx status, the body
``{"error_code": "DLI.xxxx", "error_msg", "is_success": false, "message"}`` and the
request id in the ``X-Request-Id`` header (the SDK reads it from there, never the body).

Batch run/stop/delete answer a top-level JSON array, one ``{"is_success", "message"}``
per job (``ok_list``). Used by ``errors`` (failures) and the operation modules.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import JSONResponse

from millstream.api.json_response import JsonResponse

__all__ = ["REQUEST_ID_HEADER", "error_json", "new_request_id", "ok_json", "ok_list"]

REQUEST_ID_HEADER = "X-Request-Id"


def new_request_id() -> str:
    """32 lower-case hex digits, the shape of Huawei Cloud's request ids."""
    return uuid.uuid4().hex


def ok_json(request_id: str, message: str, **payload: Any) -> JSONResponse:
    """A 200 ``{"is_success": true, "message": ..., <payload>}``."""
    body: dict[str, Any] = {"is_success": True, "message": message, **payload}
    return JsonResponse(body, headers={REQUEST_ID_HEADER: request_id})


def ok_list(request_id: str, items: list[dict[str, Any]]) -> JSONResponse:
    """A 200 whose body is a JSON array (the batch operations)."""
    return JsonResponse(items, headers={REQUEST_ID_HEADER: request_id})


def error_json(request_id: str, status: int, code: str, message: str) -> JSONResponse:
    body = {"error_code": code, "error_msg": message, "is_success": False, "message": message}
    return JsonResponse(body, status_code=status, headers={REQUEST_ID_HEADER: request_id})
