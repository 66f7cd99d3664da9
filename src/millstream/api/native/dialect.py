"""``NATIVE``: the native dialect (Alibaba Realtime Compute "ververica" 2022-07-18) as an
``api.dialect.Dialect`` value, the one line ``composition.py`` lists.

Signatures: ACS3-HMAC-SHA256 (the current SDK), legacy ROA HMAC-SHA1 and HTTP Basic
(curl). Prefixes: everything the SDK and Millstream's own clients call; failures there
answer in the native envelope.
"""

from __future__ import annotations

from millstream.api.auth.acs3 import Acs3Verifier
from millstream.api.auth.basic import BasicVerifier
from millstream.api.auth.roa import RoaVerifier
from millstream.api.dialect import Dialect
from millstream.api.native.errors import NATIVE_CODES
from millstream.api.native.routes import ROUTERS
from millstream.api.native.routing import NativeApiRoute
from millstream.api.native.states import JOB_STATUSES
from millstream.control.services.artifacts import PRESIGNED_UPLOAD_PREFIX

__all__ = ["NATIVE"]

NATIVE = Dialect(
    name="native",
    route_class=NativeApiRoute,
    routers=ROUTERS,
    verifiers=(Acs3Verifier(), RoaVerifier(), BasicVerifier()),
    prefixes=(
        "/api/v2/",
        "/gateway/v2/",
        "/artifacts/v2/",
        "/flink-ui/v2/",
        "/meta/v2/",
        "/api/millstream/",
    ),
    error_codes=NATIVE_CODES,
    job_states=JOB_STATUSES,
    # Pre-signed uploads stream to disk under the artifact store's own size limit.
    streamed_prefixes=(PRESIGNED_UPLOAD_PREFIX + "/",),
)
