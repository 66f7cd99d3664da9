"""``JarSubmitter``: JAR deployments (seed 000 ``jarArtifact``) as a ``JarRun``.

``RestFlinkCluster.submit`` calls ``prepare`` for artifacts of kind JAR and does the rest
(upload once per cluster by content-named file, ``jars/run`` with the deterministic job
id, savepoint path, allowNonRestoredState, parallelism and the per-job configuration).
Here: resolve ``jarUri`` and ``additionalDependencies`` (``uris.py``), merge dependencies
into a derived jar (``jars.py``), find the entry class, split ``mainArgs`` like a shell.
Anything unusable is an ``InvalidArtifact`` raised before Flink sees a request.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from millstream.control.ports import Submission
from millstream.domain.artifacts import Artifact
from millstream.domain.errors import InvalidArtifact
from millstream.engine.jars import JarCache, find_class, main_class
from millstream.engine.submitters import JarRun
from millstream.engine.uris import ArtifactResolver

__all__ = ["JarSubmitter", "program_args", "submission_scope"]


def program_args(main_args: str | None) -> list[str]:
    """``mainArgs`` split like a POSIX shell (quotes group, backslashes escape)."""
    if not main_args or not main_args.strip():
        return []
    try:
        return shlex.split(main_args)
    except ValueError as exc:
        raise InvalidArtifact(f"mainArgs cannot be split into arguments: {exc}") from exc


def submission_scope(submission: Submission) -> tuple[str | None, str | None]:
    """(workspace, namespace) the submission's plain artifact names are relative to."""
    workspace = submission.extra.get("workspace")
    namespace = submission.extra.get("namespace")
    return (
        workspace if isinstance(workspace, str) else None,
        namespace if isinstance(namespace, str) else None,
    )


class JarSubmitter:
    """JAR artifacts: the user's jar (with its dependencies merged in) and entry class."""

    def __init__(self, resolver: ArtifactResolver, jars: JarCache) -> None:
        self._resolver = resolver
        self._jars = jars

    def prepare(self, submission: Submission) -> JarRun:
        workspace, namespace = submission_scope(submission)
        main, dependencies, entry_class = self._resolve(
            submission.artifact, workspace=workspace, namespace=namespace
        )
        return JarRun(
            jar=self._jars.merged(main, dependencies),
            entry_class=entry_class,
            program_args=tuple(program_args(submission.artifact.main_args)),
        )

    def check(self, artifact: Artifact, *, workspace: str | None, namespace: str | None) -> None:
        """Everything ``prepare`` checks, without building the derived jar."""
        self._resolve(artifact, workspace=workspace, namespace=namespace)
        program_args(artifact.main_args)

    def _resolve(
        self, artifact: Artifact, *, workspace: str | None, namespace: str | None
    ) -> tuple[Path, list[Path], str]:
        if not (artifact.jar_uri or "").strip():
            raise InvalidArtifact("a JAR artifact needs jarUri")
        main = self._resolver.resolve(
            artifact.jar_uri or "", workspace=workspace, namespace=namespace
        )
        dependencies = [
            self._resolver.resolve(uri, workspace=workspace, namespace=namespace)
            for uri in artifact.additional_dependencies
        ]
        return main, dependencies, _entry_class(artifact, main, dependencies)


def _entry_class(artifact: Artifact, main: Path, dependencies: Sequence[Path]) -> str:
    entry = (artifact.entry_class or "").strip() or main_class(main)
    if not entry:
        raise InvalidArtifact(
            f"jar {main.name!r} names no Main-Class in its manifest: set entryClass"
        )
    if not find_class(entry, [main, *dependencies]):
        # Flink would answer with a ClassNotFoundException from main(); saying so here,
        # before any upload, gives the same words sooner.
        raise InvalidArtifact(
            f"entry class {entry!r} not found in {main.name!r} or its dependencies "
            f"(java.lang.ClassNotFoundException: {entry})"
        )
    return entry
