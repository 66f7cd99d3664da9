"""The SDK-HMAC-SHA256 verifier against requests signed by the official SDK's own signer:
accepted as signed (with a query, a body, an empty body); refused when the secret, the
path, the query, a signed header or the body changed, when X-Sdk-Date is stale or
malformed, when a required header is not signed; a replayed write is refused by the
shared authenticator; ``authorization_header`` signs exactly as the SDK does."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from tests.unit.api.dli.dli_signing import PROJECT, sdk_request, signed_at
from tests.unit.auth.conftest import Clock
from tests.unit.auth.fakes import InMemoryAccessStore, PlainCipher

from millstream.api.auth import Authenticator, SignedRequest
from millstream.api.dli.signature import (
    DliVerifier,
    authorization_header,
    canonical_query,
    canonical_uri,
)
from millstream.control.services.access import AccessService, IssuedKey
from millstream.domain.errors import ErrorCode, Unauthenticated

VERIFIER = DliVerifier()


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


def _signed(admin: IssuedKey, clock: Clock, **kwargs: object) -> SignedRequest:
    request = sdk_request(key_id=admin.key.id, secret=admin.secret, **kwargs)  # type: ignore[arg-type]
    clock.now = signed_at(request)
    return request


def _replace_header(request: SignedRequest, name: str, value: str) -> SignedRequest:
    headers = tuple((k, value if k == name else v) for k, v in request.headers)
    return dataclasses.replace(request, headers=headers)


def test_canonical_uri_always_ends_with_a_slash_and_reencodes_segments() -> None:
    assert canonical_uri("/v1.0/p/streaming/jobs/148") == "/v1.0/p/streaming/jobs/148/"
    assert canonical_uri("/v1.0/p/queues/a%20b") == "/v1.0/p/queues/a%20b/"
    assert canonical_uri("/v1.0/p/") == "/v1.0/p/"


def test_canonical_query_sorts_and_reencodes_pairs() -> None:
    assert canonical_query("offset=0&limit=10&name=a+b") == "limit=10&name=a%20b&offset=0"
    assert canonical_query("") == ""


@pytest.mark.parametrize(
    ("method", "path", "body", "query"),
    [
        ("POST", f"/v1.0/{PROJECT}/streaming/jobs/run", {"job_ids": [148]}, None),
        ("GET", f"/v1.0/{PROJECT}/streaming/jobs", None, [("show_detail", True), ("limit", 10)]),
        ("GET", f"/v1.0/{PROJECT}/streaming/jobs", None, [("name", "a b~c/é")]),
        ("DELETE", f"/v1.0/{PROJECT}/streaming/jobs/148", None, None),
    ],
)
def test_sdk_signed_requests_are_accepted(
    authenticator: Authenticator,
    admin: IssuedKey,
    clock: Clock,
    method: str,
    path: str,
    body: dict[str, object] | None,
    query: list[tuple[str, object]] | None,
) -> None:
    request = _signed(admin, clock, method=method, path=path, body=body, query=query)
    assert authenticator.authenticate(request).id == admin.key.user_id


def test_the_verifier_reproduces_the_sdk_signature(admin: IssuedKey, clock: Clock) -> None:
    request = _signed(admin, clock, body={"trigger_savepoint": True, "job_ids": [1, 2]})
    signed = ["content-type", "host", "user-agent", "x-project-id", "x-sdk-date"]
    mine = authorization_header(
        request, access_key_id=admin.key.id, secret=admin.secret, signed_headers=signed
    )
    assert mine == request.header("authorization")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: dataclasses.replace(r, raw_path=r.raw_path.replace("run", "stop")),
        lambda r: dataclasses.replace(r, raw_query="limit=11"),
        lambda r: dataclasses.replace(r, body=b'{"job_ids": [149]}'),
        lambda r: _replace_header(r, "x-project-id", "another-project"),
        lambda r: _replace_header(r, "user-agent", "curl/8"),
    ],
    ids=["path", "query", "body", "project-header", "user-agent"],
)
def test_a_changed_request_is_refused(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock, tamper: object
) -> None:
    request = _signed(admin, clock, body={"job_ids": [148]})
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(tamper(request))  # type: ignore[operator]
    assert caught.value.code is ErrorCode.SIGNATURE_MISMATCH


def test_a_wrong_secret_is_refused(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = sdk_request(key_id=admin.key.id, secret="not-the-secret", body={"job_ids": [1]})
    clock.now = signed_at(request)
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    assert caught.value.code is ErrorCode.SIGNATURE_MISMATCH


def test_a_stale_date_is_refused(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = _signed(admin, clock, body={"job_ids": [1]})
    clock.advance(timedelta(minutes=16))
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    assert caught.value.code is ErrorCode.REQUEST_TIME_SKEWED


def test_a_malformed_date_is_refused(admin: IssuedKey, clock: Clock) -> None:
    request = _replace_header(_signed(admin, clock), "x-sdk-date", "yesterday")
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(request)
    assert caught.value.code is ErrorCode.INVALID_TIMESTAMP


def test_the_project_header_must_be_signed(admin: IssuedKey, clock: Clock) -> None:
    request = _signed(admin, clock, body={"job_ids": [1]})
    authorization = (request.header("authorization") or "").replace(";x-project-id", "")
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(_replace_header(request, "authorization", authorization))
    assert caught.value.code is ErrorCode.MALFORMED_SIGNATURE
    assert "x-project-id" in str(caught.value)


def test_an_incomplete_authorization_is_refused(admin: IssuedKey, clock: Clock) -> None:
    request = _replace_header(
        _signed(admin, clock), "authorization", f"SDK-HMAC-SHA256 Access={admin.key.id}"
    )
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(request)
    assert caught.value.code is ErrorCode.MALFORMED_SIGNATURE


def test_an_unsigned_payload_does_not_carry_a_body(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    """The SDK signs ``UNSIGNED-PAYLOAD`` for non-JSON bodies; such a body is refused."""
    request = _signed(admin, clock, body={"job_ids": [1]}, content_type="multipart/form-data")
    assert request.header("x-sdk-content-sha256") == "UNSIGNED-PAYLOAD"
    assert not VERIFIER.claim(request).body_matches
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    assert caught.value.code is ErrorCode.SIGNATURE_MISMATCH


def test_a_replayed_write_is_refused(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = _signed(admin, clock, body={"job_ids": [148]})
    authenticator.authenticate(request)
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    # DLI's scheme has no nonce: the message tells the caller to sign anew, not about one.
    assert caught.value.code is ErrorCode.NONCE_REUSED
    assert "nonce" not in caught.value.message
    assert "sign it again with a new timestamp" in caught.value.message
