"""Volcengine V4 ``HMAC-SHA256``: the signature of ``volcenginesdkcore`` (sdk-wire-notes.md §3C).

    CanonicalRequest = METHOD \\n Path \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n X-Content-Sha256
    Scope            = YYYYMMDD / region / service / "request"
    StringToSign     = "HMAC-SHA256" \\n X-Date \\n Scope \\n hex(sha256(CanonicalRequest))
    SigningKey       = HMAC chain secret -> date -> region -> service -> "request"
    Signature        = hex(HMAC-SHA256(SigningKey, StringToSign))

Every query pair (``Action`` and ``Version`` included) is decoded then re-encoded with
``quote(., safe='-_.~')`` and sorted; signed header values are used as sent (the SDK does
not trim them) and the host's ``:80``/``:443`` is dropped, as the SDK does. The region of
the scope is accepted as sent (a self-hosted server has no region of its own), the
service must be ``flink``. The verifier insists that the host, ``X-Date``,
``X-Content-Sha256`` and, when present, ``Content-Type`` and ``X-Security-Token`` are
signed. The scheme has no nonce: the ``Authenticator`` spends the signature itself for
every non-GET call, so a captured request cannot be replayed, and ``X-Date`` bounds its age.

``VolcengineVerifier`` plugs into the shared ``Authenticator``; ``authorization_header``
signs a request the same way (tests, and anyone scripting the API without the SDK).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote_plus

from millstream.api.auth.authenticator import Claim, SignedRequest, equal_signatures
from millstream.domain.errors import ErrorCode, Unauthenticated

__all__ = [
    "ALGORITHM",
    "SERVICE",
    "CredentialScope",
    "VolcengineVerifier",
    "authorization_header",
    "canonical_query",
    "credential_scope",
]

ALGORITHM = "HMAC-SHA256"
SERVICE = "flink"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_ALWAYS_SIGNED = ("host", "x-date", "x-content-sha256")
_SIGNED_IF_PRESENT = ("content-type", "x-security-token")
_DEFAULT_PORTS = (":80", ":443")


def _incomplete(detail: str) -> Unauthenticated:
    return Unauthenticated(
        f"malformed {ALGORITHM} Authorization: {detail}", code=ErrorCode.MALFORMED_SIGNATURE
    )


@dataclass(frozen=True, slots=True)
class CredentialScope:
    """``Credential=<AK>/<date>/<region>/<service>/request`` of the Authorization header."""

    key_id: str
    date: str
    region: str
    service: str

    @property
    def text(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/request"


@dataclass(frozen=True, slots=True)
class _Authorization:
    scope: CredentialScope
    signed_headers: list[str]
    signature: str


def _parse(authorization: str) -> _Authorization:
    _, _, rest = authorization.partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name.strip()] = value.strip()
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(name):
            raise _incomplete(f"{name} is missing")
    parts = fields["Credential"].rsplit("/", 4)
    if len(parts) != 5 or not all(parts) or parts[4] != "request":
        raise _incomplete("Credential must be <AccessKeyId>/<YYYYMMDD>/<region>/<service>/request")
    key_id, date, region, service, _ = parts
    return _Authorization(
        scope=CredentialScope(key_id=key_id, date=date, region=region, service=service),
        signed_headers=fields["SignedHeaders"].split(";"),
        signature=fields["Signature"].lower(),
    )


def credential_scope(authorization: str | None) -> CredentialScope | None:
    """The scope a request was signed for, or None when it is not this scheme's shape
    (used to echo the region in ``ResponseMetadata``)."""
    if not authorization or not authorization.startswith(ALGORITHM + " "):
        return None
    try:
        return _parse(authorization).scope
    except Unauthenticated:
        return None


def canonical_query(raw_query: str) -> str:
    """Pairs decoded (``+`` is a space on the wire), re-encoded with ``-_.~`` safe, sorted.

    The SDK signs ``dict(query)``: a repeated key keeps its last value.
    """
    pairs: dict[str, str] = {}
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs[unquote_plus(key)] = unquote_plus(value)
    encoded = sorted(
        (quote(key, safe="-_.~"), quote(value, safe="-_.~")) for key, value in pairs.items()
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def _header_value(request: SignedRequest, name: str, *, strip_port: bool) -> str:
    value = ",".join(request.header_values(name))
    if name == "host" and strip_port and value.endswith(_DEFAULT_PORTS):
        value = value.rpartition(":")[0]
    return value


def _canonical_request(
    request: SignedRequest, signed_headers: list[str], payload_hash: str, *, strip_port: bool
) -> str:
    lines = "".join(
        f"{name}:{_header_value(request, name, strip_port=strip_port)}\n" for name in signed_headers
    )
    return "\n".join(
        [
            request.method,
            request.raw_path or "/",
            canonical_query(request.raw_query),
            lines,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _signature(canonical: str, date: str, scope: CredentialScope, secret: str) -> str:
    string_to_sign = "\n".join(
        [ALGORITHM, date, scope.text, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = secret.encode()
    for step in (scope.date, scope.region, scope.service, "request"):
        key = _hmac(key, step)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization_header(
    request: SignedRequest,
    *,
    access_key_id: str,
    secret: str,
    region: str,
    signed_headers: list[str],
) -> str:
    """The Authorization value for ``request``, which carries X-Date and X-Content-Sha256."""
    names = sorted(name.lower() for name in signed_headers)
    date = request.header("x-date") or ""
    scope = CredentialScope(key_id=access_key_id, date=date[:8], region=region, service=SERVICE)
    payload_hash = request.header("x-content-sha256") or ""
    canonical = _canonical_request(request, names, payload_hash, strip_port=True)
    signature = _signature(canonical, date, scope, secret)
    return (
        f"{ALGORITHM} Credential={access_key_id}/{scope.text}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )


class VolcengineVerifier:
    """``Authorization: HMAC-SHA256 Credential=<AK>/<scope>, SignedHeaders=.., Signature=..``."""

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
        if parsed.scope.service != SERVICE:
            raise _incomplete(
                f"the credential scope names service {parsed.scope.service!r}, "
                f"this API is {SERVICE!r}"
            )
        date = request.header("x-date") or ""
        try:
            timestamp = datetime.strptime(date, DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise Unauthenticated(
                "X-Date must be a UTC time like 20260131T120000Z",
                code=ErrorCode.INVALID_TIMESTAMP,
            ) from None
        if parsed.scope.date != date[:8]:
            raise _incomplete("the credential scope date is not the date of X-Date")
        digest = (request.header("x-content-sha256") or "").lower()
        return Claim(
            key_id=parsed.scope.key_id,
            signature=parsed.signature,
            timestamp=timestamp,
            nonce=None,
            body_matches=equal_signatures(digest, hashlib.sha256(request.body).hexdigest()),
        )

    def verify(self, request: SignedRequest, claim: Claim, secret: str) -> bool:
        parsed = _parse(request.header("authorization") or "")
        date = request.header("x-date") or ""
        payload_hash = request.header("x-content-sha256") or ""
        matched = False
        # The SDK drops a default port from the signed host; other signers may not.
        for strip_port in (True, False):
            canonical = _canonical_request(
                request, parsed.signed_headers, payload_hash, strip_port=strip_port
            )
            expected = _signature(canonical, date, parsed.scope, secret)
            matched |= equal_signatures(claim.signature, expected)
        return matched
