"""The per-process caches of keys and roles on the request path: a signed, authorized
request costs one store transaction once its key and role are cached, and no change
(a disabled, re-enabled, revoked or new key, a removed member, a demoted role) is ever
missed, in this process or in another replica on the same store."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta

import pytest

from millstream.api.auth import Acs3Verifier, Authenticator, BasicVerifier, SignedRequest
from millstream.control.context import Actor, Scope
from millstream.control.services.access import AccessService, IssuedKey
from millstream.control.services.access_cache import GenerationCache
from millstream.domain.access import KeyStatus, Permission, Role
from millstream.domain.errors import ErrorCode, NotFound, PermissionDenied, Unauthenticated
from tests.unit.auth.conftest import START, Clock
from tests.unit.auth.fakes import InMemoryAccessStore, PlainCipher
from tests.unit.auth.signing import sdk_acs3_request

SCOPE = Scope("ws1", "ns1")
_nonces = iter(range(1_000_000))


def _admit(
    authenticator: Authenticator, request: SignedRequest, needed: tuple[Scope, Permission]
) -> Actor:
    """What the API's guard does: authenticate, then check the role with the grant."""
    actor, grant = authenticator.verify_caller(request)
    authenticator.authorize(actor, *needed, grant=grant)
    return actor


def _actor(issued: IssuedKey) -> Actor:
    return Actor(issued.user.id, issued.user.name)


def _signed(issued: IssuedKey, secret: str | None = None) -> SignedRequest:
    return sdk_acs3_request(
        key_id=issued.key.id,
        secret=issued.secret if secret is None else secret,
        at=START,
        nonce=f"n-{next(_nonces)}",
    )


def _replica(store: InMemoryAccessStore, clock: Clock) -> Authenticator:
    """Another server process on the same store: its own AccessService and caches."""
    access = AccessService(store, PlainCipher(), clock=clock)
    return Authenticator(access, [Acs3Verifier(), BasicVerifier()], clock=clock)


def _refused(authenticator: Authenticator, request: SignedRequest) -> str:
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(request)
    return caught.value.code


def test_cached_signed_and_authorized_request_is_one_transaction(
    authenticator: Authenticator, access_store: InMemoryAccessStore, admin: IssuedKey
) -> None:
    read = (SCOPE, Permission.READ)
    _admit(authenticator, _signed(admin), read)
    before = access_store.transactions
    for _ in range(3):
        actor = _admit(authenticator, _signed(admin), read)
        assert actor.id == admin.user.id
    # The nonce, the access generation and the last-use check share one transaction;
    # key, secret and role come from the cache.
    assert access_store.transactions - before == 3


def test_replayed_nonce_is_refused_by_the_replica_that_cached_the_key(
    authenticator: Authenticator, access_store: InMemoryAccessStore, clock: Clock, admin: IssuedKey
) -> None:
    other = _replica(access_store, clock)
    request = _signed(admin)
    other.authenticate(_signed(admin))  # the key is cached there now
    authenticator.authenticate(request)
    assert _refused(other, request) == ErrorCode.NONCE_REUSED


@pytest.mark.parametrize("change", ["disable", "revoke"])
def test_disabled_or_revoked_key_is_refused_at_once_by_every_replica(
    authenticator: Authenticator,
    access: AccessService,
    access_store: InMemoryAccessStore,
    clock: Clock,
    admin: IssuedKey,
    change: str,
) -> None:
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    other = _replica(access_store, clock)
    for replica in (authenticator, other):
        assert replica.authenticate(_signed(bob)).id == bob.user.id
    if change == "disable":
        access.disable_key(_actor(admin), bob.key.id)
        expected = ErrorCode.ACCESS_KEY_DISABLED
    else:
        access.revoke_key(_actor(admin), bob.key.id)
        expected = ErrorCode.SIGNATURE_MISMATCH
    for replica in (authenticator, other):
        assert _refused(replica, _signed(bob)) == expected


def test_basic_credentials_stop_working_at_once_after_a_revocation(
    authenticator: Authenticator, access: AccessService, admin: IssuedKey
) -> None:
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    token = base64.b64encode(f"{bob.key.id}:{bob.secret}".encode()).decode()
    request = SignedRequest("GET", "/", "", (("authorization", f"Basic {token}"),), b"")
    assert authenticator.authenticate(request).id == bob.user.id
    access.revoke_key(_actor(admin), bob.key.id)
    assert _refused(authenticator, request) == ErrorCode.SIGNATURE_MISMATCH


def test_a_cached_refusal_never_outlives_its_cause(
    authenticator: Authenticator,
    access: AccessService,
    access_store: InMemoryAccessStore,
    admin: IssuedKey,
) -> None:
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    access.disable_key(_actor(admin), bob.key.id)
    assert _refused(authenticator, _signed(bob)) == ErrorCode.ACCESS_KEY_DISABLED
    access.enable_key(_actor(admin), bob.key.id)
    assert authenticator.authenticate(_signed(bob)).id == bob.user.id
    # A key id looked up (and found missing) before the key existed.
    new = IssuedKey(
        key=dataclasses.replace(bob.key, id="MSNEW0000000000000000000"),
        user=bob.user,
        secret=bob.secret,
    )
    assert _refused(authenticator, _signed(new)) == ErrorCode.SIGNATURE_MISMATCH
    access_store.state.keys[new.key.id] = new.key
    assert authenticator.authenticate(_signed(new)).id == bob.user.id


def test_removed_or_demoted_member_loses_access_at_once_on_every_replica(
    authenticator: Authenticator,
    access: AccessService,
    access_store: InMemoryAccessStore,
    clock: Clock,
    admin: IssuedKey,
) -> None:
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    access.create_member(_actor(admin), SCOPE, "bob", Role.EDITOR)
    other = _replica(access_store, clock)
    write = (SCOPE, Permission.WRITE)
    for replica in (authenticator, other):
        _admit(replica, _signed(bob), write)
    access.update_member(_actor(admin), SCOPE, "bob", Role.VIEWER)
    for replica in (authenticator, other):
        with pytest.raises(PermissionDenied):
            _admit(replica, _signed(bob), write)
    access.delete_member(_actor(admin), SCOPE, "bob")
    for replica in (authenticator, other):
        with pytest.raises(NotFound):
            _admit(replica, _signed(bob), (SCOPE, Permission.READ))


def test_role_checks_without_a_request_still_see_every_change(
    access: AccessService, admin: IssuedKey
) -> None:
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    access.create_member(_actor(admin), SCOPE, "bob", Role.OWNER)
    assert access.authorize(_actor(bob), SCOPE, Permission.MANAGE_MEMBERS) is Role.OWNER
    access.update_member(_actor(admin), SCOPE, "bob", Role.EDITOR)
    assert access.role_for(_actor(bob), SCOPE) is Role.EDITOR


def test_last_use_is_written_once_per_interval_not_per_request(
    authenticator: Authenticator,
    access_store: InMemoryAccessStore,
    clock: Clock,
    admin: IssuedKey,
) -> None:
    def last_used() -> object:
        return access_store.state.keys[admin.key.id].last_used_at

    authenticator.authenticate(_signed(admin))
    first = last_used()
    assert first == START
    clock.advance(timedelta(seconds=30))
    authenticator.authenticate(_signed(admin))
    assert last_used() == first
    clock.advance(timedelta(seconds=31))
    authenticator.authenticate(_signed(admin))
    assert last_used() == clock.now
    assert access_store.state.keys[admin.key.id].status is KeyStatus.ACTIVE


def test_caches_are_bounded_and_answer_only_the_generation_asked_for() -> None:
    cache: GenerationCache[str, int] = GenerationCache(max_entries=3)
    for index in range(10):  # a flood of made-up key ids
        cache.put(f"key-{index}", None, generation=1)
    assert len(cache) == 3
    assert cache.get("key-0") is None  # the oldest went first
    cache.put("key-9", 9, generation=2)
    assert cache.get("key-9", generation=1) is None
    entry = cache.get("key-9", generation=2)
    assert entry is not None
    assert entry.value == 9


def test_a_request_verified_again_after_its_cached_key_changed_keeps_its_nonce(
    authenticator: Authenticator, access: AccessService, admin: IssuedKey
) -> None:
    authenticator.authenticate(_signed(admin))
    entry = access.cached_key(admin.key.id)
    assert entry is not None
    assert entry.value is not None
    # What another replica's change leaves in this one: a cached owner that is no longer
    # the stored one, at an older generation. The nonce is spent before that shows.
    stale = dataclasses.replace(entry.value, actor=Actor(admin.user.id, "old-name"), generation=-1)
    access._checks._keys.put(admin.key.id, stale, -1)
    request = _signed(admin)
    assert authenticator.authenticate(request) == _actor(admin)
    assert _refused(authenticator, request) == ErrorCode.NONCE_REUSED
