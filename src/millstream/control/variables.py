"""``${name}`` substitution in SQL scripts, main args and Flink configuration values.

Job ``localVariables`` override the deployment's, which override namespace variables.
An unknown name is an error before anything reaches Flink.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from millstream.domain.errors import UnknownVariable

__all__ = ["find_variables", "substitute", "substitute_conf"]

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


def find_variables(text: str) -> set[str]:
    return set(_REFERENCE.findall(text))


def substitute(text: str, variables: Mapping[str, str], *, where: str) -> str:
    """Replace every ``${name}``; raise UnknownVariable naming all missing ones."""
    missing = sorted(find_variables(text) - set(variables))
    if missing:
        names = ", ".join(missing)
        raise UnknownVariable(
            f"{where} uses undefined variable(s) {names}: define them as namespace "
            "variables or in localVariables"
        )
    return _REFERENCE.sub(lambda m: variables[m.group(1)], text)


def substitute_conf(conf: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    return {
        key: substitute(value, variables, where=f"flinkConf[{key!r}]")
        if isinstance(value, str)
        else value
        for key, value in conf.items()
    }
