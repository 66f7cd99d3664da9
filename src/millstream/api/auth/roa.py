"""Legacy ROA signature ``Authorization: acs <AK>:<base64 HMAC-SHA1>`` (sdk-wire-notes.md §2C).

Sent by the tea SDKs with ``Config(signature_algorithm='v2')`` and by the old
``aliyun-python-sdk-core`` (foas):

    StringToSign = METHOD \\n Accept \\n Content-MD5 \\n Content-Type \\n Date \\n
                   sorted "x-acs-*:value\\n" + CanonicalResource
    CanonicalResource = path + "?" + sorted "k=v" (raw, decoded values) joined by "&"

The two SDKs disagree in details, and both forms are accepted: the tea SDK signs the
path as it sends it (``/jobs%3Astart``) while the core SDK signs it unescaped, and a
blank query value is ``k`` for one and ``k=`` for the other.

What the signature does not cover is refused rather than trusted:

- the body is covered only through ``Content-MD5``, so a request with a body must carry
  it, and it must match the body (the core SDK sends it; the tea SDK's ``v2`` mode does
  not, so its writes with a body are refused: use the default ACS3-HMAC-SHA256);
- the ``workspace`` header is not signed (only ``x-acs-*`` headers are), so a request
  naming a workspace other than the server's default must also send the same value in
  the signed ``x-acs-workspace`` header; a swapped ``workspace`` header is refused.

Still unprotected (ACS3 protects all of these): the ``Host`` header, headers other than
``Accept``, ``Content-Type``, ``Date`` and ``x-acs-*``, and replay of a read within the
clock-skew window. ``Date`` is the timestamp; ``x-acs-signature-nonce`` is the nonce when
present. Operators turn ROA off per dialect with ``api.roa_enabled`` /
``api.roa_disabled_dialects`` (``ApiSettings.roa_allowed``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, unquote_plus

from millstream.api.auth.authenticator import (
    Claim,
    SignatureVerifier,
    SignedRequest,
    equal_signatures,
)
from millstream.domain.errors import ErrorCode, Unauthenticated

__all__ = ["SIGNED_WORKSPACE_HEADER", "RoaVerifier", "configure_roa", "string_to_sign"]

_PREFIX = "acs "
SIGNED_WORKSPACE_HEADER = "x-acs-workspace"
_WORKSPACE_HEADER = "workspace"


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
    """``default_workspace``: the workspace an unsigned ``workspace`` header may name
    (None: every workspace header must be bound by ``x-acs-workspace``)."""

    scheme = "acs AccessKeyId:signature (HMAC-SHA1)"  # named in the unsupported-scheme error

    def __init__(self, *, default_workspace: str | None = None) -> None:
        self._default_workspace = default_workspace

    def accepts(self, authorization: str) -> bool:
        return authorization.startswith(_PREFIX)

    def claim(self, request: SignedRequest) -> Claim:
        credential = (request.header("authorization") or "")[len(_PREFIX) :].strip()
        key_id, _, signature = credential.rpartition(":")
        if not key_id or not signature:
            raise Unauthenticated(
                "malformed Authorization: expected 'acs <AccessKeyId>:<signature>'",
                code=ErrorCode.MALFORMED_SIGNATURE,
            )
        try:
            timestamp = parsedate_to_datetime(request.header("date") or "")
        except (TypeError, ValueError):
            raise Unauthenticated(
                "the Date header must be an RFC 7231 date like 'Mon, 23 Nov 2026 09:42:31 GMT'",
                code=ErrorCode.INVALID_TIMESTAMP,
            ) from None
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        digest = request.header("content-md5")
        if digest is None and request.body:
            raise Unauthenticated(
                "a request signed with 'acs AK:signature' (ROA) that has a body must send "
                "Content-MD5 (base64 MD5 of the body), the only part of ROA that covers "
                "the body; the tea SDK's signature_algorithm='v2' does not send it: use "
                "the default ACS3-HMAC-SHA256 signature",
                code=ErrorCode.MALFORMED_SIGNATURE,
            )
        self._check_workspace(request)
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

    def _check_workspace(self, request: SignedRequest) -> None:
        """The unsigned ``workspace`` header may only name the default workspace, unless
        the signed ``x-acs-workspace`` header says the same."""
        workspace = request.header(_WORKSPACE_HEADER)
        bound = request.header(SIGNED_WORKSPACE_HEADER)
        if bound is not None:
            if (workspace or "").strip() != bound.strip():
                raise Unauthenticated(
                    f"the workspace header must equal the signed {SIGNED_WORKSPACE_HEADER} header",
                    code=ErrorCode.MALFORMED_SIGNATURE,
                )
            return
        if workspace is not None and workspace.strip() != self._default_workspace:
            raise Unauthenticated(
                "the workspace header is not covered by a ROA ('acs AK:signature') "
                f"signature: send the same value in the signed {SIGNED_WORKSPACE_HEADER} "
                "header too, or use the default ACS3-HMAC-SHA256 signature",
                code=ErrorCode.MALFORMED_SIGNATURE,
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


def configure_roa(
    verifiers: Iterable[SignatureVerifier], *, default_workspace: str, enabled: bool = True
) -> list[SignatureVerifier]:
    """A dialect's verifiers as the app serves them: each ``RoaVerifier`` bound to the
    server's default workspace, or left out when ROA is turned off for the dialect
    (``ApiSettings.roa_allowed``)."""
    configured: list[SignatureVerifier] = []
    for verifier in verifiers:
        if isinstance(verifier, RoaVerifier):
            if enabled:
                configured.append(RoaVerifier(default_workspace=default_workspace))
        else:
            configured.append(verifier)
    return configured
