"""Requests signed by the official SDK's own signer (``huaweicloudsdkcore.signer.Signer``),
turned into the ``SignedRequest`` the server sees, for the verifier tests.

The SDK signs the resource path (``/v1.0/<project>/streaming/jobs``), its query pairs and
headers; the wire path has no trailing ``/`` (the canonical URI does). ``signed_at``
reads ``X-Sdk-Date`` back so a test can set the authenticator's clock to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from millstream.api.auth import SignedRequest

__all__ = ["HOST", "PROJECT", "sdk_request", "signed_at"]

HOST = "127.0.0.1:8080"
PROJECT = "0123456789abcdef0123456789abcdef"


def sdk_request(
    *,
    key_id: str,
    secret: str,
    method: str = "POST",
    path: str = f"/v1.0/{PROJECT}/streaming/jobs/run",
    body: dict[str, Any] | None = None,
    query: list[tuple[str, Any]] | None = None,
    project: str = PROJECT,
    content_type: str = "application/json",
) -> SignedRequest:
    """What the SDK sends: headers as ``DliClient`` sets them, signed by ``Signer``."""
    text = json.dumps(body) if body is not None else ""
    request = SdkRequest(
        method=method,
        schema="http",
        host=HOST,
        resource_path=path,
        query_params=list(query or []),
        header_params={
            "Content-Type": content_type,
            "User-Agent": "huaweicloud-usdk-python/3.0",
            "X-Project-Id": project,
        },
        body=text,
    )
    Signer(BasicCredentials(key_id, secret, project)).sign(request)
    headers = tuple((name.lower(), str(value)) for name, value in request.header_params.items())
    raw_path, _, raw_query = request.uri.partition("?")
    body_bytes = request.body if isinstance(request.body, bytes) else text.encode()
    return SignedRequest(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=(*headers, ("accept", "*/*")),
        body=body_bytes,
    )


def signed_at(request: SignedRequest) -> datetime:
    return datetime.strptime(request.header("x-sdk-date") or "", "%Y%m%dT%H%M%SZ").replace(
        tzinfo=UTC
    )
