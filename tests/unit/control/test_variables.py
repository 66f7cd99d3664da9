"""${name} substitution."""

from __future__ import annotations

import pytest

from millstream.control.variables import substitute, substitute_conf
from millstream.domain.errors import UnknownVariable


def test_substitutes_every_reference() -> None:
    assert substitute("a ${x} b ${y.z}", {"x": "1", "y.z": "2"}, where="s") == "a 1 b 2"


def test_unknown_variables_are_all_named() -> None:
    with pytest.raises(UnknownVariable, match="a, b"):
        substitute("${b} ${a}", {}, where="sqlScript")


def test_conf_values_only_strings() -> None:
    assert substitute_conf({"k": "${v}", "n": 3}, {"v": "x"}) == {"k": "x", "n": 3}
