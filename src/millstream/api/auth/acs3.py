"""ACS3-HMAC-SHA256: the signature of the Alibaba tea SDKs (sdk-wire-notes.md §1C), also
made by Millstream's own CLI and client.

    CanonicalRequest = METHOD \\n RawPath \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n x-acs-content-sha256
    StringToSign     = "ACS3-HMAC-SHA256\\n" + hex(sha256(CanonicalRequest))
    Signature        = hex(HMAC-SHA256(secret, StringToSign))

The path is the raw one (``/jobs%3Astart`` stays encoded); query values are decoded then
re-encoded with ``quote(v, safe='~')``; each signed header is ``name:value.strip()``.
Besides what the SDK signs anyway, the verifier insists that the date, the body digest,
the host and every ``x-acs-*``/``workspace``/``content-type`` header present are signed,
so none of them can be changed in flight.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote, unquote_plus

from millstream.api.auth.authenticator import Claim, SignedRequest, equal_signatures
from millstream.domain.errors import ErrorCode, Unauthenticated

__all__ = [
    "ALGORITHM",
    "Acs3Verifier",
    "authorization_header",
    "canonical_query",
    "canonical_request",
]

ALGORITHM = "ACS3-HMAC-SHA256"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_ALWAYS_SIGNED = ("host", "x-acs-date", "x-acs-content-sha256")
_SIGNED_IF_PRESENT = ("workspace", "content-type")


def _incomplete(detail: str) -> Unauthenticated:
    return Unauthenticated(
        f"malformed {ALGORITHM} Authorization: {detail}", code=ErrorCode.MALFORMED_SIGNATURE
    )


def canonical_query(raw_query: str) -> str:
    """Decoded pairs sorted, values re-encoded as the SDK does (keys left as they are)."""
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    pairs.sort()
    return "&".join(f"{key}={quote(value, safe='~')}" for key, value in pairs)


def canonical_request(request: SignedRequest, signed_headers: list[str], payload_hash: str) -> str:
    lines = []
    for name in signed_headers:
        values = sorted(value.strip() for value in request.header_values(name))
        lines.append(f"{name}:{','.join(values)}\n")
    return (
        f"{request.method}\n"
        f"{request.raw_path or '/'}\n"
        f"{canonical_query(request.raw_query)}\n"
        f"{''.join(lines)}\n"
        f"{';'.join(signed_headers)}\n"
        f"{payload_hash}"
    )


def _signature(canonical: str, secret: str) -> str:
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization_header(
    request: SignedRequest, *, access_key_id: str, secret: str, signed_headers: list[str]
) -> str:
    """The Authorization value for ``request`` (which must carry x-acs-content-sha256)."""
    names = sorted(name.lower() for name in signed_headers)
    payload_hash = request.header("x-acs-content-sha256") or ""
    signature = _signature(canonical_request(request, names, payload_hash), secret)
    return (
        f"{ALGORITHM} Credential={access_key_id},"
        f"SignedHeaders={';'.join(names)},Signature={signature}"
    )


class Acs3Verifier:
    """``Authorization: ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<..>,Signature=<hex>``."""

    scheme = ALGORITHM  # named in the error for an unsupported scheme

    def accepts(self, authorization: str) -> bool:
        return authorization.startswith(ALGORITHM + " ")

    def claim(self, request: SignedRequest) -> Claim:
        fields = self._fields(request.header("authorization") or "")
        signed = fields["SignedHeaders"].split(";")
        present = request.header_names
        required = set(_ALWAYS_SIGNED)
        required |= {
            name for name in present if name.startswith("x-acs-") or name in _SIGNED_IF_PRESENT
        }
        if not required <= set(signed):
            missing = ", ".join(sorted(required - set(signed)))
            raise _incomplete(f"these headers must be signed: {missing}")
        date = request.header("x-acs-date") or ""
        try:
            timestamp = datetime.strptime(date, _DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise Unauthenticated(
                "x-acs-date must be a UTC time like 2026-01-31T12:00:00Z",
                code=ErrorCode.INVALID_TIMESTAMP,
            ) from None
        digest = (request.header("x-acs-content-sha256") or "").lower()
        return Claim(
            key_id=fields["Credential"],
            signature=fields["Signature"].lower(),
            timestamp=timestamp,
            nonce=request.header("x-acs-signature-nonce"),
            body_matches=equal_signatures(digest, hashlib.sha256(request.body).hexdigest()),
        )

    def verify(self, request: SignedRequest, claim: Claim, secret: str) -> bool:
        fields = self._fields(request.header("authorization") or "")
        signed = fields["SignedHeaders"].split(";")
        payload_hash = request.header("x-acs-content-sha256") or ""
        expected = _signature(canonical_request(request, signed, payload_hash), secret)
        return equal_signatures(claim.signature, expected)

    @staticmethod
    def _fields(authorization: str) -> dict[str, str]:
        _, _, rest = authorization.partition(" ")
        fields: dict[str, str] = {}
        for part in rest.split(","):
            name, sep, value = part.strip().partition("=")
            if sep:
                fields[name] = value.strip()
        for name in ("Credential", "SignedHeaders", "Signature"):
            if not fields.get(name):
                raise _incomplete(f"{name} is missing")
        return fields
