"""The foas document's own query signature (§1.7, ``RpcQueryVerifier``): the document's
worked example reproduced exactly, requests signed by the official core SDK's RPC signer,
the shapes refused, and the ``Authenticator`` taking it for a request without an
``Authorization`` header (skew, replay, the uniform mismatch answer) only when the
dialect lists the verifier."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from aliyunsdkcore.auth.composer import rpc_signature_composer

from millstream.api.auth import Acs3Verifier, Authenticator, RoaVerifier, SignedRequest
from millstream.api.auth.rpc_query import (
    RpcQueryVerifier,
    percent_encode,
    rpc_signature,
    rpc_string_to_sign,
)
from millstream.control.services.access import AccessService, IssuedKey
from millstream.domain.errors import ErrorCode, Unauthenticated
from tests.unit.auth.conftest import START, Clock

VERIFIER = RpcQueryVerifier()
FORM = "application/x-www-form-urlencoded"

# The document's worked example (seed 004, L542-591): the unsigned parameters in the
# document's order, the string to sign, the signature and the signed URL's query.
EXAMPLE_PARAMETERS = [
    ("TimeStamp", "2016-02-23T12:46:24Z"),
    ("Format", "XML"),
    ("AccessKeyId", "testid"),
    ("Action", "DescribeRegions"),
    ("SignatureMethod", "HMAC-SHA1"),
    ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
    ("Version", "2014-05-26"),
    ("SignatureVersion", "1.0"),
]
EXAMPLE_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
    "%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z"
    "%26Version%3D2014-05-26"
)
EXAMPLE_SIGNATURE = "CT9X0VtwR86fNWSnsc6v8YGOjuE="
EXAMPLE_SIGNED_QUERY = (
    "SignatureVersion=1.0&Action=DescribeRegions&Format=XML"
    "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&Version=2014-05-26"
    "&AccessKeyId=testid&Signature=CT9X0VtwR86fNWSnsc6v8YGOjuE%3D"
    "&SignatureMethod=HMAC-SHA1&TimeStamp=2016-02-23T12%3A46%3A24Z"
)


def _request(
    query: str, *, method: str = "GET", body: bytes = b"", content_type: str | None = None
) -> SignedRequest:
    headers = (("content-type", content_type),) if content_type else ()
    return SignedRequest(
        method=method,
        raw_path="/api/v2/projects/default",
        raw_query=query,
        headers=headers,
        body=body,
        client="10.0.0.1",
    )


def _sdk(name: str) -> Any:
    # The core SDK's module-private helpers, which its RpcRequest signs with.
    return getattr(rpc_signature_composer, f"__{name}")


def _sdk_signed(
    key_id: str,
    secret: str,
    *,
    at: datetime,
    method: str = "GET",
    query: dict[str, str] | None = None,
    body: dict[str, str] | None = None,
) -> SignedRequest:
    """Signed at the time ``at`` by aliyun-python-sdk-core's own RPC signer (its string
    to sign and its HMAC), sent as the SDK sends it."""
    params = {
        **(query or {}),
        "Timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SignatureMethod": "HMAC-SHA1",
        "SignatureType": "",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "AccessKeyId": key_id,
        "Format": "JSON",
    }
    string = _sdk("compose_string_to_sign")(method, {**params, **(body or {})})
    params["Signature"] = _sdk("get_signature")(string, secret)
    return _request(
        _sdk("pop_standard_urlencode")(urlencode(params)),
        method=method,
        body=urlencode(body).encode() if body else b"",
        content_type=FORM if body else None,
    )


# ------------------------------------------------------------------ the document


def test_document_worked_example_string_to_sign_and_signature() -> None:
    string = rpc_string_to_sign("GET", EXAMPLE_PARAMETERS)
    assert string == EXAMPLE_STRING_TO_SIGN
    assert rpc_signature("testsecret", string) == EXAMPLE_SIGNATURE


def test_document_worked_example_signed_url_verifies() -> None:
    request = _request(EXAMPLE_SIGNED_QUERY)
    assert VERIFIER.accepts_query(request)
    claim = VERIFIER.claim(request)
    assert (claim.key_id, claim.signature, claim.nonce) == (
        "testid",
        EXAMPLE_SIGNATURE,
        "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    )
    assert claim.timestamp is not None
    assert claim.timestamp.isoformat() == "2016-02-23T12:46:24+00:00"
    assert VERIFIER.verify(request, claim, "testsecret")
    assert not VERIFIER.verify(request, claim, "othersecret")
    tampered = _request(EXAMPLE_SIGNED_QUERY.replace("Format=XML", "Format=JSON"))
    assert not VERIFIER.verify(tampered, VERIFIER.claim(tampered), "testsecret")
    assert not VERIFIER.verify(dataclasses.replace(request, method="DELETE"), claim, "testsecret")


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a b", "a%20b"),
        ("a*b", "a%2Ab"),
        ("a~b-_.", "a~b-_."),
        ('"/=&+', "%22%2F%3D%26%2B"),
        ("é中", "%C3%A9%E4%B8%AD"),
    ],
)
def test_percent_encode_follows_the_document_rules(value: str, encoded: str) -> None:
    assert percent_encode(value) == encoded


# ------------------------------------------------------------------ the core SDK


def test_sdk_rpc_signer_request_with_a_form_body_verifies() -> None:
    request = _sdk_signed(
        "AK", "SECRET", at=START, method="POST", query={"x": "a b*"}, body={"code": "SELECT 1;"}
    )
    claim = VERIFIER.claim(request)
    assert claim.timestamp == START
    assert VERIFIER.verify(request, claim, "SECRET")
    # The body's fields are signed: another body does not verify.
    changed = dataclasses.replace(request, body=b"code=DROP+TABLE+t%3B")
    assert not VERIFIER.verify(changed, VERIFIER.claim(changed), "SECRET")


# ------------------------------------------------------------------ refused shapes


def _claim_code(request: SignedRequest) -> str:
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(request)
    return caught.value.code


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (("SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&", ""), "MALFORMED_SIGNATURE"),
        (("AccessKeyId=testid&", ""), "MALFORMED_SIGNATURE"),
        (("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA256"), "MALFORMED_SIGNATURE"),
        (("SignatureVersion=1.0", "SignatureVersion=2.0"), "MALFORMED_SIGNATURE"),
        (("Format=XML", "Format=XML&Format=JSON"), "MALFORMED_SIGNATURE"),
        (("&TimeStamp=2016-02-23T12%3A46%3A24Z", ""), "MALFORMED_SIGNATURE"),
        (("TimeStamp=2016-02-23T12%3A46%3A24Z", "TimeStamp=yesterday"), "INVALID_TIMESTAMP"),
    ],
)
def test_incomplete_or_malformed_query_signature_is_refused(
    change: tuple[str, str], code: str
) -> None:
    old, new = change
    assert old in EXAMPLE_SIGNED_QUERY
    assert _claim_code(_request(EXAMPLE_SIGNED_QUERY.replace(old, new))) == ErrorCode[code]


def test_a_body_the_signature_cannot_cover_is_refused() -> None:
    request = _request(
        EXAMPLE_SIGNED_QUERY, method="POST", body=b'{"a":1}', content_type="application/json"
    )
    assert _claim_code(request) == ErrorCode.MALFORMED_SIGNATURE


def test_request_without_signature_parameter_is_not_claimed() -> None:
    assert not VERIFIER.accepts_query(_request("AccessKeyId=testid"))
    assert not VERIFIER.accepts("acs testid:sig")


# ------------------------------------------------------------------ the Authenticator


@pytest.fixture
def rpc_authenticator(access: AccessService, clock: Clock) -> Authenticator:
    return Authenticator(
        access, [RoaVerifier(default_workspace="ws1"), RpcQueryVerifier()], clock=clock
    )


def _code(authenticator: Authenticator, request: SignedRequest) -> str:
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    return caught.value.code


def test_query_signed_request_authenticates_once(
    rpc_authenticator: Authenticator, admin: IssuedKey
) -> None:
    request = _sdk_signed(admin.key.id, admin.secret, at=START)
    actor = rpc_authenticator.authenticate(request)
    assert (actor.id, actor.name) == (admin.user.id, "admin")
    # The nonce is spent, reads included.
    assert _code(rpc_authenticator, request) == ErrorCode.NONCE_REUSED


def test_query_signature_outside_the_clock_skew_is_refused(
    rpc_authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = _sdk_signed(admin.key.id, admin.secret, at=START - timedelta(minutes=16))
    assert _code(rpc_authenticator, request) == ErrorCode.REQUEST_TIME_SKEWED
    clock.advance(timedelta(minutes=14))
    fresh = _sdk_signed(admin.key.id, admin.secret, at=START)
    assert rpc_authenticator.authenticate(fresh).id == admin.user.id


def test_unknown_key_and_wrong_secret_get_the_same_answer(
    rpc_authenticator: Authenticator, admin: IssuedKey
) -> None:
    unknown = _sdk_signed("AKNOBODY0000000000000000", admin.secret, at=START)
    wrong = _sdk_signed(admin.key.id, "not-the-secret", at=START)
    errors = []
    for request in (unknown, wrong):
        with pytest.raises(Unauthenticated) as caught:
            rpc_authenticator.authenticate(request)
        errors.append((caught.value.code, str(caught.value)))
    assert errors[0] == errors[1]
    assert errors[0][0] == ErrorCode.SIGNATURE_MISMATCH


def test_only_dialects_listing_the_verifier_accept_query_signatures(
    access: AccessService, clock: Clock, admin: IssuedKey
) -> None:
    without = Authenticator(access, [Acs3Verifier(), RoaVerifier()], clock=clock)
    request = _sdk_signed(admin.key.id, admin.secret, at=START)
    assert _code(without, request) == ErrorCode.MISSING_CREDENTIALS
