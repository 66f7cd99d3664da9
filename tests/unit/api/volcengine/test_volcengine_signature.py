"""The Volcengine V4 HMAC-SHA256 verifier against requests signed by the official SDK's
own signer: accepted as signed; refused when the secret, the query, a signed header or
the body changed, when the date is stale or malformed, or when the shape is incomplete;
and a replayed write is refused by the shared authenticator."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from tests.unit.api.volcengine.volcengine_signing import sdk_request, signed_at
from tests.unit.auth.conftest import Clock
from tests.unit.auth.fakes import InMemoryAccessStore, PlainCipher

from millstream.api.auth import Authenticator, SignedRequest
from millstream.api.volcengine.signature import (
    VolcengineVerifier,
    authorization_header,
    canonical_query,
    credential_scope,
)
from millstream.control.services.access import AccessService, IssuedKey
from millstream.domain.errors import ErrorCode, Unauthenticated

VERIFIER = VolcengineVerifier()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def access(clock: Clock) -> AccessService:
    return AccessService(InMemoryAccessStore(), PlainCipher(), clock=clock)


@pytest.fixture
def admin(access: AccessService) -> IssuedKey:
    issued = access.ensure_admin()
    assert issued is not None
    return issued


@pytest.fixture
def authenticator(access: AccessService, clock: Clock) -> Authenticator:
    return Authenticator(access, [VERIFIER], clock=clock)


def _verifies(request: SignedRequest, secret: str) -> bool:
    claim = VERIFIER.claim(request)
    return VERIFIER.verify(request, claim, secret) and claim.body_matches


def _replace_header(request: SignedRequest, name: str, value: str) -> SignedRequest:
    headers = tuple((k, value if k == name else v) for k, v in request.headers)
    return dataclasses.replace(request, headers=headers)


def test_sdk_signed_post_verifies() -> None:
    request = sdk_request(key_id="AK1", secret="S1", body={"InstanceId": "1000000000001"})
    assert VERIFIER.accepts(request.header("authorization") or "")
    claim = VERIFIER.claim(request)
    assert claim.key_id == "AK1"
    assert claim.timestamp == signed_at(request)
    assert claim.nonce is None
    assert _verifies(request, "S1")


def test_sdk_signed_get_with_encoded_query_verifies() -> None:
    request = sdk_request(
        key_id="AK1",
        secret="S1",
        action="GetGMCSResourcePool",
        method="GET",
        query={"Id": "pool 1/x~y*z"},
    )
    assert "Id=pool+1%2Fx" in request.raw_query  # the wire uses + for a space
    assert _verifies(request, "S1")


def test_default_port_is_dropped_from_the_signed_host() -> None:
    request = sdk_request(key_id="AK1", secret="S1", host="flink.example.com:80")
    assert request.header("host") == "flink.example.com:80"
    assert _verifies(request, "S1")


def test_wrong_secret_does_not_verify() -> None:
    request = sdk_request(key_id="AK1", secret="S1")
    assert not _verifies(request, "S2")


def test_changed_query_does_not_verify() -> None:
    request = sdk_request(key_id="AK1", secret="S1")
    tampered = dataclasses.replace(
        request,
        raw_query=request.raw_query.replace("GetApplicationInstance", "CancelApplicationInstance"),
    )
    assert not _verifies(tampered, "S1")


def test_changed_signed_header_does_not_verify() -> None:
    request = sdk_request(key_id="AK1", secret="S1")
    assert not _verifies(_replace_header(request, "x-sdk-request", "attempt=2; max=4"), "S1")


def test_tampered_body_does_not_match_its_digest() -> None:
    request = sdk_request(key_id="AK1", secret="S1", body={"InstanceId": "1"})
    tampered = dataclasses.replace(request, body=b'{"InstanceId": "2"}')
    claim = VERIFIER.claim(tampered)
    assert VERIFIER.verify(tampered, claim, "S1")  # the digest header is what was signed
    assert not claim.body_matches


def test_unsigned_date_is_refused_as_incomplete() -> None:
    request = sdk_request(key_id="AK1", secret="S1")
    authorization = (request.header("authorization") or "").replace("x-date;", "")
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(_replace_header(request, "authorization", authorization))
    assert caught.value.code is ErrorCode.MALFORMED_SIGNATURE
    assert "x-date" in caught.value.message


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        ("HMAC-SHA256 SignedHeaders=host, Signature=ab", "Credential"),
        (
            "HMAC-SHA256 Credential=AK1/20261123/cn-beijing/flink, SignedHeaders=host, Signature=a",
            "Credential",
        ),
        (
            "HMAC-SHA256 Credential=AK1/20261123/cn-beijing/flink/request, Signature=ab",
            "SignedHeaders",
        ),
    ],
)
def test_malformed_authorization_is_incomplete(authorization: str, detail: str) -> None:
    request = _replace_header(
        sdk_request(key_id="AK1", secret="S1"), "authorization", authorization
    )
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(request)
    assert caught.value.code is ErrorCode.MALFORMED_SIGNATURE
    assert detail in caught.value.message


def test_other_service_in_the_scope_is_refused() -> None:
    request = sdk_request(key_id="AK1", secret="S1", service="iam")
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(request)
    assert "service 'iam'" in caught.value.message


def test_scope_date_must_be_the_date_of_x_date() -> None:
    request = sdk_request(key_id="AK1", secret="S1")
    authorization = request.header("authorization") or ""
    day = (request.header("x-date") or "")[:8]
    forged = authorization.replace(f"/{day}/", "/19990101/")
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(_replace_header(request, "authorization", forged))
    assert caught.value.code is ErrorCode.MALFORMED_SIGNATURE


def test_malformed_date_is_an_invalid_timestamp() -> None:
    request = _replace_header(sdk_request(key_id="AK1", secret="S1"), "x-date", "yesterday")
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(request)
    assert caught.value.code is ErrorCode.INVALID_TIMESTAMP


def test_region_of_the_scope_is_accepted_as_sent() -> None:
    request = sdk_request(key_id="AK1", secret="S1", region="ap-southeast-1")
    assert _verifies(request, "S1")
    scope = credential_scope(request.header("authorization"))
    assert scope is not None
    assert (scope.region, scope.service) == ("ap-southeast-1", "flink")


def test_own_signer_matches_the_sdk() -> None:
    request = sdk_request(key_id="AK1", secret="S1", body={"Id": "7"})
    names = (request.header("authorization") or "").split("SignedHeaders=")[1].split(",")[0]
    ours = authorization_header(
        request,
        access_key_id="AK1",
        secret="S1",
        region="cn-beijing",
        signed_headers=names.split(";"),
    )
    assert ours == request.header("authorization")


def test_canonical_query_sorts_and_reencodes() -> None:
    assert canonical_query("b=2&a=x+y&c=%2F") == "a=x%20y&b=2&c=%2F"


def test_authenticator_accepts_the_sdk_request(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = sdk_request(key_id=admin.key.id, secret=admin.secret)
    clock.now = signed_at(request)
    assert authenticator.authenticate(request).id == admin.user.id


def test_authenticator_refuses_a_replayed_write(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = sdk_request(key_id=admin.key.id, secret=admin.secret)
    clock.now = signed_at(request)
    authenticator.authenticate(request)
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    assert caught.value.code is ErrorCode.NONCE_REUSED


def test_authenticator_refuses_a_skewed_date(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = sdk_request(key_id=admin.key.id, secret=admin.secret)
    clock.now = signed_at(request) + timedelta(minutes=16)
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    assert caught.value.code is ErrorCode.REQUEST_TIME_SKEWED


def test_authenticator_refuses_a_wrong_secret_as_a_mismatch(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = sdk_request(key_id=admin.key.id, secret="not-the-secret")
    clock.now = signed_at(request)
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    assert caught.value.code is ErrorCode.SIGNATURE_MISMATCH
