"""``JarSubmitter``: JAR deployments (seed 000 ``jarArtifact``) as a ``JarRun``.

``RestFlinkCluster.submit`` calls ``prepare`` for artifacts of kind JAR and does the rest
(upload once per cluster by content-named file, ``jars/run`` with the deterministic job
id, savepoint path, allowNonRestoredState, parallelism and the per-job configuration).
Here: resolve ``jarUri``, ``additionalDependencies`` and the dependency files
(``control.user_files``) (``uris.py``), merge dependencies into a derived jar with each
dependency file as the resource ``userData/<name>`` (``jars.py``), find the entry class,
split ``mainArgs`` like a shell. The cluster adapter also places the files in the
cluster's working directory (``user_data.py``). Anything unusable is an
``InvalidArtifact`` raised before Flink sees a request.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from millstream.control.ports import Submission
from millstream.control.user_files import user_files
from millstream.domain.artifacts import Artifact
from millstream.domain.errors import InvalidArtifact
from millstream.engine.jars import JarCache, find_class, main_class
from millstream.engine.submitters import JarRun
from millstream.engine.uris import ArtifactResolver
from millstream.engine.user_data import USER_DATA, user_file_name

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
        files = self._user_files(submission.artifact, workspace=workspace, namespace=namespace)
        resources = [(f"{USER_DATA}/{name}", path) for name, path in files]
        return JarRun(
            jar=self._jars.merged(main, dependencies, resources),
            entry_class=entry_class,
            program_args=tuple(program_args(submission.artifact.main_args)),
            user_files=tuple(files),
        )

    def check(self, artifact: Artifact, *, workspace: str | None, namespace: str | None) -> None:
        """Everything ``prepare`` checks, without building the derived jar."""
        self._resolve(artifact, workspace=workspace, namespace=namespace)
        self._user_files(artifact, workspace=workspace, namespace=namespace)
        program_args(artifact.main_args)

    def _user_files(
        self, artifact: Artifact, *, workspace: str | None, namespace: str | None
    ) -> list[tuple[str, Path]]:
        """(name, local file) of each dependency file; two with one name are refused."""
        files: dict[str, Path] = {}
        for uri in user_files(artifact):
            name = user_file_name(uri)
            if name in files:
                raise InvalidArtifact(
                    f"two dependency files are named {name!r}: the job reads each as "
                    f"{USER_DATA}/<name>, so their names must differ"
                )
            files[name] = self._resolver.resolve(uri, workspace=workspace, namespace=namespace)
        return list(files.items())

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
