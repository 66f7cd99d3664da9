"""Legacy ROA signature ``Authorization: acs <AK>:<base64 HMAC-SHA1>`` (sdk-wire-notes.md §2C).

Sent by the tea SDKs with ``Config(signature_algorithm='v2')`` and by the old
``aliyun-python-sdk-core`` (foas):

    StringToSign = METHOD \\n Accept \\n Content-MD5 \\n Content-Type \\n Date \\n
                   sorted "x-acs-*:value\\n" + CanonicalResource
    CanonicalResource = path + "?" + sorted "k=v" (raw, decoded values) joined by "&"

The two SDKs disagree in details, and both forms are accepted: the tea SDK signs the
path as it sends it (``/jobs%3Astart``) while the core SDK signs it unescaped, and a
blank query value is ``k`` for one and ``k=`` for the other.

Only ``Content-MD5`` covers the body, and the tea SDK does not send it for JSON bodies:
such bodies are not protected by this scheme (ACS3, the default, always is). The
``Date`` header is the timestamp; ``x-acs-signature-nonce`` is the nonce when present.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, unquote_plus

from millstream.api.auth.authenticator import Claim, SignedRequest, equal_signatures
from millstream.domain.errors import Unauthenticated

__all__ = ["RoaVerifier", "string_to_sign"]

_PREFIX = "acs "


def _resources(request: SignedRequest) -> list[str]:
    pairs: list[tuple[str, str]] = []
    for part in request.raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    pairs.sort()
    queries = {
        "&".join(k if v == "" and bare else f"{k}={v}" for k, v in pairs) for bare in (True, False)
    }
    paths = {request.raw_path or "/", unquote(request.raw_path or "/")}
    return sorted(f"{p}?{q}" if q else p for p in paths for q in queries)


def string_to_sign(request: SignedRequest, resource: str) -> str:
    def value(name: str) -> str:
        return request.header(name) or ""

    head = (
        f"{request.method}\n{value('accept')}\n{value('content-md5')}\n"
        f"{value('content-type')}\n{value('date')}\n"
    )
    acs_headers = sorted(
        (name, request.header(name) or "")
        for name in request.header_names
        if name.startswith("x-acs-")
    )
    return head + "".join(f"{name}:{text}\n" for name, text in acs_headers) + resource


class RoaVerifier:
    def accepts(self, authorization: str) -> bool:
        return authorization.startswith(_PREFIX)

    def claim(self, request: SignedRequest) -> Claim:
        credential = (request.header("authorization") or "")[len(_PREFIX) :].strip()
        key_id, _, signature = credential.rpartition(":")
        if not key_id or not signature:
            raise Unauthenticated(
                "malformed Authorization: expected 'acs <AccessKeyId>:<signature>'",
                code="IncompleteSignature",
            )
        try:
            timestamp = parsedate_to_datetime(request.header("date") or "")
        except (TypeError, ValueError):
            raise Unauthenticated(
                "the Date header must be an RFC 7231 date like 'Mon, 23 Nov 2026 09:42:31 GMT'",
                code="InvalidTimeStamp.Format",
            ) from None
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        digest = request.header("content-md5")
        body_matches = digest is None or equal_signatures(
            digest.strip(), base64.b64encode(hashlib.md5(request.body).digest()).decode()
        )
        return Claim(
            key_id=key_id,
            signature=signature,
            timestamp=timestamp,
            nonce=request.header("x-acs-signature-nonce"),
            body_matches=body_matches,
        )

    def verify(self, request: SignedRequest, claim: Claim, secret: str) -> bool:
        matched = False
        for resource in _resources(request):
            expected = base64.b64encode(
                hmac.new(
                    secret.encode(), string_to_sign(request, resource).encode(), hashlib.sha1
                ).digest()
            ).decode()
            # No early exit: every candidate costs the same whatever matches.
            matched |= equal_signatures(claim.signature, expected)
        return matched
