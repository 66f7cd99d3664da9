"""HTTP Basic with AccessKey ID and secret (curl -u AK:SECRET)."""

from __future__ import annotations

import base64

import pytest

from millstream.api.auth import Authenticator, SignedRequest
from millstream.control.services.access import IssuedKey
from millstream.domain.errors import ErrorCode, Unauthenticated


def _basic(credentials: str, method: str = "POST") -> SignedRequest:
    token = base64.b64encode(credentials.encode()).decode()
    return SignedRequest(
        method=method,
        raw_path="/api/v2/namespaces/ns1/jobs:start",
        raw_query="",
        headers=(("authorization", f"Basic {token}"), ("workspace", "ws1")),
        body=b'{"deploymentId": "d"}',
    )


def test_basic_credentials_authenticate(authenticator: Authenticator, admin: IssuedKey) -> None:
    actor = authenticator.authenticate(_basic(f"{admin.key.id}:{admin.secret}"))
    assert actor.id == admin.user.id


def test_basic_may_repeat_a_write(authenticator: Authenticator, admin: IssuedKey) -> None:
    request = _basic(f"{admin.key.id}:{admin.secret}")
    authenticator.authenticate(request)
    assert authenticator.authenticate(request).id == admin.user.id


@pytest.mark.parametrize("credentials", ["{key}:wrong", "{key}:", ":{secret}", "nocolon"])
def test_bad_basic_credentials_are_refused(
    authenticator: Authenticator, admin: IssuedKey, credentials: str
) -> None:
    text = credentials.format(key=admin.key.id, secret=admin.secret)
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(_basic(text))
    assert caught.value.code in (ErrorCode.SIGNATURE_MISMATCH, ErrorCode.MALFORMED_SIGNATURE)


def test_not_base64_is_refused(authenticator: Authenticator) -> None:
    request = SignedRequest("GET", "/x", "", (("authorization", "Basic !!!"),), b"")
    with pytest.raises(Unauthenticated):
        authenticator.authenticate(request)
