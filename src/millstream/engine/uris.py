"""URI resolution: the URIs a deployment names become local files Flink can use.

The JAR and Python submitters call ``ArtifactResolver.resolve`` at submission time (and
the artifact checks at create/update time), so a URI that cannot be used is an
``InvalidArtifact`` before anything reaches Flink. Accepted forms (see
``control/artifact_ports.py``):

- ``artifacts://<workspace>/<namespace>/<name>`` and plain ``<name>`` (the deployment's
  namespace): files in the artifact store;
- cloud URIs (``oss://bucket/key``, ``obs://bucket/key``, ``https://oss/bucket/key`` as in
  the seeds, ``s3://…``): mapped onto the store by ``scheme_map`` prefixes, longest first;
- ``file:///abs/path``: only inside the store or an allow-listed directory, so a
  deployment cannot make the JobManager read arbitrary files of this machine;
- ``http(s)://``: downloaded with a size and a time limit into a content-addressed cache
  (``<cache>/sha256/<hex>/<file name>``), found again by URL without downloading twice;
  only from public hosts (or ``artifacts.allowed_hosts``), never from a Flink REST
  endpoint Millstream manages, with redirects checked hop by hop (``engine.downloads``).

A namespace reads only its own artifacts: an ``artifacts://`` URI (or a ``file://`` path
inside the store) naming another namespace is refused with the same words whether the
file exists or not, so nothing can be learnt about other namespaces' files. Cloud URIs
mapped by ``scheme_map`` are the operator's shared storage and stay usable everywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import httpx

from millstream.control.artifact_ports import ARTIFACT_SCHEME
from millstream.domain.errors import ErrorCode, InvalidArtifact, NotFound
from millstream.engine.artifacts import FsspecArtifactStore, validate_name
from millstream.engine.downloads import Downloader, HostPolicy, resolve_host

__all__ = [
    "DEFAULT_DOWNLOAD_MAX_BYTES",
    "DEFAULT_DOWNLOAD_TIMEOUT",
    "ArtifactResolver",
    "StoreKey",
    "map_uri",
]

DEFAULT_DOWNLOAD_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_DOWNLOAD_TIMEOUT = 120.0
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SAFE_FILE_NAME = re.compile(r"[^\w.+=,~@-]")


class StoreKey:
    """A file in the artifact store: (workspace, namespace, name)."""

    __slots__ = ("name", "namespace", "workspace")

    def __init__(self, workspace: str, namespace: str, name: str) -> None:
        self.workspace = workspace
        self.namespace = namespace
        self.name = validate_name(name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoreKey) and (
            (self.workspace, self.namespace, self.name)
            == (other.workspace, other.namespace, other.name)
        )

    def __hash__(self) -> int:
        return hash((self.workspace, self.namespace, self.name))

    def __repr__(self) -> str:
        return f"StoreKey({self.workspace!r}, {self.namespace!r}, {self.name!r})"


def map_uri(
    uri: str,
    *,
    scheme_map: Mapping[str, str],
    workspace: str | None = None,
    namespace: str | None = None,
) -> StoreKey | None:
    """The store key a URI names (store URI, plain name or a mapped cloud URI), or None
    when the URI is something else (``file://``, unmapped ``http(s)://``)."""
    uri = uri.strip()
    for prefix, target in sorted(scheme_map.items(), key=lambda item: -len(item[0])):
        base = prefix.rstrip("/")
        if uri.startswith(base + "/"):
            return _mapped(uri[len(base) + 1 :], target, uri)
    scheme = _SCHEME.match(uri)
    if scheme is None:
        if ":" in uri.split("/", 1)[0]:
            raise InvalidArtifact(f"artifact URI {uri!r} is not a URI Millstream understands")
        if workspace is None or namespace is None:
            raise InvalidArtifact(
                f"artifact {uri!r} is a plain name; use artifacts://<workspace>/<namespace>/"
                f"{uri} where no namespace is known"
            )
        return StoreKey(workspace, namespace, unquote(uri))
    if scheme.group(1).lower() == ARTIFACT_SCHEME:
        parts = urlsplit(uri)
        path = unquote(parts.path).lstrip("/")
        namespace_part, _, name = path.partition("/")
        if not parts.netloc or not namespace_part or not name or parts.query or parts.fragment:
            raise InvalidArtifact(
                f"artifact URI {uri!r} must look like {ARTIFACT_SCHEME}://<workspace>/"
                "<namespace>/<name>"
            )
        return StoreKey(parts.netloc, namespace_part, name)
    return None


def _mapped(rest: str, target: str, uri: str) -> StoreKey:
    parts = [p for p in target.strip("/").split("/") if p]
    if len(parts) < 2:
        raise InvalidArtifact(
            f"artifacts.scheme_map target {target!r} must be <workspace>/<namespace>[/<dir>]"
        )
    rest = unquote(rest.split("?", 1)[0].split("#", 1)[0])
    if not rest:
        raise InvalidArtifact(f"artifact URI {uri!r} names a directory, not a file")
    return StoreKey(parts[0], parts[1], "/".join([*parts[2:], rest]))


class ArtifactResolver:
    """Turns artifact URIs into local paths; safe to share between threads."""

    def __init__(
        self,
        store: FsspecArtifactStore,
        *,
        cache_dir: Path,
        scheme_map: Mapping[str, str] | None = None,
        allowed_dirs: Sequence[Path] = (),
        download_max_bytes: int = DEFAULT_DOWNLOAD_MAX_BYTES,
        download_timeout: float = DEFAULT_DOWNLOAD_TIMEOUT,
        allow_downloads: bool = True,
        allowed_hosts: Iterable[str] = (),
        flink_endpoints: Callable[[], Iterable[str]] = lambda: (),
        resolve: Callable[[str, int], list[str]] = resolve_host,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._store = store
        self._cache = cache_dir
        self._scheme_map = dict(scheme_map or {})
        self._allowed = [d.resolve() for d in allowed_dirs]
        self._max_bytes = download_max_bytes
        self._timeout = download_timeout
        self._allow_downloads = allow_downloads
        self._downloader = Downloader(
            HostPolicy(
                allowed_hosts=frozenset(allowed_hosts),
                flink_endpoints=flink_endpoints,
                resolve=resolve,
            ),
            timeout=download_timeout,
            transport=transport,
        )
        self._lock = threading.Lock()

    @property
    def store(self) -> FsspecArtifactStore:
        return self._store

    def resolve(
        self, uri: str, *, workspace: str | None = None, namespace: str | None = None
    ) -> Path:
        """A local file with the URI's content; ``InvalidArtifact`` saying why not."""
        uri = (uri or "").strip()
        if not uri:
            raise InvalidArtifact("an artifact URI must not be empty")
        key = map_uri(uri, scheme_map=self._scheme_map, workspace=workspace, namespace=namespace)
        if key is not None:
            if not self._is_mapped(uri):
                _require_own(key, uri, workspace=workspace, namespace=namespace)
            return self._from_store(key, uri)
        scheme = uri.split("://", 1)[0].lower()
        if scheme == "file":
            return self._local_file(uri, workspace=workspace, namespace=namespace)
        if scheme in ("http", "https"):
            return self._download(uri)
        mapped = ", ".join(sorted(self._scheme_map)) or "none"
        raise InvalidArtifact(
            f"cannot use artifact URI {uri!r}: scheme {scheme}:// is not mapped onto the "
            f"artifact store (artifacts.scheme_map has: {mapped}); upload the file and use "
            "the URI the upload returned"
        )

    def own_store_key(self, uri: str, *, workspace: str, namespace: str) -> StoreKey | None:
        """The store key ``uri`` names (store URI, plain name or mapped cloud URI), which
        must lie in ``workspace``/``namespace`` even for a mapped cloud URI; None when
        ``uri`` is no store URI (``file://``, ``http(s)://``, an unmapped scheme)."""
        key = map_uri(
            uri.strip(), scheme_map=self._scheme_map, workspace=workspace, namespace=namespace
        )
        if key is not None:
            _require_own(key, uri, workspace=workspace, namespace=namespace)
        return key

    # ------------------------------------------------------------------ store

    def _from_store(self, key: StoreKey, uri: str) -> Path:
        try:
            self._store.read_artifact(
                workspace=key.workspace, namespace=key.namespace, name=key.name
            )
        except NotFound:
            raise InvalidArtifact(
                f"artifact {uri!r} not found: no file {key.name!r} in namespace "
                f"{key.namespace!r} of workspace {key.workspace!r}; upload it first",
                code=ErrorCode.ARTIFACT_NOT_FOUND,
            ) from None
        local = self._store.local_path(
            workspace=key.workspace, namespace=key.namespace, name=key.name
        )
        if local is not None:
            return local
        # A remote store: Flink needs a local file, so copy it next to the downloads.
        target = self._cache / "store" / key.workspace / key.namespace / key.name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        self._store.fetch(
            workspace=key.workspace, namespace=key.namespace, name=key.name, target=partial
        )
        os.replace(partial, target)
        return target

    # ------------------------------------------------------------------ file://

    def _is_mapped(self, uri: str) -> bool:
        return any(uri.startswith(prefix.rstrip("/") + "/") for prefix in self._scheme_map)

    def _local_file(
        self, uri: str, *, workspace: str | None = None, namespace: str | None = None
    ) -> Path:
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            raise InvalidArtifact(f"artifact URI {uri!r} names another host; use file:///path")
        raw = Path(unquote(parts.path))
        if not raw.is_absolute():
            raise InvalidArtifact(f"artifact URI {uri!r} must be an absolute file:/// path")
        # Resolve symlinks and "..", then check: a link out of an allowed dir is refused.
        path = raw.resolve()
        store_root = self._store.local_root
        if store_root is not None and path.is_relative_to(store_root):
            # Inside the store only the namespace's own directory, checked before
            # existence so another namespace's files answer the same either way.
            own = store_root / workspace / namespace if workspace and namespace else None
            if own is None or not path.is_relative_to(own.resolve()):
                raise _not_own(uri, workspace=workspace, namespace=namespace)
        elif not any(path.is_relative_to(root) for root in self._allowed):
            raise InvalidArtifact(
                f"artifact URI {uri!r} is outside the directories Millstream may read "
                "(the artifact store and artifacts.allowed_dirs)"
            )
        if not path.is_file():
            raise InvalidArtifact(
                f"artifact file {uri!r} does not exist", code=ErrorCode.ARTIFACT_NOT_FOUND
            )
        if not os.access(path, os.R_OK):
            raise InvalidArtifact(f"artifact file {uri!r} is not readable")
        return path

    # ------------------------------------------------------------------ http(s)://

    def _download(self, uri: str) -> Path:
        if not self._allow_downloads:
            raise InvalidArtifact(
                f"artifact URI {uri!r}: downloads are disabled (artifacts.allow_downloads)"
            )
        index = self._cache / "urls" / hashlib.sha256(uri.encode()).hexdigest()
        with self._lock:
            if index.is_file():
                cached = Path(index.read_text().strip())
                if cached.is_file():
                    return cached
            digest, partial = self._fetch(uri)
            os.chmod(partial, 0o644)  # the Flink OS user reads Python programs from here
            target = self._cache / "sha256" / digest / _file_name(uri)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, target)
            index.parent.mkdir(parents=True, exist_ok=True)
            index.write_text(str(target))
            return target

    def _fetch(self, uri: str) -> tuple[str, Path]:
        self._cache.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self._timeout
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self._cache, prefix=".download-")
        partial = Path(name)
        try:
            with os.fdopen(fd, "wb") as out, self._downloader.stream(uri) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._max_bytes:
                    raise InvalidArtifact(self._too_large(uri))
                for chunk in response.iter_bytes(1 << 16):
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise InvalidArtifact(self._too_large(uri))
                    if time.monotonic() > deadline:
                        raise InvalidArtifact(
                            f"downloading artifact {uri!r} took longer than {self._timeout} s"
                        )
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return digest.hexdigest(), partial

    def _too_large(self, uri: str) -> str:
        return (
            f"artifact {uri!r} is larger than the download limit of {self._max_bytes} bytes "
            "(artifacts.download_max_bytes)"
        )


def _require_own(key: StoreKey, uri: str, *, workspace: str | None, namespace: str | None) -> None:
    """Refuse a store key outside the caller's namespace (when the caller has one)."""
    if workspace is None or namespace is None:
        return
    if (key.workspace, key.namespace) != (workspace, namespace):
        raise _not_own(uri, workspace=workspace, namespace=namespace)


def _not_own(uri: str, *, workspace: str | None, namespace: str | None) -> InvalidArtifact:
    # One message whether the file exists or not: nothing leaks about other namespaces.
    return InvalidArtifact(
        f"artifact URI {uri!r} names a file outside namespace {namespace!r} of workspace "
        f"{workspace!r}; a deployment may use only its own namespace's artifacts (upload "
        "the file to this namespace)"
    )


def _file_name(uri: str) -> str:
    # Keep the URL's file name (its extension tells .jar from .py from .zip) but only
    # characters that are safe on any file system and in Flink arguments.
    name = PurePosixPath(unquote(urlsplit(uri).path)).name
    name = _SAFE_FILE_NAME.sub("_", name).lstrip(".")
    return name or "artifact"
