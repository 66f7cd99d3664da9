"""Encrypted variables' values never come back in a text: ``mask_secrets`` and
``secrets_masked`` (used by SQL validation, job start and the reconciler)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.control.services.variables import ResolvedVariables
from millstream.control.variables import mask_secrets, secrets_masked
from millstream.domain.errors import EnginePermanentError, InvalidSql
from millstream.domain.variables import MASK


def test_every_occurrence_is_masked() -> None:
    text = "Cannot find table `hunter2` (hunter2)"
    assert mask_secrets(text, ["hunter2"]) == f"Cannot find table `{MASK}` ({MASK})"


def test_longer_values_are_masked_whole_and_empty_ones_ignored() -> None:
    assert mask_secrets("pw=abcdef", ["abc", "abcdef", ""]) == f"pw={MASK}"
    assert mask_secrets("unchanged", []) == "unchanged"


@given(
    secret=st.text(min_size=1, max_size=20),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_no_secret_survives_masking(secret: str, before: str, after: str) -> None:
    masked = mask_secrets(before + secret + after + secret, [secret])
    assert secret not in masked or secret in MASK


def test_errors_leave_the_block_masked_with_their_kind_and_position() -> None:
    with pytest.raises(InvalidSql) as raised, secrets_masked(["s3cr3t"]):
        raise InvalidSql("Object 's3cr3t' not found", line=1, column=13)
    assert str(raised.value) == f"Object '{MASK}' not found"
    assert (raised.value.line, raised.value.column) == (1, 13)


def _submit() -> None:
    try:
        raise ValueError("jdbc:postgresql://db?password=s3cr3t")
    except ValueError as exc:
        raise EnginePermanentError("submission refused: password=s3cr3t") from exc


def test_a_cause_quoting_the_secret_is_dropped() -> None:
    with pytest.raises(EnginePermanentError) as raised, secrets_masked(["s3cr3t"]):
        _submit()
    assert "s3cr3t" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_resolved_variables_mask_only_encrypted_ones() -> None:
    resolved = ResolvedVariables(values={"pw": "s3cr3t", "rows": "5"}, secret=frozenset({"pw"}))
    assert resolved.secret_values() == ("s3cr3t",)
    assert resolved.masked() == {"pw": MASK, "rows": "5"}
