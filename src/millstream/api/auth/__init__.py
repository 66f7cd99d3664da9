"""Authentication and authorization shared by every API dialect.

``Authenticator`` (scheme-agnostic: key lookup, clock skew, nonce replay, body digest)
runs one ``SignatureVerifier`` per scheme: ``Acs3Verifier`` (ACS3-HMAC-SHA256) and
``RoaVerifier`` (legacy ``acs AK:sig``) here; other dialects add theirs. ``rbac`` checks
namespace roles per operation (``operation_guard``), ``audit`` records every write,
``failures`` audits failed authentications (throttled by ``control.throttle``). The app
factory wires them per dialect.
"""

from millstream.api.auth.acs3 import Acs3Verifier
from millstream.api.auth.audit import AuditMiddleware
from millstream.api.auth.authenticator import (
    Authenticator,
    Claim,
    SignatureVerifier,
    SignedRequest,
)
from millstream.api.auth.basic import BasicVerifier
from millstream.api.auth.dependency import (
    RequestAuthentication,
    native_authenticate,
    signed_request,
)
from millstream.api.auth.rbac import authorize, namespace_guard, operation_guard
from millstream.api.auth.roa import RoaVerifier

__all__ = [
    "Acs3Verifier",
    "AuditMiddleware",
    "Authenticator",
    "BasicVerifier",
    "Claim",
    "RequestAuthentication",
    "RoaVerifier",
    "SignatureVerifier",
    "SignedRequest",
    "authorize",
    "namespace_guard",
    "native_authenticate",
    "operation_guard",
    "signed_request",
]
