"""Key spaces and external keys: naming rules, key validation, the not-found error."""

from __future__ import annotations

import pytest

from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.external_keys import (
    MAX_NUMBER,
    ExternalKey,
    KeyedEntity,
    KeyKind,
    KeySpace,
)


@pytest.mark.parametrize("name", ["dli.job", "volcengine.application", "a", "x-y.z_1"])
def test_dotted_lowercase_space_names_are_accepted(name: str) -> None:
    assert KeySpace(name, KeyKind.NUMBER).name == name


@pytest.mark.parametrize("first", [-1, MAX_NUMBER + 1])
def test_first_number_must_fit_a_signed_64_bit_integer(first: int) -> None:
    with pytest.raises(ValueError, match="first_number"):
        KeySpace("a.b", KeyKind.NUMBER, first_number=first)


@pytest.mark.parametrize("key", [0, 1, MAX_NUMBER])
def test_numbers_in_range_are_valid(key: int) -> None:
    KeySpace("a.b", KeyKind.NUMBER).check_key(key)


@pytest.mark.parametrize("key", [-1, MAX_NUMBER + 1, False, "1", 1.0])
def test_other_values_are_not_numbers(key: object) -> None:
    with pytest.raises(InvalidInput, match="not a valid id"):
        KeySpace("a.b", KeyKind.NUMBER).check_key(key)  # type: ignore[arg-type]


def test_names_must_be_non_blank_and_short() -> None:
    space = KeySpace("a.b", KeyKind.NAME)
    space.check_key("x" * 128)
    for bad in ("", " ", "x" * 129):
        with pytest.raises(InvalidInput):
            space.check_key(bad)


def test_scopes_are_bounded() -> None:
    KeySpace.check_scope("p" * 128)
    with pytest.raises(InvalidInput, match="scope"):
        KeySpace.check_scope("p" * 129)


@pytest.mark.parametrize(
    ("entity", "code"),
    [
        (KeyedEntity.DEPLOYMENT, ErrorCode.DEPLOYMENT_NOT_FOUND),
        (KeyedEntity.JOB, ErrorCode.JOB_NOT_FOUND),
    ],
)
def test_not_found_speaks_of_the_entity(entity: KeyedEntity, code: ErrorCode) -> None:
    error = KeySpace("a.b", KeyKind.NUMBER, entity).not_found(7, "p1")
    assert error.code is code
    assert str(error) == f"{entity.value} 7 not found in scope 'p1'"


def test_a_key_has_its_number_or_its_name_as_value() -> None:
    assert ExternalKey("a.b", "", "id", number=3).value == 3
    assert ExternalKey("a.b", "", "id", name="n").value == "n"
    with pytest.raises(ValueError, match="no value"):
        _ = ExternalKey("a.b", "", "id").value
