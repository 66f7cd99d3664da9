"""Requests signed by the official SDK's own signing code (``alibabacloud_tea_openapi``),
turned into the ``SignedRequest`` the server sees, for the verifier tests."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from alibabacloud_tea_openapi.utils import Utils
from darabonba.request import DaraRequest

from millstream.api.auth import SignedRequest

__all__ = ["acs3_date", "content_md5", "roa_date", "sdk_acs3_request", "sdk_roa_request"]

HOST = "127.0.0.1:8080"


def content_md5(body: bytes) -> str:
    """The ``Content-MD5`` header value of ``body`` (base64 of its MD5)."""
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def acs3_date(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def roa_date(at: datetime) -> str:
    return at.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _dara(method: str, pathname: str, query: dict[str, str], headers: dict[str, str]) -> Any:
    request = DaraRequest()
    request.method = method
    request.pathname = pathname
    request.query = dict(query)
    request.headers = headers
    return request


def _signed(
    method: str, pathname: str, query: dict[str, str], headers: dict[str, str], body: bytes
) -> SignedRequest:
    return SignedRequest(
        method=method,
        raw_path=pathname,
        # The SDK's HTTP layer sends the query with urlencode (quote_plus).
        raw_query=urlencode(query),
        headers=tuple((name.lower(), value) for name, value in headers.items()),
        body=body,
    )


def sdk_acs3_request(
    *,
    key_id: str,
    secret: str,
    at: datetime,
    method: str = "POST",
    pathname: str = "/api/v2/namespaces/ns1/jobs%3Astart",
    query: dict[str, str] | None = None,
    body: bytes = b'{"deploymentId":"dep-1"}',
    nonce: str = "659ccbbad25ba389ee1828eaf933accd",
    extra_headers: dict[str, str] | None = None,
) -> SignedRequest:
    """What ``Client.do_request`` sends (sdk-wire-notes.md §1A), signed by the SDK."""
    query = query or {}
    payload = hashlib.sha256(body).hexdigest()
    headers = {
        "host": HOST,
        "x-acs-version": "2022-07-18",
        "x-acs-action": "StartJobWithParams",
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        "x-acs-date": acs3_date(at),
        "x-acs-signature-nonce": nonce,
        "accept": "application/json",
        "workspace": "ws1",
        **(extra_headers or {}),
    }
    if body:
        headers["content-type"] = "application/json; charset=utf-8"
    headers["x-acs-content-sha256"] = payload
    headers["x-acs-credentials-provider"] = "static_ak"
    dara = _dara(method, pathname, query, headers)
    authorization = Utils.get_authorization(dara, "ACS3-HMAC-SHA256", payload, key_id, secret)
    headers = {**headers, "Authorization": authorization, "Accept-Encoding": "identity"}
    return _signed(method, pathname, query, headers, body)


def sdk_roa_request(
    *,
    key_id: str,
    secret: str,
    at: datetime,
    method: str = "POST",
    pathname: str = "/api/v2/namespaces/ns1/jobs%3Astart",
    query: dict[str, str] | None = None,
    body: bytes = b'{"deploymentId":"dep-1"}',
    nonce: str | None = "b30338712b2d09ec51a6687e5e4b8f5d",
    content_md5: str | None = None,
    workspace: str | None = "ws1",
    extra_headers: dict[str, str] | None = None,
) -> SignedRequest:
    """What ``Client.do_roarequest`` sends with ``signature_algorithm='v2'`` (the SDK
    sends no Content-MD5; ``content_md5`` adds one, as the foas core SDK does)."""
    query = query or {}
    headers = {
        "date": roa_date(at),
        "host": HOST,
        "accept": "application/json",
        "x-acs-signature-method": "HMAC-SHA1",
        "x-acs-signature-version": "1.0",
        "x-acs-version": "2022-07-18",
        "x-acs-action": "StartJobWithParams",
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        **(extra_headers or {}),
    }
    if workspace is not None:
        headers["workspace"] = workspace
    if nonce is not None:
        headers["x-acs-signature-nonce"] = nonce
    if body:
        headers["content-type"] = "application/json; charset=utf-8"
    if content_md5 is not None:
        headers["content-md5"] = content_md5
    headers["x-acs-credentials-provider"] = "static_ak"
    dara = _dara(method, pathname, query, headers)
    signature = Utils.get_roasignature(Utils.get_string_to_sign(dara), secret)
    headers = {**headers, "authorization": f"acs {key_id}:{signature}"}
    return _signed(method, pathname, query, headers, body)
