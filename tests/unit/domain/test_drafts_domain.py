"""Deployment draft rules: names, sizes, lock lifetimes and who may edit a locked draft."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.drafts import (
    MAX_DRAFT_BYTES,
    MAX_LABELS,
    MAX_LOCK_TTL,
    MIN_LOCK_TTL,
    DeploymentDraft,
    DraftLock,
    DraftSpec,
    check_draft_name,
    check_lock_ttl,
    check_spec,
    lock_held_by_other,
    require_editable,
)
from millstream.domain.errors import Conflict, InvalidInput, PayloadTooLarge

NOW = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


def _lock(holder: str = "u-bob", *, expires_in: timedelta = timedelta(minutes=5)) -> DraftLock:
    return DraftLock(id="l1", holder_id=holder, holder_name="bob", expires_at=NOW + expires_in)


@pytest.mark.parametrize("name", ["orders", "orders to lake", "订单-1", "a" * 128])
def test_a_printable_name_names_a_draft(name: str) -> None:
    assert check_draft_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "   ", " lead", "trail ", "a/b", "a\\b", "tab\there", "a" * 129]
)
def test_a_bad_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_draft_name(name)


def test_a_spec_over_the_size_limit_is_too_large() -> None:
    script = "x" * (MAX_DRAFT_BYTES + 1)
    spec = DraftSpec(name="big", artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=script))
    with pytest.raises(PayloadTooLarge):
        check_spec(spec)


def test_too_many_labels_and_nul_values_are_refused() -> None:
    labels = {f"k{i}": "v" for i in range(MAX_LABELS + 1)}
    with pytest.raises(InvalidInput, match="labels"):
        check_spec(DraftSpec(name="d", labels=labels))
    with pytest.raises(InvalidInput, match="NUL"):
        check_spec(DraftSpec(name="d", variables={"a": "x\x00"}))
    with pytest.raises(InvalidInput):
        check_spec(DraftSpec(name="d", variables={"": "x"}))


@pytest.mark.parametrize(
    ("ttl", "allowed"),
    [
        (MIN_LOCK_TTL, True),
        (MAX_LOCK_TTL, True),
        (MIN_LOCK_TTL - timedelta(seconds=1), False),
        (MAX_LOCK_TTL + timedelta(seconds=1), False),
        (timedelta(seconds=-5), False),
    ],
)
def test_lock_lifetimes_are_bounded(ttl: timedelta, allowed: bool) -> None:
    if allowed:
        assert check_lock_ttl(ttl) == ttl
    else:
        with pytest.raises(InvalidInput):
            check_lock_ttl(ttl)


@pytest.mark.parametrize(
    ("lock", "editor", "blocked"),
    [
        (None, "u-alice", False),
        (_lock("u-bob"), "u-alice", True),
        (_lock("u-bob"), "u-bob", False),
        (_lock("u-bob", expires_in=timedelta(0)), "u-alice", False),
        (_lock("u-bob", expires_in=-timedelta(seconds=1)), "u-alice", False),
    ],
)
def test_only_an_unexpired_lock_of_someone_else_blocks(
    lock: DraftLock | None, editor: str, blocked: bool
) -> None:
    assert lock_held_by_other(lock, editor, NOW) is blocked
    draft = DeploymentDraft(id="d1", workspace="w", namespace="n", folder_id=0, spec=DraftSpec("d"))
    draft.lock = lock
    if blocked:
        with pytest.raises(Conflict, match=r"locked by bob \(u-bob\) until 2026-12-04T22:05"):
            require_editable(draft, editor, NOW)
    else:
        require_editable(draft, editor, NOW)
