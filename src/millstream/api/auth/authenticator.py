"""The scheme-agnostic authentication layer every dialect plugs its signature verifier into.

``Authenticator.authenticate(SignedRequest)`` picks the verifier whose scheme the
``Authorization`` header names (for a request without one, the ``QuerySignatureVerifier``
that recognises its query signature, if the dialect lists one), checks the timestamp
(±15 minutes), the body digest and the signature with the key's secret (looked up
through ``AccessService``), then spends the request's nonce so it cannot be replayed.
Every failure is ``Unauthenticated``; messages never say which part of a signature
matched. ``verify_caller`` answers the caller with the ``AccessGrant`` of its
``accept``; ``cached_authorization`` (no store, on the event loop) or
``authorize(..., grant=)`` then check its role with the role cache that grant validated.

The key is first taken from ``AccessService``'s cache (no store access); ``accept``
then checks, in the one transaction that spends the nonce, that it is still current
(``AccessChanged`` otherwise). Anything short of a usable cached key whose signature
verifies (nothing cached, an unknown or disabled key, a signature that does not match)
is decided on a fresh ``lookup`` instead, so a cached answer never refuses a request.

Nothing is said about a key before its signature verified: an unknown key id, a wrong
secret, a tampered body and a disabled key with a wrong secret all get the one
``signature_mismatch()`` answer, after the same work (an unknown key is checked against
a decoy secret, comparisons are constant-time). Only a correctly signed request learns
that its key is disabled.

Failed attempts are counted per source address and per claimed key id
(``control.throttle.FailureThrottle``): past the limit the subject is refused with
``Throttled`` (429) for a while, before any signature work. Failures are audited,
aggregated so that a flood cannot flood the log (``failures.FailureAudit``).

``SignedRequest`` is the request exactly as it arrived: the raw path (still
percent-encoded, e.g. ``/jobs%3Astart``, which is what the SDKs sign), the raw query
string, all headers, the body bytes and the peer address. ``api.auth.dependency``
adapts all of this to a FastAPI dependency for the routers.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from millstream.api.auth.failures import FailureAudit
from millstream.control.context import Actor, Scope
from millstream.control.services.access import (
    AccessChanged,
    AccessGrant,
    AccessService,
    ResolvedKey,
)
from millstream.control.services.access_checks import permitted
from millstream.control.throttle import FailureThrottle
from millstream.domain.access import Permission, Role, new_secret
from millstream.domain.errors import ErrorCode, Throttled, Unauthenticated

__all__ = [
    "MAX_CLOCK_SKEW",
    "MAX_NONCE_LENGTH",
    "SAFE_METHODS",
    "Authenticator",
    "Claim",
    "QuerySignatureVerifier",
    "SignatureVerifier",
    "SignedRequest",
    "equal_signatures",
    "signature_mismatch",
]

MAX_CLOCK_SKEW = timedelta(minutes=15)
MAX_NONCE_LENGTH = 128  # the column size of used_nonces.nonce; the SDK sends 32 hex digits
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_KEY_ID_CHARS = 64

_SIGNATURE_MISMATCH = (
    "the request signature does not match the signature the server calculated; "
    "check the AccessKey ID, its secret and the signing method"
)


def signature_mismatch() -> Unauthenticated:
    """The one error for an unknown key, a wrong signature or a body that is not the
    signed one: nothing tells them apart."""
    return Unauthenticated(_SIGNATURE_MISMATCH, code=ErrorCode.SIGNATURE_MISMATCH)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """An HTTP request as received: nothing decoded, nothing normalised."""

    method: str
    raw_path: str
    raw_query: str
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value) in arrival order
    body: bytes
    client: str | None = None  # the peer's address, for throttling failed attempts

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


@runtime_checkable
class QuerySignatureVerifier(SignatureVerifier, Protocol):
    """A scheme signed in the request itself, without ``Authorization`` header (the
    foas document's ``Signature`` query parameter, ``api.auth.rpc_query``). Only the
    dialects that list such a verifier accept such requests."""

    def accepts_query(self, request: SignedRequest) -> bool:
        """Whether ``request``, which has no ``Authorization`` header, is signed in this
        verifier's scheme."""
        ...


class Authenticator:
    """Looks keys up and runs the verifiers; shared by every dialect."""

    def __init__(
        self,
        access: AccessService,
        verifiers: Sequence[SignatureVerifier],
        *,
        clock: Callable[[], datetime] | None = None,
        max_skew: timedelta = MAX_CLOCK_SKEW,
        throttle: FailureThrottle | None = None,
        audit: FailureAudit | None = None,
        default_workspace: str | None = None,
    ) -> None:
        """``throttle`` and ``audit`` default to the documented limits (20 failures a
        minute per address and per key id, then refused for a minute);
        ``default_workspace`` is where a failed attempt without a ``workspace`` header
        is audited."""
        self._access = access
        self._verifiers = tuple(verifiers)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._max_skew = max_skew
        self._throttle = FailureThrottle() if throttle is None else throttle
        self._audit = FailureAudit(access) if audit is None else audit
        self._decoy_secret = new_secret()  # signatures of unknown keys are checked with it
        self._default_workspace = default_workspace

    def authenticate(
        self,
        request: SignedRequest,
        *,
        workspace: str | None = None,
        namespace: str | None = None,
        request_id: str | None = None,
    ) -> Actor:
        """The caller of a correctly signed, fresh, never-seen request.

        ``workspace``/``namespace``: where the request aims, when the dialect knows it;
        a failed attempt is then audited in that namespace's log (with ``request_id``,
        the id the caller's error answer carries).
        """
        actor, _grant = self.verify_caller(
            request, workspace=workspace, namespace=namespace, request_id=request_id
        )
        return actor

    def verify_caller(
        self,
        request: SignedRequest,
        *,
        workspace: str | None = None,
        namespace: str | None = None,
        request_id: str | None = None,
    ) -> tuple[Actor, AccessGrant]:
        """``authenticate``, with the grant a following ``authorize`` may use."""
        self._refuse_if_throttled([f"addr:{request.client}"] if request.client else [])
        key_id: str | None = None
        try:
            verifier, claim = self._claim(request)
            key_id = claim.key_id
            self._refuse_if_throttled([_key_subject(key_id)])
            return self._verify(request, verifier, claim)
        except Unauthenticated as exc:
            if exc.code is not ErrorCode.MISSING_CREDENTIALS:  # not an attempt: not counted
                self._failed(request, key_id, exc, (workspace, namespace, request_id))
            raise

    def _claim(self, request: SignedRequest) -> tuple[SignatureVerifier, Claim]:
        authorization = request.header("authorization")
        if not authorization:
            by_query = next(
                (
                    v
                    for v in self._verifiers
                    if isinstance(v, QuerySignatureVerifier) and v.accepts_query(request)
                ),
                None,
            )
            if by_query is not None:
                return by_query, by_query.claim(request)
            raise Unauthenticated(
                "the request is not signed: send an Authorization header made with an "
                "AccessKey ID and secret",
                code=ErrorCode.MISSING_CREDENTIALS,
            )
        verifier = next((v for v in self._verifiers if v.accepts(authorization)), None)
        if verifier is None:
            # Name the schemes this API takes (each dialect has its own verifiers).
            schemes = [str(getattr(v, "scheme", "")) for v in self._verifiers]
            accepted = " or ".join(name for name in schemes if name) or "its SDK's signature"
            raise Unauthenticated(
                f"unsupported Authorization scheme; this API accepts {accepted}",
                code=ErrorCode.MALFORMED_SIGNATURE,
            )
        return verifier, verifier.claim(request)

    def _verify(
        self, request: SignedRequest, verifier: SignatureVerifier, claim: Claim
    ) -> tuple[Actor, AccessGrant]:
        if claim.nonce is not None and len(claim.nonce) > MAX_NONCE_LENGTH:
            raise Unauthenticated(
                f"the signature nonce is longer than {MAX_NONCE_LENGTH} characters",
                code=ErrorCode.MALFORMED_SIGNATURE,
            )
        if claim.timestamp is not None and abs(self._clock() - claim.timestamp) > self._max_skew:
            raise Unauthenticated(
                "the request time differs from the server time by more than "
                f"{int(self._max_skew.total_seconds() // 60)} minutes; sync the client clock",
                code=ErrorCode.REQUEST_TIME_SKEWED,
            )
        cached = self._access.cached_key(claim.key_id)
        if cached is not None:
            # Known, unknown, disabled or not: one HMAC against what is cached (the
            # decoy for an unknown key); only a usable match is used, never a refusal.
            found = self._signed_with(request, verifier, claim, cached.value)
            if found is not None and found.key.active:
                try:
                    return self._verified(request, claim, found)
                except AccessChanged:
                    pass  # changed since it was cached: decide on the store's answer
        for _attempt in range(3):
            # Always one lookup, one HMAC and one constant-time comparison, whether or
            # not the key exists, and whatever the body: nothing tells them apart.
            found = self._signed_with(request, verifier, claim, self._access.lookup(claim.key_id))
            if found is None:
                raise signature_mismatch()
            try:
                return self._verified(request, claim, found)
            except AccessChanged:
                continue  # changed again between the lookup and accept: look again
        raise Unauthenticated(
            "the access key changed while this request was checked; send it again",
            code=ErrorCode.SIGNATURE_MISMATCH,
        )

    def _signed_with(
        self,
        request: SignedRequest,
        verifier: SignatureVerifier,
        claim: Claim,
        found: ResolvedKey | None,
    ) -> ResolvedKey | None:
        """``found`` if the request is signed with its secret and its body is the signed
        one; None otherwise (one HMAC either way, with a decoy secret for no key)."""
        secret = found.secret if found is not None else self._decoy_secret
        signature_ok = verifier.verify(request, claim, secret)
        return found if found is not None and signature_ok and claim.body_matches else None

    def _verified(
        self, request: SignedRequest, claim: Claim, found: ResolvedKey
    ) -> tuple[Actor, AccessGrant]:
        if not found.key.active:
            # The caller holds the secret: telling them the key is disabled leaks nothing.
            raise Unauthenticated(
                "the AccessKey ID is disabled; enable it or use another key",
                code=ErrorCode.ACCESS_KEY_DISABLED,
            )
        nonce = claim.nonce
        if nonce is None and claim.signed and request.method.upper() not in SAFE_METHODS:
            # Schemes without a nonce (legacy ROA) still must not replay a change: an
            # identical signed request has the identical signature, so that is the nonce.
            nonce = "sig:" + claim.signature[: MAX_NONCE_LENGTH - 4]
            try:
                grant = self._access.accept(found, nonce=nonce)
            except Unauthenticated as exc:
                if exc.code is not ErrorCode.NONCE_REUSED:
                    raise
                # These schemes have no nonce to renew: say what the caller can change
                # (a client that retries at once sends the identical signed request).
                raise Unauthenticated(
                    "replayed request: this exact signed write (same signature, same "
                    "timestamp to the second) was already received; sign it again "
                    "with a new timestamp",
                    code=ErrorCode.NONCE_REUSED,
                ) from None
            return found.actor, grant
        return found.actor, self._access.accept(found, nonce=nonce)

    def authorize(
        self,
        actor: Actor,
        scope: Scope,
        permission: Permission,
        *,
        grant: AccessGrant | None = None,
    ) -> Role:
        """The caller's role in ``scope`` if it allows ``permission`` (``NotFound`` /
        ``PermissionDenied``); ``grant``: from this request's ``verify_caller``."""
        return self._access.authorize(actor, scope, permission, grant=grant)

    def cached_authorization(
        self, actor: Actor, scope: Scope, permission: Permission, grant: AccessGrant
    ) -> Role | None:
        """``authorize`` decided from the role cache alone, without the store (it may
        run on the event loop); None when the role is not cached at ``grant``."""
        entry = self._access.cached_role(actor, scope, grant)
        return None if entry is None else permitted(entry.value, scope, permission)

    def _refuse_if_throttled(self, subjects: list[str]) -> None:
        wait = self._throttle.retry_after(subjects)
        if wait is not None:
            self._audit.note_refused()
            raise Throttled(
                "too many failed authentications from this address or for this AccessKey "
                f"ID; retry in {max(1, round(wait))} seconds"
            )

    def _failed(
        self,
        request: SignedRequest,
        key_id: str | None,
        error: Unauthenticated,
        where: tuple[str | None, str | None, str | None],
    ) -> None:
        workspace, namespace, request_id = where
        subjects = [f"addr:{request.client}"] if request.client else []
        if key_id:
            subjects.append(_key_subject(key_id))
        counts = self._throttle.record_failure(subjects)
        self._audit.record(
            method=request.method,
            path=request.raw_path,
            key_id=key_id,
            address=request.client,
            status=401,
            reason=str(error.code),
            counts=counts,
            workspace=(workspace or self._default_workspace) if namespace else None,
            namespace=namespace,
            request_id=request_id,
        )


def _key_subject(key_id: str) -> str:
    # Key ids are 24 characters; a claimed one may be anything: keep the throttle's
    # memory bounded by size too, not only by count.
    return f"key:{key_id[:_MAX_KEY_ID_CHARS]}"


def equal_signatures(given: str, expected: str) -> bool:
    """Constant-time comparison (no timing oracle on how many characters matched)."""
    return hmac.compare_digest(given.encode(), expected.encode())
