"""``${name}`` substitution in SQL scripts, main args and Flink configuration values.

A job's local variables override the deployment's, which override namespace variables
(``merge_variables``). An unknown name is an error before anything reaches Flink:
``JobService.start`` substitutes with every layer and raises ``UnknownVariable``.

An Encrypted variable's value must never come back in a text a user or a log can read.
Every text produced from a script or configuration with the values substituted (SQL
validation errors, job failures, events, log excerpts) goes through ``mask_secrets``, or
the code that may raise runs inside ``secrets_masked``; both replace each value with
``MASK``. Callers: ``DeploymentService`` (validation), ``JobService`` and the reconciler
(failure texts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from millstream.domain.errors import MillstreamError, UnknownVariable
from millstream.domain.variables import MASK

__all__ = [
    "find_variables",
    "mask_secrets",
    "merge_variables",
    "secrets_masked",
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
    """Replace every ``${name}``; raise UnknownVariable naming all missing ones.

    ``where`` names the text in domain words for the message (``"the SQL script"``)."""
    missing = sorted(find_variables(text) - set(variables))
    if missing:
        names = ", ".join(missing)
        raise UnknownVariable(
            f"{where} uses undefined variable(s) {names}: define them as namespace "
            "variables or as local variables of the deployment"
        )
    return _REFERENCE.sub(lambda m: variables[m.group(1)], text)


def substitute_known(text: str, variables: Mapping[str, str]) -> str:
    """Replace the ``${name}`` references ``variables`` defines; leave the others as
    they are (for a later substitution that knows more)."""
    return _REFERENCE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def substitute_conf(conf: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    return {
        key: substitute(value, variables, where=f"Flink configuration entry {key!r}")
        if isinstance(value, str)
        else value
        for key, value in conf.items()
    }


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret value replaced by ``MASK``."""
    values = sorted({value for value in secrets if value}, key=len, reverse=True)
    if not values or not text:
        return text
    # One pass over all values, longest first: a value that contains another is masked
    # whole, and a MASK already written is never matched again.
    pattern = re.compile("|".join(re.escape(value) for value in values))
    return pattern.sub(MASK, text)


@contextmanager
def secrets_masked(secrets: Iterable[str]) -> Iterator[None]:
    """Run a block whose errors may quote substituted text: a ``MillstreamError`` raised
    inside leaves with every secret value masked in its message; a chained cause that
    quotes a secret is dropped (tracebacks are logged, and they would show it)."""
    values = tuple(value for value in secrets if value)
    try:
        yield
    except MillstreamError as exc:
        if values:
            _mask_error(exc, values)
        raise


def _mask_error(exc: MillstreamError, values: tuple[str, ...]) -> None:
    exc.message = mask_secrets(exc.message, values)
    exc.args = (exc.message, *exc.args[1:])
    cause: BaseException | None = exc.__cause__ or exc.__context__
    while cause is not None:
        if any(value in str(cause) for value in values):
            exc.__cause__ = None
            exc.__suppress_context__ = True
            return
        cause = cause.__cause__ or cause.__context__
