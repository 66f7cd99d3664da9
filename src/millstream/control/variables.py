"""``${name}`` substitution in SQL scripts, main args and Flink configuration values.

Job ``localVariables`` override the deployment's, which override namespace variables
(``merge_variables``). An unknown name is an error before anything reaches Flink:
``JobService.start`` substitutes with every layer and raises ``UnknownVariable``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from millstream.domain.errors import UnknownVariable

__all__ = [
    "find_variables",
    "merge_variables",
    "substitute",
    "substitute_conf",
    "substitute_known",
]

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


def find_variables(text: str) -> set[str]:
    return set(_REFERENCE.findall(text))


def merge_variables(
    namespace: Mapping[str, str],
    deployment: Mapping[str, str],
    job: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """One lookup table: the job's local variables win over the deployment's, which win
    over the namespace's."""
    return {**namespace, **deployment, **(job or {})}


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


def substitute_known(text: str, variables: Mapping[str, str]) -> str:
    """Replace the ``${name}`` references ``variables`` defines; leave the others as
    they are (for a later substitution that knows more)."""
    return _REFERENCE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def substitute_conf(conf: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    return {
        key: substitute(value, variables, where=f"flinkConf[{key!r}]")
        if isinstance(value, str)
        else value
        for key, value in conf.items()
    }
