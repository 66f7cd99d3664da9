"""Artifact use cases: upload, list, download and delete files per namespace; pre-signed
upload URLs (``GetPreSignedUrlForPutObject``); the create-time check of a deployment's
artifact URIs.

The native dialect's artifact routes call it; ``DeploymentService`` may call
``check_artifact`` so a deployment naming a missing jar is refused when it is created.
Files live behind the ``ArtifactStore`` port; URIs are checked through ``ArtifactChecker``.

Pre-signed URLs are HMAC-SHA256 over ``PUT``, the workspace, namespace, name and expiry
time with a server-side key: whoever holds the URL may upload that one file until it
expires, without other credentials; any change to the URL voids the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from millstream.control.artifact_ports import (
    ArtifactChecker,
    ArtifactStore,
    ArtifactUpload,
    StoredArtifact,
    artifact_uri,
)
from millstream.control.context import Actor, Scope
from millstream.control.ports import Store
from millstream.control.services.common import require_namespace
from millstream.domain.artifacts import Artifact
from millstream.domain.errors import ErrorCode, InvalidInput, PermissionDenied

__all__ = ["PRESIGNED_UPLOAD_PREFIX", "ArtifactService", "PresignedUpload"]

PRESIGNED_UPLOAD_PREFIX = "/artifacts/v2/upload"
DEFAULT_PRESIGN_TTL = 15 * 60.0


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """A URL path (+ query) that accepts one ``PUT`` of one file until ``expires_at``."""

    path: str  # e.g. /artifacts/v2/upload/<ws>/<ns>/<name>?expires=...&signature=...
    expires_at: int  # epoch seconds
    uri: str  # what deployments reference once the file is uploaded


class ArtifactService:
    def __init__(
        self,
        store: Store,
        artifacts: ArtifactStore,
        *,
        checker: ArtifactChecker | None = None,
        signing_key: bytes,
        presign_ttl: float = DEFAULT_PRESIGN_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(signing_key) < 16:
            raise ValueError("the pre-signed URL key must have at least 16 bytes")
        self._store = store
        self._artifacts = artifacts
        self._checker = checker
        self._key = signing_key
        self._ttl = presign_ttl
        self._clock = clock

    @property
    def max_upload_bytes(self) -> int:
        return self._artifacts.max_upload_bytes

    def begin_upload(self, scope: Scope, actor: Actor, name: str) -> ArtifactUpload:  # noqa: ARG002 - actor: audit hook
        """An upload of ``name`` into the namespace; the caller writes, then commits."""
        self._require_namespace(scope)
        return self._artifacts.begin_upload(
            workspace=scope.workspace, namespace=scope.namespace, name=name
        )

    def list(self, scope: Scope) -> list[StoredArtifact]:
        self._require_namespace(scope)
        return self._artifacts.read_artifacts(workspace=scope.workspace, namespace=scope.namespace)

    def get(self, scope: Scope, name: str) -> StoredArtifact:
        self._require_namespace(scope)
        return self._artifacts.read_artifact(
            workspace=scope.workspace, namespace=scope.namespace, name=name
        )

    def download(self, scope: Scope, name: str) -> tuple[StoredArtifact, Iterator[bytes]]:
        found = self.get(scope, name)
        chunks = self._artifacts.open_artifact(
            workspace=scope.workspace, namespace=scope.namespace, name=name
        )
        return found, chunks

    def delete(self, scope: Scope, actor: Actor, name: str) -> None:  # noqa: ARG002
        self._require_namespace(scope)
        self._artifacts.delete_artifact(
            workspace=scope.workspace, namespace=scope.namespace, name=name
        )

    # ------------------------------------------------------------------ pre-signed URLs

    def presign_upload(self, scope: Scope, name: str) -> PresignedUpload:
        """A time-limited URL for one plain ``PUT`` of ``name`` (no other credentials)."""
        if not name:
            raise InvalidInput("an artifact upload needs a file name")
        self._require_namespace(scope)
        # Validates the name now, so a bad one is refused here and not at upload time.
        self._artifacts.begin_upload(
            workspace=scope.workspace, namespace=scope.namespace, name=name
        ).abort()
        expires = int(self._clock() + self._ttl)
        query = urlencode({"expires": expires, "signature": self._sign(scope, name, expires)})
        path = "/".join(
            [PRESIGNED_UPLOAD_PREFIX, quote(scope.workspace), quote(scope.namespace), quote(name)]
        )
        return PresignedUpload(
            path=f"{path}?{query}",
            expires_at=expires,
            uri=artifact_uri(scope.workspace, scope.namespace, name),
        )

    def begin_presigned_upload(
        self, scope: Scope, name: str, *, expires: str, signature: str
    ) -> ArtifactUpload:
        """Check a pre-signed URL's expiry and signature, then start its upload."""
        if not expires.isdigit() or not signature:
            raise PermissionDenied(
                "the pre-signed URL is incomplete", code=ErrorCode.PRESIGNED_URL_INVALID
            )
        expected = self._sign(scope, name, int(expires))
        # Compare before looking at the time, so a forged URL never learns it was late.
        if not hmac.compare_digest(expected, signature):
            raise PermissionDenied(
                "the pre-signed URL's signature does not match",
                code=ErrorCode.PRESIGNED_URL_INVALID,
            )
        if int(expires) < self._clock():
            raise PermissionDenied(
                "the pre-signed URL has expired; ask for a new one",
                code=ErrorCode.PRESIGNED_URL_EXPIRED,
            )
        self._require_namespace(scope)
        return self._artifacts.begin_upload(
            workspace=scope.workspace, namespace=scope.namespace, name=name
        )

    # ------------------------------------------------------------------ checks

    def check_artifact(self, scope: Scope, artifact: Artifact) -> None:
        """Raise ``InvalidArtifact`` when a URI of ``artifact`` cannot be used (missing
        file, URI outside the allowed places, bad entry class, Python syntax error)."""
        if self._checker is not None:
            self._checker.check_artifact(
                artifact, workspace=scope.workspace, namespace=scope.namespace
            )

    def _sign(self, scope: Scope, name: str, expires: int) -> str:
        message = "\n".join(["PUT", scope.workspace, scope.namespace, name, str(expires)])
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def _require_namespace(self, scope: Scope) -> None:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
