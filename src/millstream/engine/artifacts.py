"""The artifact store: uploaded jars, Python files and archives, one directory per
(workspace, namespace), behind fsspec (a local directory by default, any fsspec URL).

``ArtifactService`` calls it for upload, list, download and delete; ``ArtifactResolver``
(``uris.py``) turns store URIs into local files for the submitters. Layout::

    <root>/<workspace>/<namespace>/<name>     published artifacts (name: a safe relative key)
    <root>/.uploads/<random>.part             uploads in progress (renamed when complete)

Names are checked by ``validate_name`` before any path is built, so nothing outside a
namespace's directory can be named; uploads are streamed to a temporary file and renamed,
so a file is either complete or absent.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec

from millstream.control.artifact_ports import StoredArtifact
from millstream.domain.errors import ErrorCode, InvalidArtifact, NotFound, PayloadTooLarge

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "FsspecArtifactStore",
    "load_signing_key",
    "validate_name",
    "validate_scope_segment",
]

DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024
_MAX_NAME_CHARS = 1024
_MAX_SEGMENT_CHARS = 255
_MAX_DEPTH = 8
# One path segment: starts with a word character (so never "." or ".." or a hidden file
# that could collide with ".uploads"), then word characters and a few safe punctuation
# marks. Unicode letters are fine; separators, quotes, "%", "," and "#" (Flink splits
# -pyfs lists on "," and -pyarch names on "#") and control characters are not.
_SEGMENT = re.compile(r"\w[\w.+=~@()\[\] -]*", re.UNICODE)
_SCOPE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_UPLOADS = ".uploads"


def validate_name(name: str) -> str:
    """Return ``name`` if it is a safe relative key (``a.jar``, ``libs/b.jar``), else
    raise ``InvalidArtifact`` saying what is wrong with it."""
    if not name:
        raise InvalidArtifact("an artifact name must not be empty")
    if len(name) > _MAX_NAME_CHARS:
        raise InvalidArtifact(f"artifact name is longer than {_MAX_NAME_CHARS} characters")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name):
        raise InvalidArtifact(f"artifact name {name!r} contains control characters")
    if name.startswith("/") or "\\" in name or re.match(r"[A-Za-z]:", name):
        raise InvalidArtifact(f"artifact name {name!r} must be relative (no leading '/')")
    segments = name.split("/")
    if len(segments) > _MAX_DEPTH:
        raise InvalidArtifact(f"artifact name {name!r} is nested deeper than {_MAX_DEPTH}")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidArtifact(f"artifact name {name!r} has an empty, '.' or '..' path segment")
        if len(segment) > _MAX_SEGMENT_CHARS or not _SEGMENT.fullmatch(segment):
            raise InvalidArtifact(
                f"artifact name {name!r}: each part must start with a letter, digit or '_' "
                "and use only letters, digits, spaces and . _ - + = ~ @ ( ) [ ]"
            )
        if segment.endswith(" "):
            raise InvalidArtifact(f"artifact name {name!r} has a part ending in a space")
    return name


def validate_scope_segment(value: str, what: str) -> str:
    """Workspace and namespace names become directories: the store accepts plain ones."""
    if not _SCOPE_SEGMENT.fullmatch(value):
        raise InvalidArtifact(f"{what} {value!r} cannot name an artifact directory")
    return value


def load_signing_key(path: Path) -> bytes:
    """The key that signs pre-signed upload URLs: read from ``path``, or created there
    (owner-only) on first use so URLs stay valid across restarts."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    partial = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    try:
        # Another process may have won the race: keep its key, drop ours.
        os.link(partial, path)
    except FileExistsError:
        key = bytes.fromhex(path.read_text().strip())
    finally:
        partial.unlink(missing_ok=True)
    return key


class _Upload:
    """One upload into a temporary file of the store's file system."""

    def __init__(
        self,
        fs: Any,
        *,
        temp_path: str,
        final_path: str,
        limit: int,
        describe: StoredArtifact,
    ) -> None:
        self._fs = fs
        self._temp = temp_path
        self._final = final_path
        self._limit = limit
        self._describe = describe
        self._written = 0
        self._handle: Any = fs.open(temp_path, "wb")
        self._done = False

    def write(self, chunk: bytes) -> None:
        if self._done:
            raise InvalidArtifact("the upload is already finished")
        self._written += len(chunk)
        if self._written > self._limit:
            self.abort()
            raise PayloadTooLarge(
                f"artifact {self._describe.name!r} is larger than the upload limit of "
                f"{self._limit} bytes"
            )
        self._handle.write(chunk)

    def commit(self) -> StoredArtifact:
        if self._done:
            raise InvalidArtifact("the upload is already finished")
        self._done = True
        try:
            self._handle.close()
            self._fs.makedirs(posixpath.dirname(self._final), exist_ok=True)
            # A rename on a local disk: readers see the old file or the new, never half.
            self._fs.mv(self._temp, self._final)
        except BaseException:
            self._remove_temp()
            raise
        info = self._describe
        return StoredArtifact(
            workspace=info.workspace,
            namespace=info.namespace,
            name=info.name,
            size=self._written,
            modified_at=datetime.now(UTC),
        )

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self._handle.close()
        finally:
            self._remove_temp()

    def _remove_temp(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._fs.rm_file(self._temp)


class FsspecArtifactStore:
    """The ``ArtifactStore`` port over one fsspec root (``file``, ``s3``, ``memory``…)."""

    def __init__(self, root_url: str, *, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> None:
        self._fs, root = fsspec.core.url_to_fs(root_url)
        self._root = str(root).rstrip("/")
        self._max_upload_bytes = max_upload_bytes
        self.root_url = root_url
        self._fs.makedirs(self._root, exist_ok=True)

    @property
    def max_upload_bytes(self) -> int:
        return self._max_upload_bytes

    @property
    def local_root(self) -> Path | None:
        """The root as a local directory (Flink can read files there), or None for a
        remote file system (the resolver then copies files into a local cache)."""
        if "file" in _protocols(self._fs):
            return Path(self._root).resolve()
        return None

    def local_path(self, *, workspace: str, namespace: str, name: str) -> Path | None:
        """Where the artifact lives on local disk, when the store is local."""
        root = self.local_root
        if root is None:
            return None
        return root / self._relative(workspace, namespace, name)

    def begin_upload(self, *, workspace: str, namespace: str, name: str) -> _Upload:
        final = self._path(workspace, namespace, name)
        temp_dir = f"{self._root}/{_UPLOADS}"
        self._fs.makedirs(temp_dir, exist_ok=True)
        return _Upload(
            self._fs,
            temp_path=f"{temp_dir}/{uuid.uuid4().hex}.part",
            final_path=final,
            limit=self._max_upload_bytes,
            describe=StoredArtifact(workspace, namespace, name, 0, None),
        )

    def read_artifacts(self, *, workspace: str, namespace: str) -> list[StoredArtifact]:
        base = f"{self._root}/{self._relative(workspace, namespace)}"
        try:
            found: dict[str, dict[str, Any]] = self._fs.find(base, detail=True)
        except FileNotFoundError:
            return []
        artifacts = []
        for path, info in sorted(found.items()):
            name = str(path)[len(base) :].lstrip("/")
            if info.get("type") == "directory" or not name:
                continue
            artifacts.append(self._stored(workspace, namespace, name, info))
        return artifacts

    def read_artifact(self, *, workspace: str, namespace: str, name: str) -> StoredArtifact:
        path = self._path(workspace, namespace, name)
        try:
            info: dict[str, Any] = self._fs.info(path)
        except FileNotFoundError:
            info = {}
        if info.get("type") != "file":
            raise NotFound(
                f"artifact {name!r} not found in namespace {namespace!r}",
                code=ErrorCode.ARTIFACT_NOT_FOUND,
            )
        return self._stored(workspace, namespace, name, info)

    def open_artifact(
        self, *, workspace: str, namespace: str, name: str, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        self.read_artifact(workspace=workspace, namespace=namespace, name=name)
        return self._chunks(self._path(workspace, namespace, name), chunk_size)

    def delete_artifact(self, *, workspace: str, namespace: str, name: str) -> None:
        self.read_artifact(workspace=workspace, namespace=namespace, name=name)
        self._fs.rm_file(self._path(workspace, namespace, name))

    def fetch(self, *, workspace: str, namespace: str, name: str, target: Path) -> None:
        """Copy an artifact to a local file (for a remote store)."""
        self.read_artifact(workspace=workspace, namespace=namespace, name=name)
        self._fs.get_file(self._path(workspace, namespace, name), str(target))

    # ------------------------------------------------------------------ helpers

    def _chunks(self, path: str, chunk_size: int) -> Iterator[bytes]:
        with self._fs.open(path, "rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def _relative(self, workspace: str, namespace: str, name: str | None = None) -> str:
        parts = [
            validate_scope_segment(workspace, "workspace"),
            validate_scope_segment(namespace, "namespace"),
        ]
        if name is not None:
            parts.append(validate_name(name))
        return "/".join(parts)

    def _path(self, workspace: str, namespace: str, name: str) -> str:
        return f"{self._root}/{self._relative(workspace, namespace, name)}"

    @staticmethod
    def _stored(workspace: str, namespace: str, name: str, info: dict[str, Any]) -> StoredArtifact:
        return StoredArtifact(
            workspace=workspace,
            namespace=namespace,
            name=name,
            size=int(info.get("size") or 0),
            modified_at=_modified(info),
        )


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return tuple(protocol) if isinstance(protocol, tuple | list) else (str(protocol),)


def _modified(info: dict[str, Any]) -> datetime | None:
    # Local files report "mtime" (epoch seconds), object stores "LastModified"/"created".
    value = info.get("mtime", info.get("LastModified", info.get("created")))
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None
