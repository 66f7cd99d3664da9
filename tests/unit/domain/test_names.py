"""User-chosen names refuse control and invisible characters (``domain.names``) in every
validator that does not restrict names to a plain alphabet anyway."""

from __future__ import annotations

import pytest

from millstream.domain.access import validate_user_name
from millstream.domain.deployments import validate_deployment_name
from millstream.domain.errors import InvalidInput
from millstream.domain.names import has_control_characters
from millstream.domain.namespaces import validate_name

BAD = [
    "a\x00b",
    "a\nb",
    "a\rb",
    "a\tb",
    "a\x1bb",
    "a\x7fb",
    "a\x85b",
    "a\u200bb",
    "a\u202eb",
    "a\u2028b",
]
GOOD = ["orders", "订单 流", "déjà vu — v2", "emoji 🚀", "a.b-c_d (1)"]


@pytest.mark.parametrize("text", BAD)
def test_control_and_invisible_characters_are_detected(text: str) -> None:
    assert has_control_characters(text)


@pytest.mark.parametrize("text", GOOD)
def test_ordinary_text_passes(text: str) -> None:
    assert not has_control_characters(text)


@pytest.mark.parametrize("name", BAD)
def test_deployment_and_user_names_refuse_them(name: str) -> None:
    with pytest.raises(InvalidInput):
        validate_deployment_name(name)
    with pytest.raises(InvalidInput):
        validate_user_name(name)


@pytest.mark.parametrize("name", GOOD)
def test_deployment_and_user_names_accept_ordinary_text(name: str) -> None:
    assert validate_deployment_name(name) == name
    assert validate_user_name(name) == name


@pytest.mark.parametrize("name", ["", "   ", "x" * 129])
def test_user_names_need_one_to_128_visible_characters(name: str) -> None:
    with pytest.raises(InvalidInput):
        validate_user_name(name)


def test_namespace_names_refuse_a_trailing_newline() -> None:
    assert validate_name("ns1", "namespace") == "ns1"
    with pytest.raises(InvalidInput):
        validate_name("ns1\n", "namespace")
