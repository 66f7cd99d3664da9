"""``SavepointImports``: copy a Flink savepoint a user names into a deployment's own
savepoint directory (the ``SavepointImporter`` port; DLI ``import_flink_job_savepoint``).

Restoring makes Flink's JobManager read the savepoint's files, so the location a user
names is checked first, and only two kinds of places are accepted:

- the artifact store, inside the caller's own namespace: ``artifacts://<ws>/<ns>/<dir>``,
  a plain ``<dir>``, or a cloud URI (``obs://bucket/key``) that ``artifacts.scheme_map``
  maps into that namespace (mapped cloud URIs are shared storage for jars, but a
  savepoint is a project's state: one mapped into another namespace is refused);
- the state directory: ``file:///<data_dir>/state/savepoints/<deployment>/...`` of a
  deployment of the caller's namespace (checked by the caller's ``owns_deployment``),
  after resolving links and ``..``.

Anything else (another namespace's files, any other path of this machine, http) is
refused with the same words whether it exists or not. The place must hold a Flink
savepoint: a ``_metadata`` file that starts with Flink's checkpoint metadata magic
number. Its files (symbolic links refused) are then copied into
``<target directory>/imported-<id>``: the copy belongs to the deployment like any
savepoint it took (deleting the savepoint deletes the copy, never the source), a remote
store works like a local one, and a later change of the source cannot change the state a
run restores. Flink savepoints are relocatable (their files are referenced relative to
``_metadata``), so the copy restores like the original. ``FlinkEngine`` holds one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from millstream.domain.errors import InvalidArtifact, InvalidInput
from millstream.engine.flink_user import OsUser, hand_over
from millstream.engine.uris import ArtifactResolver, StoreKey

__all__ = ["METADATA_FILE", "METADATA_MAGIC", "SavepointImports"]

METADATA_FILE = "_metadata"
# Flink's ``Checkpoints.HEADER_MAGIC_NUMBER``: the first 4 bytes of every _metadata file.
METADATA_MAGIC = (0x4960672D).to_bytes(4, "big")
_SAVEPOINTS = "savepoints"


class SavepointImports:
    """Checks and copies savepoints into the state directory; safe to share."""

    def __init__(
        self, resolver: ArtifactResolver, *, state_root: Path, os_user: OsUser | None = None
    ) -> None:
        self._resolver = resolver
        self._state_root = state_root.resolve()
        self._os_user = os_user

    def import_savepoint(
        self,
        location: str,
        *,
        workspace: str,
        namespace: str,
        owns_deployment: Callable[[str], bool],
        target_directory: str,
    ) -> str:
        source = location.strip()
        if not source:
            raise InvalidInput("savepoint_path must not be empty")
        # The SDK documents the directory holding _metadata; its file is accepted too.
        source = source.rstrip("/")
        if source.endswith("/" + METADATA_FILE):
            source = source[: -len(METADATA_FILE) - 1]
        target = _local_directory(target_directory) / f"imported-{uuid.uuid4().hex[:16]}"
        key: StoreKey | None = None
        try:
            if _is_local(source):
                path = self._own_state_path(source, location, namespace, owns_deployment)
            else:
                key = self._resolver.own_store_key(source, workspace=workspace, namespace=namespace)
                if key is None:
                    raise _refused(location, namespace)
        except (InvalidArtifact, ValueError):  # ValueError: a NUL byte, a bad [IPv6] host
            raise _refused(location, namespace) from None
        if key is None:
            self._copy_from_state(path, target)
        else:
            self._copy_from_store(key, location, target)
        os.chmod(target, 0o755)
        if self._os_user is not None:
            hand_over(target, self._os_user)
        return target.as_uri()

    # ------------------------------------------------------------------ the store

    def _copy_from_store(self, key: StoreKey, location: str, target: Path) -> None:
        store = self._resolver.store
        prefix = key.name + "/"
        names = [
            found.name[len(prefix) :]
            for found in store.read_artifacts(workspace=key.workspace, namespace=key.namespace)
            if found.name.startswith(prefix)
        ]
        if METADATA_FILE not in names:
            raise _not_a_savepoint(location, "it has no _metadata file")
        head = next(
            iter(
                store.open_artifact(
                    workspace=key.workspace,
                    namespace=key.namespace,
                    name=prefix + METADATA_FILE,
                    chunk_size=len(METADATA_MAGIC),
                )
            ),
            b"",
        )
        _check_magic(head, location)
        try:
            for name in names:
                file = target / name
                file.parent.mkdir(parents=True, exist_ok=True)
                store.fetch(
                    workspace=key.workspace,
                    namespace=key.namespace,
                    name=prefix + name,
                    target=file,
                )
                os.chmod(file, 0o644)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise

    # ------------------------------------------------------------------ the state directory

    def _own_state_path(
        self,
        source: str,
        location: str,
        namespace: str,
        owns_deployment: Callable[[str], bool],
    ) -> Path:
        parsed = urlparse(source)
        if parsed.netloc not in ("", "localhost") or parsed.query or parsed.fragment:
            raise _refused(location, namespace)
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(self._state_root):
            raise _refused(location, namespace)
        parts = path.relative_to(self._state_root).parts
        # savepoints/<deployment>/<savepoint dir>: never a whole deployment directory.
        if len(parts) < 3 or parts[0] != _SAVEPOINTS or not owns_deployment(parts[1]):
            raise _refused(location, namespace)
        return path

    @staticmethod
    def _copy_from_state(source: Path, target: Path) -> None:
        metadata = source / METADATA_FILE
        if not source.is_dir() or not metadata.is_file() or metadata.is_symlink():
            raise _not_a_savepoint(str(source), "it has no _metadata file")
        with metadata.open("rb") as handle:
            _check_magic(handle.read(len(METADATA_MAGIC)), source.as_uri())
        try:
            for root, dirs, files in os.walk(source):
                here = Path(root)
                for name in [*dirs, *files]:
                    if (here / name).is_symlink():
                        raise InvalidInput(
                            f"savepoint {source.as_uri()!r} contains a symbolic link "
                            f"({name!r}); a savepoint holds plain files only"
                        )
                destination = target / here.relative_to(source)
                destination.mkdir(parents=True, exist_ok=True)
                os.chmod(destination, 0o755)
                for name in files:
                    shutil.copyfile(here / name, destination / name)
                    os.chmod(destination / name, 0o644)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise


def _is_local(source: str) -> bool:
    return source.startswith("/") or urlparse(source).scheme == "file"


def _local_directory(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        raise InvalidInput(f"cannot import a savepoint into {uri!r}: not a local directory")
    return Path(unquote(parsed.path))


def _check_magic(head: bytes, location: str) -> None:
    if head[: len(METADATA_MAGIC)] != METADATA_MAGIC:
        raise _not_a_savepoint(location, "its _metadata file is not Flink savepoint metadata")


def _not_a_savepoint(location: str, why: str) -> InvalidInput:
    return InvalidInput(
        f"{location!r} is not a Flink savepoint: {why} (give the directory that holds the "
        "savepoint's _metadata file and its state files)"
    )


def _refused(location: str, namespace: str) -> InvalidInput:
    # One message whether the place exists or not: nothing leaks about other projects.
    return InvalidInput(
        f"savepoint_path {location!r} is not a place this project's savepoints may come "
        f"from: use a directory of this project's artifact store (namespace {namespace!r}: "
        "obs://bucket/dir as artifacts.scheme_map maps it, or "
        "artifacts://<workspace>/<namespace>/<dir>) or a savepoint under the savepoint "
        "directory of one of this project's jobs"
    )
