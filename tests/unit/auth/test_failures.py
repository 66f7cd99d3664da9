"""``FailureAudit`` (aggregated audit of failed attempts) and the ``Authenticator``
throttling failed authentications with ``control.throttle.FailureThrottle``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from millstream.api.auth import Acs3Verifier, Authenticator, SignedRequest
from millstream.api.auth.failures import FailureAudit
from millstream.control.services.access import AccessService, IssuedKey
from millstream.control.throttle import FailureThrottle
from millstream.domain.errors import Throttled, Unauthenticated
from tests.unit.auth.conftest import START, Clock
from tests.unit.auth.fakes import InMemoryAccessStore
from tests.unit.auth.signing import sdk_acs3_request


@dataclass
class Ticks:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def _unknown_key_request(address: str, nonce: str) -> SignedRequest:
    request = sdk_acs3_request(
        key_id="MSUNKNOWN0000000000000000", secret="x", at=START, nonce=nonce
    )
    return SignedRequest(
        request.method, request.raw_path, request.raw_query, request.headers, request.body, address
    )


def test_authenticator_throttles_and_audits_a_flood_sparingly(
    access_store: InMemoryAccessStore, access: AccessService, admin: IssuedKey, clock: Clock
) -> None:
    ticks = Ticks()
    authenticator = Authenticator(
        access,
        [Acs3Verifier()],
        clock=clock,
        throttle=FailureThrottle(max_failures=20, window=60, block=60, clock=ticks),
        audit=FailureAudit(access, max_entries_per_minute=60, clock=clock, monotonic=ticks),
    )
    refused = 0
    for i in range(200):
        try:
            authenticator.authenticate(_unknown_key_request("10.0.0.1", f"n{i}"))
        except Throttled:
            refused += 1
        except Unauthenticated:
            pass
    assert refused == 180  # the first 20 were checked, the rest refused unchecked
    entries = access_store.state.audit
    # The first failure of the window and the one that started the block, nothing more.
    assert [e.status_code for e in entries] == [401, 401]
    assert all(e.action.startswith("AUTHENTICATE POST") for e in entries)
    assert "MSUNKNOWN" in entries[0].actor_name
    # Another address is not affected; the right key from it works.
    good = sdk_acs3_request(key_id=admin.key.id, secret=admin.secret, at=START, nonce="ok")
    other = SignedRequest(
        good.method, good.raw_path, good.raw_query, good.headers, good.body, "10.0.0.2"
    )
    assert authenticator.authenticate(other).id == admin.user.id
    # After the block, the address may try again.
    ticks.now += 61
    with pytest.raises(Unauthenticated):
        authenticator.authenticate(_unknown_key_request("10.0.0.1", "again"))


def test_audit_budget_caps_entries_from_many_addresses(
    access_store: InMemoryAccessStore, access: AccessService, clock: Clock
) -> None:
    ticks = Ticks()
    authenticator = Authenticator(
        access,
        [Acs3Verifier()],
        clock=clock,
        throttle=FailureThrottle(max_failures=20, max_failures_per_key=0, clock=ticks),
        audit=FailureAudit(access, max_entries_per_minute=5, clock=clock, monotonic=ticks),
    )
    for i in range(50):
        with pytest.raises(Unauthenticated):
            authenticator.authenticate(_unknown_key_request(f"10.1.0.{i}", f"n{i}"))
    assert len(access_store.state.audit) == 5
    ticks.now += 60
    with pytest.raises(Unauthenticated):
        authenticator.authenticate(_unknown_key_request("10.2.0.1", "later"))
    assert len(access_store.state.audit) == 6


def test_audit_entries_are_safe_for_the_database(
    access: AccessService, access_store: InMemoryAccessStore
) -> None:
    audit = FailureAudit(access)
    audit.record(
        method="POST",
        path="/api/v2/\x00evil\n" + "x" * 5000,
        key_id="K\x00" + "y" * 500,
        address="1.2.3.4",
        status=401,
        reason="signature_mismatch",
        counts={},
        workspace="ws\x00",
        namespace="ns",
    )
    (entry,) = access_store.state.audit
    for text in (entry.action, entry.actor_name, entry.resource, entry.workspace or ""):
        assert "\x00" not in text
        assert "\n" not in text
    assert len(entry.action) <= 512
    assert len(entry.actor_name) <= 128
