"""Submitters: turn a ``Submission`` into a jar run that any Flink session cluster accepts.

``RestFlinkCluster`` picks the submitter by artifact kind, uploads the jar it names (once
per cluster) and calls ``POST /jars/{id}/run``. SQL is the first kind; JAR and Python
programs become more submitters of the same shape (a user jar, or flink-python's
``PythonDriver``). Also here: reading the SQL runner's error marker back into an
``InvalidSql`` with positions in the user's script.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from millstream.control.ports import Submission
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.errors import InvalidArtifact, InvalidSql
from millstream.engine.jars import JarCache
from millstream.engine.sql_runner import ENTRY_CLASS, SqlRunnerJar
from millstream.engine.sql_scripts import Statement, StatementKind, map_positions, split_statements
from millstream.engine.uris import ArtifactResolver

__all__ = ["DependencyJars", "JarRun", "SqlSubmitter", "Submitter", "sql_error"]


@dataclass(frozen=True, slots=True)
class JarRun:
    """A jar on local disk and how to call its main()."""

    jar: Path  # its file name identifies the content (clusters cache uploads by name)
    entry_class: str
    program_args: tuple[str, ...]
    # Defaults the program needs (e.g. python.executable); the deployment's own
    # flinkConfiguration wins over them.
    flink_conf: Mapping[str, str] = field(default_factory=dict)
    # Dependency files (name, local file) the job reads as userData/<name>
    # (engine.user_data): already in ``jar``, staged next to the cluster when it can be.
    user_files: tuple[tuple[str, Path], ...] = ()


class Submitter(Protocol):
    def prepare(self, submission: Submission) -> JarRun: ...


class DependencyJars:
    """A SQL job's dependency jars (``additionalDependencies``, UDF and connector jars)
    merged into the runner jar it runs, so ``main()`` and the tasks load their classes
    and ``META-INF/services`` factories on any cluster (``jars.JarCache.merged``)."""

    def __init__(self, resolver: ArtifactResolver, jars: JarCache) -> None:
        self._resolver = resolver
        self._jars = jars

    def merged(
        self, main: Path, uris: Sequence[str], *, workspace: str | None, namespace: str | None
    ) -> Path:
        paths = [
            self._resolver.resolve(uri, workspace=workspace, namespace=namespace)
            for uri in dict.fromkeys(uris)
        ]
        return self._jars.merged(main, paths)


class SqlSubmitter:
    """SQLSCRIPT artifacts: the script, split here, runs in the SQL runner jar (with the
    deployment's dependency jars merged in when it has any)."""

    def __init__(self, runner: SqlRunnerJar, *, dependencies: DependencyJars | None = None) -> None:
        self._runner = runner
        self._dependencies = dependencies

    def prepare(self, submission: Submission) -> JarRun:
        script = submission.artifact.sql_script
        if not script:
            raise InvalidArtifact("a SQLSCRIPT artifact needs sqlScript")
        statements = split_statements(script)
        if not any(s.kind is StatementKind.INSERT for s in statements):
            raise InvalidSql("the script has no INSERT statement, so there is no job to run")
        # Registered functions come first; an error in one points at the script's start.
        preamble = [Statement(t, 1, 1, StatementKind.SQL) for t in submission.sql_preamble]
        run = self._run("run", [*preamble, *statements], submission.execution_mode)
        uris = submission.artifact.additional_dependencies
        if not uris:
            return run
        if self._dependencies is None:
            raise InvalidArtifact("this engine cannot add dependency jars to SQL jobs")
        workspace, namespace = submission.extra.get("workspace"), submission.extra.get("namespace")
        jar = self._dependencies.merged(
            run.jar,
            uris,
            workspace=workspace if isinstance(workspace, str) else None,
            namespace=namespace if isinstance(namespace, str) else None,
        )
        return dataclasses.replace(run, jar=jar)

    def plan(
        self,
        script: str,
        execution_mode: ExecutionMode,
        preamble: Sequence[str] = (),
        *,
        jars: Sequence[str] = (),
    ) -> JarRun:
        """The same run in plan mode (for ``POST /jars/{id}/plan``): validates only,
        after ``preamble`` as ``prepare`` puts it (an error in it points at line 1),
        with ``jars`` (canonical artifact URIs: UDF and connector jars) merged in."""
        statements = [Statement(t, 1, 1, StatementKind.SQL) for t in preamble]
        run = self._run("plan", [*statements, *split_statements(script)], execution_mode)
        if not jars or self._dependencies is None:
            return run
        merged = self._dependencies.merged(run.jar, jars, workspace=None, namespace=None)
        return dataclasses.replace(run, jar=merged)

    def _run(self, action: str, statements: list[Statement], mode: ExecutionMode) -> JarRun:
        args = ["--action", action, "--mode", mode.value.lower()]
        for statement in statements:
            args += ["--statement", _encode(statement)]
        return JarRun(jar=self._runner.path(), entry_class=ENTRY_CLASS, program_args=tuple(args))


_MARKER = re.compile(r"MILLSTREAM-SQL\[statement=(\d+) line=(\d+) column=(\d+)\] ?")
_STACK_FRAME = re.compile(r"\n\s*(?:at |Caused by: |\.\.\. \d+ more)")
_REPEATED_SENTENCE = re.compile(r"([^.]+\. )\1+")
_EXPECTING = "Was expecting one of:"
_MAX_ALTERNATIVES = 8


def sql_error(detail: str) -> InvalidSql | None:
    """The ``InvalidSql`` a failed runner reported in Flink's error text (``detail``), with
    positions mapped to the whole script; None when the runner reported nothing."""
    marker = _MARKER.search(detail)
    if marker is None:
        return None
    rest = detail[marker.end() :]
    frame = _STACK_FRAME.search(rest)
    message = _shorten_expectations(rest[: frame.start()] if frame else rest).strip()
    # Flink nests exceptions that repeat their prefix ("SQL validation failed. SQL ...").
    message = _REPEATED_SENTENCE.sub(r"\1", message)
    message, line, column = map_positions(message, int(marker.group(2)), int(marker.group(3)))
    if line is None:
        # No position in Flink's message: the statement's start is the best we know.
        line, column = int(marker.group(2)), int(marker.group(3))
    return InvalidSql(message, line=line, column=column)


def _shorten_expectations(message: str) -> str:
    # Calcite lists every token it would accept (often 50+ lines): keep a few.
    head, found, tail = message.partition(_EXPECTING)
    if not found:
        return message
    options = [o.strip() for o in tail.strip().splitlines() if o.strip()]
    more = len(options) - _MAX_ALTERNATIVES
    listed = " ".join(options[:_MAX_ALTERNATIVES]) + (f" … ({more} more)" if more > 0 else "")
    return f"{head.rstrip()} {_EXPECTING} {listed}"


def _encode(statement: Statement) -> str:
    fields = [statement.text]
    if statement.kind in (StatementKind.SET, StatementKind.RESET):
        fields.append(statement.key or "")
    if statement.kind is StatementKind.SET:
        fields.append(statement.value or "")
    encoded = ":".join(base64.b64encode(f.encode()).decode("ascii") for f in fields)
    return f"{statement.kind.value}:{statement.line}:{statement.column}:{encoded}"
