"""The scheme-agnostic checks: missing or unknown credentials, clock skew, replayed
nonces, tampered bodies; each with its error code and no hint of what matched. Nothing
about a key (whether it exists, whether it is disabled) is told before its signature
verified; failed attempts are throttled and audited."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from millstream.api.auth import Acs3Verifier, Authenticator, Claim, SignedRequest
from millstream.control.context import Actor
from millstream.control.services.access import AccessService, IssuedKey
from millstream.domain.errors import ErrorCode, Unauthenticated
from tests.unit.auth.conftest import START, Clock
from tests.unit.auth.signing import content_md5, sdk_acs3_request, sdk_roa_request


def _actor(issued: IssuedKey) -> Actor:
    return Actor(issued.user.id, issued.user.name)


def _code(authenticator: Authenticator, request: SignedRequest) -> str:
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    return caught.value.code


def test_correctly_signed_request_authenticates_the_key_owner(
    authenticator: Authenticator, admin: IssuedKey
) -> None:
    request = sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=START)
    actor = authenticator.authenticate(request)
    assert (actor.id, actor.name) == (admin.user.id, "admin")


def test_roa_v2_request_authenticates(authenticator: Authenticator, admin: IssuedKey) -> None:
    body = b'{"deploymentId":"dep-1"}'
    request = sdk_roa_request(
        key_id=admin.key.id, secret=admin.secret, at=START, body=body, content_md5=content_md5(body)
    )
    assert authenticator.authenticate(request).id == admin.user.id


def test_missing_authorization(authenticator: Authenticator) -> None:
    request = SignedRequest("GET", "/api/v2/namespaces/ns1/jobs", "", (("host", "h"),), b"")
    assert _code(authenticator, request) == ErrorCode.MISSING_CREDENTIALS


def test_unknown_scheme(authenticator: Authenticator) -> None:
    request = SignedRequest("GET", "/", "", (("authorization", "Bearer x"),), b"")
    assert _code(authenticator, request) == ErrorCode.MALFORMED_SIGNATURE


def _answer(authenticator: Authenticator, request: SignedRequest) -> tuple[str, str]:
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    return caught.value.code, caught.value.message


def test_unknown_key_wrong_secret_and_disabled_key_get_one_answer(
    authenticator: Authenticator, access: AccessService, admin: IssuedKey
) -> None:
    other = access.create_key(_actor(admin))
    access.disable_key(_actor(admin), other.key.id)
    answers = {
        _answer(authenticator, sdk_acs3_request(key_id=key, secret=secret, at=START, nonce=nonce))
        for key, secret, nonce in [
            ("MSUNKNOWN0000000000000000", admin.secret, "n1"),
            (admin.key.id, "wrong", "n2"),
            (other.key.id, "wrong", "n3"),
        ]
    }
    assert len(answers) == 1
    code, message = answers.pop()
    assert code == ErrorCode.SIGNATURE_MISMATCH
    assert "disabled" not in message
    assert "exist" not in message


def test_disabled_key_is_named_only_to_a_correctly_signed_request(
    authenticator: Authenticator, access: AccessService, admin: IssuedKey
) -> None:
    access.disable_key(_actor(admin), admin.key.id)
    request = sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=START)
    assert _code(authenticator, request) == ErrorCode.ACCESS_KEY_DISABLED


class CountingVerifier(Acs3Verifier):
    """Records the secrets signatures were checked with."""

    def __init__(self) -> None:
        self.secrets: list[str] = []

    def verify(self, request: SignedRequest, claim: Claim, secret: str) -> bool:
        self.secrets.append(secret)
        return super().verify(request, claim, secret)


def test_an_unknown_key_costs_one_hmac_against_a_decoy_secret(
    access: AccessService, admin: IssuedKey, clock: Clock
) -> None:
    verifier = CountingVerifier()
    authenticator = Authenticator(access, [verifier], clock=clock)
    unknown = sdk_acs3_request(key_id="MSUNKNOWN0000000000000000", secret="x", at=START)
    wrong = sdk_acs3_request(key_id=admin.key.id, secret="x", at=START, nonce="n2")
    for request in (unknown, wrong):
        with pytest.raises(Unauthenticated):
            authenticator.authenticate(request)
    decoy, real = verifier.secrets
    assert real == admin.secret
    assert decoy
    assert decoy != admin.secret


def test_wrong_secret_and_tampered_body_get_the_same_answer(
    authenticator: Authenticator, admin: IssuedKey
) -> None:
    wrong = sdk_acs3_request(key_id=admin.key.id, secret="wrong", at=START, nonce="n1")
    good = sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=START, nonce="n2")
    tampered = dataclasses.replace(good, body=b'{"deploymentId":"other"}')
    errors = []
    for request in (wrong, tampered):
        with pytest.raises(Unauthenticated) as caught:
            authenticator.authenticate(request)
        errors.append((caught.value.code, caught.value.message))
    assert errors[0] == errors[1]
    assert errors[0][0] == ErrorCode.SIGNATURE_MISMATCH


@pytest.mark.parametrize("offset", [timedelta(minutes=16), -timedelta(minutes=16)])
def test_skewed_clock_is_refused(
    authenticator: Authenticator, admin: IssuedKey, offset: timedelta
) -> None:
    request = sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=START + offset)
    assert _code(authenticator, request) == ErrorCode.REQUEST_TIME_SKEWED


def test_request_within_the_window_is_accepted(
    authenticator: Authenticator, admin: IssuedKey
) -> None:
    request = sdk_acs3_request(
        key_id=admin.key.id, secret=admin.secret, at=START - timedelta(minutes=14)
    )
    authenticator.authenticate(request)


def test_replayed_nonce_is_refused_even_much_later(
    authenticator: Authenticator, admin: IssuedKey, clock: Clock
) -> None:
    request = sdk_acs3_request(
        key_id=admin.key.id, secret=admin.secret, at=START + timedelta(minutes=14)
    )
    authenticator.authenticate(request)
    assert _code(authenticator, request) == ErrorCode.NONCE_REUSED
    # Pruning runs but keeps nonces for two windows: still a replay 28 minutes on.
    clock.advance(timedelta(minutes=28))
    assert _code(authenticator, request) == ErrorCode.NONCE_REUSED


def test_roa_change_without_nonce_cannot_be_replayed_but_reads_can_repeat(
    authenticator: Authenticator, admin: IssuedKey
) -> None:
    post = sdk_roa_request(
        key_id=admin.key.id,
        secret=admin.secret,
        at=START,
        nonce=None,
        content_md5=content_md5(b'{"deploymentId":"dep-1"}'),
    )
    authenticator.authenticate(post)
    assert _code(authenticator, post) == ErrorCode.NONCE_REUSED
    get = sdk_roa_request(
        key_id=admin.key.id, secret=admin.secret, at=START, nonce=None, method="GET", body=b""
    )
    authenticator.authenticate(get)
    authenticator.authenticate(get)


def test_last_used_is_written_at_most_once_a_minute(
    authenticator: Authenticator, access: AccessService, admin: IssuedKey, clock: Clock
) -> None:
    def last_used() -> object:
        return access.resolve(admin.key.id).key.last_used_at

    authenticator.authenticate(
        sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=START, nonce="a")
    )
    assert last_used() == START
    clock.advance(timedelta(seconds=30))
    authenticator.authenticate(
        sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=clock.now, nonce="b")
    )
    assert last_used() == START
    clock.advance(timedelta(seconds=31))
    authenticator.authenticate(
        sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=clock.now, nonce="c")
    )
    assert last_used() == clock.now


def test_bad_date_and_overlong_nonce(authenticator: Authenticator, admin: IssuedKey) -> None:
    request = sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=START)
    bad_date = dataclasses.replace(
        request,
        headers=tuple((k, "yesterday" if k == "x-acs-date" else v) for k, v in request.headers),
    )
    assert _code(authenticator, bad_date) == ErrorCode.INVALID_TIMESTAMP
    long_nonce = sdk_acs3_request(
        key_id=admin.key.id, secret=admin.secret, at=START, nonce="n" * 200
    )
    assert _code(authenticator, long_nonce) == ErrorCode.MALFORMED_SIGNATURE
