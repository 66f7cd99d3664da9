"""``EngineArtifactChecker``: the ``ArtifactChecker`` port, run by the deployment and
artifact services when a deployment is created or updated.

It resolves every URI the artifact names exactly as the submitters will at start time
(store files must exist, ``file://`` must be allowed, ``http(s)://`` is downloaded into
the cache), finds a JAR's entry class and compiles a Python program, so a deployment
that could never run is rejected with a clear message instead of failing later.
"""

from __future__ import annotations

from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.engine.jar_submitter import JarSubmitter
from millstream.engine.python_submitter import PythonSubmitter
from millstream.engine.uris import ArtifactResolver

__all__ = ["EngineArtifactChecker"]


class EngineArtifactChecker:
    def __init__(
        self, resolver: ArtifactResolver, jar: JarSubmitter, python: PythonSubmitter
    ) -> None:
        self._resolver = resolver
        self._jar = jar
        self._python = python

    def check_artifact(self, artifact: Artifact, *, workspace: str, namespace: str) -> None:
        if artifact.kind is ArtifactKind.JAR:
            self._jar.check(artifact, workspace=workspace, namespace=namespace)
        elif artifact.kind is ArtifactKind.PYTHON:
            self._python.check(artifact, workspace=workspace, namespace=namespace)
        else:
            # SQL scripts can name dependency jars too; they must at least exist.
            for uri in artifact.additional_dependencies:
                self._resolver.resolve(uri, workspace=workspace, namespace=namespace)
