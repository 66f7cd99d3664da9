"""Which registered functions and custom connectors a SQL script uses, and what its job
then needs: jars on the class path and ``CREATE TEMPORARY SYSTEM FUNCTION`` statements
run before the script.

The reconciler asks (through ``control.services.udfs.UdfService.libraries_for``) when it
submits a SQL job; deleting a UDF artifact, function or connector asks the same question
about the namespace's live jobs, so "in use" means exactly "its job was given it".
A function counts as called when its name is followed by ``(`` outside an identifier
(``prefix_upper(name)``, ``LATERAL TABLE(split_words(s))``), case-insensitively like
Flink's resolution; a connector counts as used when a ``WITH`` clause says
``'connector' = '<identifier>'``. A match inside a comment costs one extra jar, never a
failed job. A function the script declares itself (``CREATE ... FUNCTION name``) keeps
the script's declaration: only its jar is added. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from millstream.domain.udfs import CustomConnector, UdfArtifact, UdfFunction

__all__ = [
    "SqlLibraries",
    "connectors_used",
    "function_statement",
    "functions_called",
    "libraries_for",
]

_CONNECTOR = re.compile(r"'connector'\s*=\s*'((?:[^']|'')*)'", re.IGNORECASE)
_DECLARED = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+(?:SYSTEM\s+)?)?FUNCTION\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?:`?\w+`?\.){0,2}`?(\w+)`?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SqlLibraries:
    """What a SQL job needs beyond its script: statements first, jars on its class path."""

    statements: tuple[str, ...] = ()
    jars: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()  # the registered functions it calls
    connectors: tuple[str, ...] = ()  # the custom connectors it uses

    def __bool__(self) -> bool:
        return bool(self.statements or self.jars)


def functions_called(script: str, names: Iterable[str]) -> set[str]:
    """The ``names`` the script calls (matched case-insensitively)."""
    called: set[str] = set()
    for name in names:
        quoted = re.escape(name)
        pattern = rf"(?<![\w.`$])(?:`{quoted}`|{quoted})\s*\("
        if re.search(pattern, script, re.IGNORECASE):
            called.add(name)
    return called


def connectors_used(script: str, names: Iterable[str]) -> set[str]:
    """The connector identifiers among ``names`` a ``WITH`` clause of the script names."""
    named = {m.group(1).replace("''", "'") for m in _CONNECTOR.finditer(script)}
    return named & set(names)


def function_statement(function: UdfFunction) -> str:
    """The DDL that makes ``function`` callable in the job (system-wide, so ``USE
    CATALOG`` in the script does not hide it)."""
    class_name = function.class_name.replace("'", "''")
    return (
        f"CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS `{function.name}` "
        f"AS '{class_name}' LANGUAGE JAVA"
    )


def libraries_for(
    script: str,
    *,
    functions: Iterable[UdfFunction],
    artifacts: Mapping[str, UdfArtifact],
    connectors: Iterable[CustomConnector],
) -> SqlLibraries:
    """What ``script`` needs of the namespace's registered functions (with their
    artifacts by name) and custom connectors; jars in a stable order, each once."""
    by_name = {f.name: f for f in functions}
    called = functions_called(script, by_name)
    declared = {m.group(1).lower() for m in _DECLARED.finditer(script)}
    statements: list[str] = []
    jars: list[str] = []
    for name in sorted(called):
        function = by_name[name]
        artifact = artifacts.get(function.artifact_name)
        if artifact is None:
            continue
        if name.lower() not in declared:
            statements.append(function_statement(function))
        jars.extend(artifact.jars)
    by_connector = {c.name: c for c in connectors}
    used = sorted(connectors_used(script, by_connector))
    for name in used:
        jars.extend(by_connector[name].jars)
    return SqlLibraries(
        statements=tuple(statements),
        jars=tuple(dict.fromkeys(jars)),
        functions=tuple(sorted(called)),
        connectors=tuple(used),
    )
