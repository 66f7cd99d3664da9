"""Console session cookies: signed, tamper-evident, expiring; CSRF tokens per sign-in."""

from __future__ import annotations

import pytest

from millstream.web.sessions import (
    Revocations,
    Session,
    SessionCodec,
    derive_session_key,
    secrets_match,
)

KEY = derive_session_key(b"server secret")


def _session(codec: SessionCodec, now: float = 1_000.0) -> Session:
    return codec.new(
        key_id="MSKEY", actor_id="u1", actor_name="ann", workspace="ws", namespace="ns", now=now
    )


def test_encoded_session_decodes_to_the_same_session() -> None:
    codec = SessionCodec(KEY)
    session = _session(codec)
    assert codec.decode(codec.encode(session), now=1_001) == session


@pytest.mark.parametrize("value", [None, "", "garbage", "a.b", "a.b.c", "!!!.???"])
def test_malformed_cookies_are_no_session(value: str | None) -> None:
    assert SessionCodec(KEY).decode(value) is None


def test_tampered_payload_is_rejected() -> None:
    codec = SessionCodec(KEY)
    payload, signature = codec.encode(_session(codec)).split(".")
    forged = codec.encode(
        codec.new(key_id="MSKEY", actor_id="admin", actor_name="x", workspace="w", namespace="n")
    ).split(".")[0]
    assert codec.decode(f"{forged}.{signature}") is None
    assert codec.decode(f"{payload}.{signature}", now=1_001) is not None


def test_cookie_signed_with_another_key_is_rejected() -> None:
    mine, theirs = SessionCodec(KEY), SessionCodec(derive_session_key(b"other"))
    assert mine.decode(theirs.encode(_session(theirs)), now=1_001) is None


def test_expired_session_is_rejected() -> None:
    codec = SessionCodec(KEY, lifetime_seconds=60)
    value = codec.encode(_session(codec, now=1_000))
    assert codec.decode(value, now=1_059) is not None
    assert codec.decode(value, now=1_061) is None


def test_csrf_token_differs_per_sign_in_and_survives_a_scope_switch() -> None:
    codec = SessionCodec(KEY)
    first = codec.new(key_id="K", actor_id="u", actor_name="a", workspace="w", namespace="n")
    second = codec.new(key_id="K", actor_id="u", actor_name="a", workspace="w", namespace="n")
    assert codec.csrf_token(first) != codec.csrf_token(second)
    assert codec.csrf_token(first.with_scope("w", "other")) == codec.csrf_token(first)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        SessionCodec(b"short")


def test_derived_key_is_stable_and_not_the_material() -> None:
    assert derive_session_key("x") == derive_session_key(b"x")
    assert len(derive_session_key(b"x")) == 32
    assert derive_session_key(b"x") != derive_session_key(b"y")


def test_secrets_match_only_equal_strings() -> None:
    assert secrets_match("abc", "abc")
    assert not secrets_match("abc", "abd")
    assert not secrets_match("", "abc")


def test_revocations_are_bounded_and_forget_expired_sessions_first() -> None:
    codec = SessionCodec(b"k" * 32, lifetime_seconds=100)
    revocations = Revocations(max_entries=3)

    def session(issued: float) -> Session:
        return codec.new(
            key_id="K", actor_id="a", actor_name="n", workspace="w", namespace="n", now=issued
        )

    old, live = session(0), [session(1000 + i) for i in range(3)]
    revocations.revoke(old, now=0)
    for item in live:
        revocations.revoke(item, now=1050)
    assert len(revocations) == 3
    assert not revocations.is_revoked(old)  # expired anyway: dropped first
    assert all(revocations.is_revoked(item) for item in live)


def test_sign_in_token_is_tied_to_its_cookie() -> None:
    codec = SessionCodec(b"k" * 32)
    nonce = codec.new_sign_in_nonce()
    token = codec.sign_in_token(nonce)
    assert codec.sign_in_matches(nonce, token)
    assert not codec.sign_in_matches(codec.new_sign_in_nonce(), token)
    assert not codec.sign_in_matches(None, token)
    assert not codec.sign_in_matches(nonce, "")
    assert not SessionCodec(b"o" * 32).sign_in_matches(nonce, token)
