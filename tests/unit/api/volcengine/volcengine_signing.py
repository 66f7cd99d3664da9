"""Requests signed by the official SDK's own signer (``volcenginesdkcore.signv4.SignerV4``),
turned into the ``SignedRequest`` the server sees, for the verifier tests.

The signer stamps ``X-Date`` with the current time; ``signed_at`` reads it back so a test
can set the authenticator's clock to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from volcenginesdkcore.signv4 import SignerV4

from millstream.api.auth import SignedRequest

__all__ = ["HOST", "sdk_request", "signed_at"]

HOST = "127.0.0.1:8080"


def sdk_request(
    *,
    key_id: str,
    secret: str,
    action: str = "GetApplicationInstance",
    method: str = "POST",
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    region: str = "cn-beijing",
    service: str = "flink",
    host: str = HOST,
    extra_headers: dict[str, str] | None = None,
) -> SignedRequest:
    """What the SDK sends for ``action``: signed as ``SignerV4.sign`` does, the query
    url-encoded as its HTTP layer does (``+`` for spaces)."""
    params = {"Action": action, "Version": "2025-01-01", **(query or {})}
    headers: dict[str, str] = {
        "Accept": "application/json",
        "User-Agent": "volcstack-python-sdk/5.0.54",
        "X-Sdk-Invocation-Id": "3aeacaad-64da-4b35-8f2b-b781eb7364ce",
        "X-Sdk-Request": "attempt=1; max=1",
        "Host": host,
        **(extra_headers or {}),
    }
    text = ""
    if method == "POST":
        headers["Content-Type"] = "application/json"
        text = json.dumps(body or {})
    else:
        headers["Content-Type"] = "text/plain"
    SignerV4.sign(
        "/", method, headers, text, [], list(params.items()), key_id, secret, region, service
    )
    return SignedRequest(
        method=method,
        raw_path="/",
        raw_query=urlencode(params),
        headers=tuple((name.lower(), value) for name, value in headers.items()),
        body=text.encode(),
    )


def signed_at(request: SignedRequest) -> datetime:
    return datetime.strptime(request.header("x-date") or "", "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
