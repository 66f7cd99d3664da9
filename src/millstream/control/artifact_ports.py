"""Ports of the artifact use cases: where uploaded files live (``ArtifactStore``) and how
the URIs a deployment names are checked before anything reaches Flink
(``ArtifactChecker``).

``engine.artifacts.FsspecArtifactStore`` and ``engine.uris.ArtifactResolver`` implement
them; ``control.services.artifacts.ArtifactService`` is the caller. Separate from
``ports.py`` so the artifact feature can be wired (and faked) on its own.

Artifact URIs (what deployments reference, what uploads return):

    artifacts://<workspace>/<namespace>/<name>   a file in the store (canonical form)
    <name>                                       the same, in the deployment's namespace
    file:///abs/path                             inside the store or an allow-listed dir
    http(s)://host/path                          downloaded with size and time limits
    oss://bucket/key, obs://bucket/key, ...      mapped onto the store by configuration
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from millstream.domain.artifacts import Artifact

__all__ = [
    "ARTIFACT_SCHEME",
    "ArtifactChecker",
    "ArtifactStore",
    "ArtifactUpload",
    "StoredArtifact",
    "artifact_uri",
]

ARTIFACT_SCHEME = "artifacts"


def artifact_uri(workspace: str, namespace: str, name: str) -> str:
    """The canonical URI of a stored artifact (names are validated, so no quoting)."""
    return f"{ARTIFACT_SCHEME}://{workspace}/{namespace}/{name}"


@dataclass(frozen=True, slots=True)
class StoredArtifact:
    """One file in the store, as listed."""

    workspace: str
    namespace: str
    name: str
    size: int
    modified_at: datetime | None

    @property
    def uri(self) -> str:
        return artifact_uri(self.workspace, self.namespace, self.name)


class ArtifactUpload(Protocol):
    """An upload in progress: chunks go to a temporary file; ``commit`` publishes it
    under its name atomically, ``abort`` (or any failed ``write``) leaves nothing."""

    def write(self, chunk: bytes) -> None:
        """Append; raise ``PayloadTooLarge`` (after aborting) past the size limit."""
        ...

    def commit(self) -> StoredArtifact: ...
    def abort(self) -> None: ...


class ArtifactStore(Protocol):
    """Files per (workspace, namespace). Names are relative keys; a name that could
    escape its namespace directory raises ``InvalidArtifact``."""

    @property
    def max_upload_bytes(self) -> int: ...

    def begin_upload(self, *, workspace: str, namespace: str, name: str) -> ArtifactUpload: ...
    def read_artifacts(self, *, workspace: str, namespace: str) -> list[StoredArtifact]: ...
    def read_artifact(self, *, workspace: str, namespace: str, name: str) -> StoredArtifact:
        """Raise ``NotFound`` when there is no such file."""
        ...

    def open_artifact(
        self, *, workspace: str, namespace: str, name: str, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        """The content in chunks (``NotFound`` is raised before the first chunk)."""
        ...

    def delete_artifact(self, *, workspace: str, namespace: str, name: str) -> None:
        """Raise ``NotFound`` when there is no such file."""
        ...


class ArtifactChecker(Protocol):
    """Resolves an artifact's URIs the way a submission will, without running it."""

    def check_artifact(self, artifact: Artifact, *, workspace: str, namespace: str) -> None:
        """Raise ``InvalidArtifact`` saying which URI or file cannot be used."""
        ...
