"""The scheme-agnostic authentication layer every dialect plugs its signature verifier into.

``Authenticator.authenticate(SignedRequest)`` picks the verifier whose scheme the
``Authorization`` header names, checks the timestamp (±15 minutes), the body digest and
the signature with the key's secret (resolved through ``AccessService``), then spends the
request's nonce so it cannot be replayed. Every failure is ``Unauthenticated`` with the
clouds' error codes; messages never say which part of a signature matched.

``SignedRequest`` is the request exactly as it arrived: the raw path (still
percent-encoded, e.g. ``/jobs%3Astart``, which is what the SDKs sign), the raw query
string, all headers and the body bytes. ``native_authenticate`` adapts all of this to a
FastAPI dependency for the native router.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from millstream.control.context import Actor
from millstream.control.services.access import AccessService
from millstream.domain.errors import Unauthenticated

__all__ = [
    "MAX_CLOCK_SKEW",
    "MAX_NONCE_LENGTH",
    "SAFE_METHODS",
    "Authenticator",
    "Claim",
    "SignatureVerifier",
    "SignedRequest",
    "equal_signatures",
    "native_authenticate",
    "signature_mismatch",
    "signed_request",
]

MAX_CLOCK_SKEW = timedelta(minutes=15)
MAX_NONCE_LENGTH = 128  # the column size of used_nonces.nonce; the SDK sends 32 hex digits
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_SIGNATURE_MISMATCH = (
    "the request signature does not match the signature the server calculated; "
    "check the AccessKey secret and the signing method"
)


def signature_mismatch() -> Unauthenticated:
    """The one error for a wrong signature or a body that is not the signed one."""
    return Unauthenticated(_SIGNATURE_MISMATCH, code="SignatureDoesNotMatch")


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """An HTTP request as received: nothing decoded, nothing normalised."""

    method: str
    raw_path: str
    raw_query: str
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value) in arrival order
    body: bytes

    def header(self, name: str) -> str | None:
        """All values of a header joined with ',' (RFC 9110), or None."""
        values = self.header_values(name)
        return ",".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key == lowered]

    @property
    def header_names(self) -> set[str]:
        return {key for key, _ in self.headers}


@dataclass(frozen=True, slots=True)
class Claim:
    """What a request says about itself; trusted only once the signature is verified."""

    key_id: str
    signature: str
    timestamp: datetime | None  # None: the scheme carries no time (HTTP Basic)
    nonce: str | None
    body_matches: bool  # the body hashes to the signed digest header (or has none)
    signed: bool = True  # False: the secret itself was sent (HTTP Basic), nothing to replay


class SignatureVerifier(Protocol):
    """One signature scheme (ACS3-HMAC-SHA256, ROA HMAC-SHA1, Volcengine, Huawei...)."""

    def accepts(self, authorization: str) -> bool:
        """Whether this ``Authorization`` value uses this verifier's scheme."""
        ...

    def claim(self, request: SignedRequest) -> Claim:
        """Parse key id, timestamp, nonce and check the body digest; raise
        ``Unauthenticated`` (``IncompleteSignature``, ``InvalidTimeStamp.Format``) when
        the request is not signed in this scheme's shape."""
        ...

    def verify(self, request: SignedRequest, claim: Claim, secret: str) -> bool:
        """Whether ``claim.signature`` is the signature of ``request`` under ``secret``."""
        ...


class Authenticator:
    """Resolves keys and runs the verifiers; shared by every dialect."""

    def __init__(
        self,
        access: AccessService,
        verifiers: Sequence[SignatureVerifier],
        *,
        clock: Callable[[], datetime] | None = None,
        max_skew: timedelta = MAX_CLOCK_SKEW,
    ) -> None:
        self._access = access
        self._verifiers = tuple(verifiers)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._max_skew = max_skew

    def authenticate(self, request: SignedRequest) -> Actor:
        """The caller of a correctly signed, fresh, never-seen request."""
        authorization = request.header("authorization")
        if not authorization:
            raise Unauthenticated(
                "the request is not signed: send an Authorization header made with an "
                "AccessKey ID and secret",
                code="MissingAuthorization",
            )
        verifier = next((v for v in self._verifiers if v.accepts(authorization)), None)
        if verifier is None:
            raise Unauthenticated(
                "unsupported Authorization scheme; sign requests with ACS3-HMAC-SHA256 "
                "or send HTTP Basic credentials (AccessKeyId:secret)",
                code="IncompleteSignature",
            )
        claim = verifier.claim(request)
        if claim.nonce is not None and len(claim.nonce) > MAX_NONCE_LENGTH:
            raise Unauthenticated(
                f"the signature nonce is longer than {MAX_NONCE_LENGTH} characters",
                code="IncompleteSignature",
            )
        if claim.timestamp is not None and abs(self._clock() - claim.timestamp) > self._max_skew:
            raise Unauthenticated(
                "the request time differs from the server time by more than "
                f"{int(self._max_skew.total_seconds() // 60)} minutes; sync the client clock",
                code="RequestTimeTooSkewed",
            )
        resolved = self._access.resolve(claim.key_id)
        # Evaluate both so a tampered body and a wrong signature cost the same.
        signature_ok = verifier.verify(request, claim, resolved.secret)
        if not (signature_ok and claim.body_matches):
            raise signature_mismatch()
        nonce = claim.nonce
        if nonce is None and claim.signed and request.method.upper() not in SAFE_METHODS:
            # Schemes without a nonce (legacy ROA) still must not replay a change: an
            # identical signed request has the identical signature, so that is the nonce.
            nonce = "sig:" + claim.signature[: MAX_NONCE_LENGTH - 4]
        self._access.accept(resolved, nonce=nonce)
        return resolved.actor


def equal_signatures(given: str, expected: str) -> bool:
    """Constant-time comparison (no timing oracle on how many characters matched)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _decode(value: bytes) -> str:
    # Header values are bytes on the wire; SDKs sign the str they encoded as UTF-8.
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


def signed_request(request: Request, body: bytes) -> SignedRequest:
    """The raw request behind a Starlette ``Request`` (``scope['raw_path']``, not the
    decoded ``path``)."""
    scope = request.scope
    raw = scope.get("raw_path")
    # Some ASGI servers (and httpx's ASGITransport) include the query in raw_path.
    raw_path = request.url.path if raw is None else _decode(raw).partition("?")[0]
    return SignedRequest(
        method=request.method.upper(),
        raw_path=raw_path,
        raw_query=_decode(scope.get("query_string", b"")),
        headers=tuple((_decode(k).lower(), _decode(v)) for k, v in scope.get("headers", ())),
        body=body,
    )


def native_authenticate(authenticator: Authenticator) -> Callable[[Request], Awaitable[Actor]]:
    """A FastAPI dependency: the authenticated ``Actor`` of the request.

    Runs at most once per request (the actor is kept in ``request.state.actor``, which
    the audit middleware also reads), so it may be depended on several times. Starlette
    caches the body, so the endpoint can still read it.
    """

    async def authenticate(request: Request) -> Actor:
        cached = getattr(request.state, "actor", None)
        if isinstance(cached, Actor):
            return cached
        body = await request.body()
        actor = await run_in_threadpool(authenticator.authenticate, signed_request(request, body))
        request.state.actor = actor
        return actor

    return authenticate
