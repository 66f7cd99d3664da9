"""Jar files for submission: content-named copies, dependency merging, class lookups.

``RestFlinkCluster`` caches uploads per cluster by jar file name, so the JAR and Python
submitters hand it jars named after their content (``<stem>-<sha256[:16]>.jar``): the
same bytes are uploaded once per cluster, changed bytes get a new name.

Dependencies (``additionalDependencies``) are merged into a derived jar, also named by
the content hash of its parts; so are named resource files (a deployment's dependency
files as ``userData/<name>``, ``engine.user_data``). Flink's ``jars/run`` has no class
path parameter, and ``pipeline.classpaths`` only works where the JobManager and
TaskManagers can read the same paths; a merged jar works on any cluster, local or
remote, and puts the classes on the class path of ``main()`` in the JobManager and of
the tasks alike.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

from millstream.domain.errors import InvalidArtifact

__all__ = ["JarCache", "content_hash", "find_class", "main_class"]

_SIGNATURE_FILE = re.compile(r"META-INF/[^/]+\.(SF|DSA|RSA|EC)$", re.IGNORECASE)
_SERVICES = "META-INF/services/"
_MANIFEST = "META-INF/MANIFEST.MF"
_hash_memo: dict[tuple[str, int, int], str] = {}
_hash_lock = threading.Lock()


def content_hash(path: Path) -> str:
    """SHA-256 of a file, remembered by (path, size, mtime) so a big jar is read once."""
    stat = path.stat()
    memo_key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _hash_lock:
        if (known := _hash_memo.get(memo_key)) is not None:
            return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    value = digest.hexdigest()
    with _hash_lock:
        _hash_memo[memo_key] = value
    return value


def _open_jar(path: Path, what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidArtifact(f"{what} {path.name!r} is not a jar (zip) file: {exc}") from exc


def main_class(jar: Path) -> str | None:
    """The ``Main-Class`` of a jar's manifest, if it names one."""
    with _open_jar(jar, "jar") as archive:
        try:
            manifest = archive.read(_MANIFEST).decode("utf-8", "replace")
        except KeyError:
            return None
    # Manifest lines wrap at 72 bytes with a leading space on continuation lines.
    unfolded = manifest.replace("\r\n", "\n").replace("\n ", "")
    for line in unfolded.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "main-class" and value.strip():
            return value.strip()
    return None


def find_class(class_name: str, jars: Sequence[Path]) -> bool:
    """Whether any of ``jars`` contains the class (``a.b.C`` or ``a.b.C$Inner``)."""
    entry = class_name.replace(".", "/") + ".class"
    for jar in jars:
        with _open_jar(jar, "jar") as archive:
            try:
                archive.getinfo(entry)
            except KeyError:
                continue
            return True
    return False


class JarCache:
    """Content-named jars under one directory; builds are atomic (rename) and reused."""

    def __init__(self, cache_dir: Path) -> None:
        self._dir = cache_dir
        self._lock = threading.Lock()

    def publish(self, jar: Path) -> Path:
        """``jar`` under a name that identifies its content (a hard link when possible)."""
        target = self._dir / "user" / f"{_stem(jar)}-{content_hash(jar)[:16]}.jar"
        with self._lock:
            if target.is_file():
                return target
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            partial.unlink(missing_ok=True)
            try:
                os.link(jar, partial)
            except OSError:  # another file system, or links not allowed: copy
                _copy(jar, partial)
            os.replace(partial, target)
            return target

    def merged(
        self,
        main: Path,
        dependencies: Sequence[Path],
        resources: Sequence[tuple[str, Path]] = (),
    ) -> Path:
        """One jar with ``resources`` (entry name, file) first, then ``main``'s entries,
        then each dependency's that are new; ``META-INF/services`` files are concatenated,
        dependency signatures dropped."""
        if not dependencies and not resources:
            return self.publish(main)
        parts = [content_hash(p) for p in [main, *dependencies]]
        parts += [f"{name}={content_hash(path)}" for name, path in resources]
        key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
        target = self._dir / "merged" / f"{_stem(main)}-with-deps-{key}.jar"
        with self._lock:
            if target.is_file():
                return target
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            try:
                _merge(main, dependencies, partial, resources)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
            return target


def _merge(
    main: Path,
    dependencies: Sequence[Path],
    target: Path,
    resources: Sequence[tuple[str, Path]] = (),
) -> None:
    seen: set[str] = set()
    services: dict[str, list[bytes]] = {}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        # Named files first: they win over a jar's entry of the same name.
        for name, path in resources:
            if name in seen:
                continue
            seen.add(name)
            out.write(path, name)
        for index, source in enumerate([main, *dependencies]):
            what = "jar" if index == 0 else "dependency"
            with _open_jar(source, what) as archive:
                for info in archive.infolist():
                    name = info.filename
                    if name.startswith(_SERVICES) and not info.is_dir():
                        services.setdefault(name, []).append(archive.read(info))
                        continue
                    if index > 0 and (name == _MANIFEST or _SIGNATURE_FILE.match(name)):
                        continue
                    if name in seen:
                        continue
                    seen.add(name)
                    # A fresh ZipInfo: writing mutates it (offsets), the source's stays intact.
                    copy = zipfile.ZipInfo(name, date_time=info.date_time)
                    copy.compress_type = zipfile.ZIP_DEFLATED
                    copy.external_attr = info.external_attr
                    if info.is_dir():
                        copy.compress_type = zipfile.ZIP_STORED
                        out.writestr(copy, b"")
                        continue
                    with archive.open(info) as data, out.open(copy, "w") as sink:
                        while chunk := data.read(1 << 20):
                            sink.write(chunk)
        for name, parts in services.items():
            out.writestr(name, b"\n".join(p.rstrip(b"\n") for p in parts) + b"\n")


def _copy(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)


def _stem(jar: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", jar.stem)[:64] or "job"
