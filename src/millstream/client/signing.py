"""ACS3-HMAC-SHA256 request signing, byte for byte as the official tea SDK does it.

Spec: sdk-wire-notes.md §1.C. The server verifies over the *raw* request, so the
canonical URI is the percent-encoded path as sent (``jobs%3Astart``), the query is
rebuilt from the sorted parameters, and every header we set ourselves is signed,
including ``host`` as httpx will send it. Headers httpx adds on its own
(accept-encoding, connection, content-length) are left unsigned, as the SDK leaves the
ones its HTTP library adds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import httpx

__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "authorization",
    "canonical_query",
    "canonical_request",
    "new_nonce",
    "sha256_hex",
    "sign_request",
    "timestamp",
]

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# Added or rewritten by the HTTP layer after signing, so never signed (the SDK agrees).
_UNSIGNED = frozenset({"accept-encoding", "connection", "content-length", "authorization"})


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def timestamp(moment: datetime | None = None) -> str:
    """``x-acs-date``: UTC, ``%Y-%m-%dT%H:%M:%SZ``."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_nonce() -> str:
    """``x-acs-signature-nonce``: 32 hex digits, unique per request (the SDK uses an md5)."""
    return secrets.token_hex(16)


def canonical_query(query: Mapping[str, str | None]) -> str:
    """Keys sorted and left as they are, values ``quote(v, safe='~')``, None dropped."""
    return "&".join(
        f"{key}={quote(value, safe='~')}"
        for key, value in sorted(query.items())
        if value is not None
    )


def _canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    lowered: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), []).append(value.strip())
    names = sorted(lowered)
    text = "".join(f"{name}:{','.join(sorted(lowered[name]))}\n" for name in names)
    return text, ";".join(names)


def canonical_request(
    method: str,
    raw_path: str,
    query: Mapping[str, str | None],
    headers: Mapping[str, str],
    payload_sha256: str,
) -> tuple[str, str]:
    """The canonical request text and the ``SignedHeaders`` list for ``headers``."""
    header_text, signed = _canonical_headers(headers)
    text = "\n".join(
        [
            method.upper(),
            raw_path or "/",
            canonical_query(query),
            header_text,
            signed,
            payload_sha256,
        ]
    )
    return text, signed


def authorization(
    *,
    method: str,
    raw_path: str,
    query: Mapping[str, str | None],
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key_id: str,
    access_key_secret: str,
) -> str:
    """The ``Authorization`` header value signing exactly ``headers``."""
    text, signed = canonical_request(method, raw_path, query, headers, payload_sha256)
    string_to_sign = f"{ALGORITHM}\n{sha256_hex(text.encode())}"
    signature = hmac.new(
        access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={signed},Signature={signature}"


def sign_request(
    request: httpx.Request,
    access_key_id: str,
    access_key_secret: str,
    *,
    moment: datetime | None = None,
    nonce: str | None = None,
) -> None:
    """Sign a built ``httpx.Request`` in place over its raw path, query and headers.

    Adds ``x-acs-date``, ``x-acs-signature-nonce`` and ``x-acs-content-sha256`` when
    missing, then ``Authorization`` over every header present except those the HTTP
    layer manages (``host`` included, as httpx will send it).
    """
    body = request.read()
    request.headers.setdefault("x-acs-date", timestamp(moment))
    request.headers.setdefault("x-acs-signature-nonce", nonce or new_nonce())
    request.headers["x-acs-content-sha256"] = sha256_hex(body)
    signed = {name: value for name, value in request.headers.items() if name not in _UNSIGNED}
    raw_path, _, raw_query = request.url.raw_path.decode("ascii").partition("?")
    request.headers["authorization"] = authorization(
        method=request.method,
        raw_path=raw_path,
        query=dict(parse_qsl(raw_query, keep_blank_values=True)),
        headers=signed,
        payload_sha256=signed["x-acs-content-sha256"],
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
    )
