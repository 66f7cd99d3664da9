"""HTTP Basic with an AccessKey ID and secret: the simple scheme for curl and scripts.

``curl -u AK:SECRET ...`` sends the secret itself, so there is no signature to replay and
no body digest; use it on loopback or behind TLS. SDKs keep using their signatures.
"""

from __future__ import annotations

import base64
import binascii

from millstream.api.auth.authenticator import Claim, SignedRequest, equal_signatures
from millstream.domain.errors import ErrorCode, Unauthenticated

__all__ = ["BasicVerifier"]

_SCHEME = "basic "


class BasicVerifier:
    scheme = "HTTP Basic (AccessKeyId:secret)"  # named in the unsupported-scheme error

    def accepts(self, authorization: str) -> bool:
        return authorization[: len(_SCHEME)].lower() == _SCHEME

    def claim(self, request: SignedRequest) -> Claim:
        encoded = (request.header("authorization") or "")[len(_SCHEME) :].strip()
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated(
                "malformed Basic credentials: send base64(AccessKeyId:secret)",
                code=ErrorCode.MALFORMED_SIGNATURE,
            ) from None
        key_id, sep, secret = decoded.partition(":")
        if not sep or not key_id or not secret:
            raise Unauthenticated(
                "malformed Basic credentials: send base64(AccessKeyId:secret)",
                code=ErrorCode.MALFORMED_SIGNATURE,
            )
        return Claim(
            key_id=key_id,
            signature=secret,
            timestamp=None,
            nonce=None,
            body_matches=True,
            signed=False,
        )

    def verify(self, request: SignedRequest, claim: Claim, secret: str) -> bool:  # noqa: ARG002
        return equal_signatures(claim.signature, secret)
