"""Huawei Cloud ``SDK-HMAC-SHA256``, the signature of ``huaweicloudsdkcore`` (wire notes §4C).

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n PayloadHash
    StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(sha256(CanonicalRequest))
    Signature        = hex(HMAC-SHA256(secret, StringToSign))       (no derived key)

The canonical URI is the decoded path, each segment re-encoded with ``quote(., safe='~')``
and **always a trailing ``/``** (the wire path has none). Query pairs are decoded, sorted
and re-encoded the same way. Header values are stripped. The payload hash is the
``X-Sdk-Content-Sha256`` header when sent, else sha256 of the body (sha256 of nothing for
an empty body); a body that does not hash to a sent digest is refused, so
``UNSIGNED-PAYLOAD`` never carries a JSON body past the check.

The verifier insists that ``host`` and ``x-sdk-date`` are signed, and ``content-type``,
``x-project-id``, ``x-sdk-content-sha256`` and ``x-security-token`` whenever they are
present. The scheme has no nonce: the shared ``Authenticator`` spends the signature itself
for every non-GET call, so a captured request cannot be replayed, and ``X-Sdk-Date``
bounds its age (the skew limit). ``DliVerifier`` plugs into the ``Authenticator``;
``authorization_header`` signs a request the same way (tests, scripts without the SDK).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote, unquote_plus

from millstream.api.auth.authenticator import Claim, SignedRequest, equal_signatures
from millstream.domain.errors import ErrorCode, Unauthenticated

__all__ = [
    "ALGORITHM",
    "DATE_FORMAT",
    "DATE_HEADER",
    "EMPTY_HASH",
    "DliVerifier",
    "authorization_header",
    "canonical_query",
    "canonical_uri",
]

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "x-sdk-date"
CONTENT_HASH_HEADER = "x-sdk-content-sha256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()
_ALWAYS_SIGNED = ("host", DATE_HEADER)
_SIGNED_IF_PRESENT = ("content-type", "x-project-id", CONTENT_HASH_HEADER, "x-security-token")


def _incomplete(detail: str) -> Unauthenticated:
    return Unauthenticated(
        f"malformed {ALGORITHM} Authorization: {detail}", code=ErrorCode.MALFORMED_SIGNATURE
    )


@dataclass(frozen=True, slots=True)
class _Authorization:
    access: str
    signed_headers: list[str]
    signature: str


def _parse(authorization: str) -> _Authorization:
    _, _, rest = authorization.partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name.strip()] = value.strip()
    for name in ("Access", "SignedHeaders", "Signature"):
        if not fields.get(name):
            raise _incomplete(f"{name} is missing")
    return _Authorization(
        access=fields["Access"],
        signed_headers=[h for h in fields["SignedHeaders"].lower().split(";") if h],
        signature=fields["Signature"].lower(),
    )


def _encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_uri(raw_path: str) -> str:
    """Decoded, re-encoded segment by segment, with the trailing ``/`` the SDK adds."""
    path = "/".join(_encode(segment) for segment in unquote(raw_path or "/").split("/"))
    return path if path.endswith("/") else path + "/"


def canonical_query(raw_query: str) -> str:
    """Pairs decoded, sorted by (key, value) as the SDK sorts them, then re-encoded."""
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in sorted(pairs))


def _payload_hash(request: SignedRequest) -> str:
    if not request.body:
        return EMPTY_HASH
    return request.header(CONTENT_HASH_HEADER) or hashlib.sha256(request.body).hexdigest()


def _canonical_request(request: SignedRequest, signed_headers: list[str]) -> str:
    lines = "".join(
        f"{name}:{','.join(v.strip() for v in request.header_values(name))}\n"
        for name in signed_headers
    )
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.raw_path),
            canonical_query(request.raw_query),
            lines,
            ";".join(signed_headers),
            _payload_hash(request),
        ]
    )


def _signature(canonical: str, date: str, secret: str) -> str:
    string_to_sign = "\n".join([ALGORITHM, date, hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization_header(
    request: SignedRequest, *, access_key_id: str, secret: str, signed_headers: list[str]
) -> str:
    """The Authorization value for ``request``, which must carry ``X-Sdk-Date``."""
    names = sorted(name.lower() for name in signed_headers)
    date = request.header(DATE_HEADER) or ""
    signature = _signature(_canonical_request(request, names), date, secret)
    return (
        f"{ALGORITHM} Access={access_key_id}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature}"
    )


class DliVerifier:
    """``Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=.., Signature=..``."""

    scheme = ALGORITHM  # named in the error for an unsupported scheme

    def accepts(self, authorization: str) -> bool:
        return authorization.startswith(ALGORITHM + " ")

    def claim(self, request: SignedRequest) -> Claim:
        parsed = _parse(request.header("authorization") or "")
        present = request.header_names
        required = set(_ALWAYS_SIGNED) | {name for name in _SIGNED_IF_PRESENT if name in present}
        missing = required - set(parsed.signed_headers)
        if missing:
            raise _incomplete(f"these headers must be signed: {', '.join(sorted(missing))}")
        unsent = [name for name in parsed.signed_headers if name not in present]
        if unsent:
            raise _incomplete(f"signed headers were not sent: {', '.join(unsent)}")
        date = request.header(DATE_HEADER) or ""
        try:
            timestamp = datetime.strptime(date, DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise Unauthenticated(
                "X-Sdk-Date must be a UTC time like 20260131T120000Z",
                code=ErrorCode.INVALID_TIMESTAMP,
            ) from None
        digest = (request.header(CONTENT_HASH_HEADER) or "").lower()
        body_matches = not request.body or not digest
        if not body_matches:
            body_matches = equal_signatures(digest, hashlib.sha256(request.body).hexdigest())
        return Claim(
            key_id=parsed.access,
            signature=parsed.signature,
            timestamp=timestamp,
            nonce=None,
            body_matches=body_matches,
        )

    def verify(self, request: SignedRequest, claim: Claim, secret: str) -> bool:
        parsed = _parse(request.header("authorization") or "")
        date = request.header(DATE_HEADER) or ""
        expected = _signature(_canonical_request(request, parsed.signed_headers), date, secret)
        return equal_signatures(claim.signature, expected)
