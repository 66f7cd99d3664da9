"""Unpacking a Flink distribution out of the apache-flink packages, and reading its version.

The ``apache-flink`` wheel carries Flink's scripts and configuration (``pyflink/bin``,
``pyflink/conf``); ``apache-flink-libraries`` carries the jars (``lib``, ``opt``, ``plugins``
and ``bin/bash-java-utils.jar``), as a wheel (``pyflink/...``, Flink 2.2 and newer) or as a
source archive (``<name>-<version>/deps/...``, older releases). Only those directories are
unpacked: no Python package, no second Python environment. ``engine/runtimes.py`` calls it.
"""

from __future__ import annotations

import functools
import re
import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from millstream.domain.errors import EnginePermanentError

__all__ = ["dist_jar", "dist_version", "unpack_libraries", "unpack_scripts", "verify_distribution"]

_SCRIPT_DIRS = ("bin", "conf")
_LIBRARY_DIRS = ("bin", "lib", "opt", "plugins")
_DIST_JAR = re.compile(r"flink-dist(?:_[\d.]+)?-(?P<version>\d+\.\d+\.\d+[^/]*)\.jar")
_COPY_CHUNK = 1024 * 1024


def unpack_scripts(wheel: Path, home: Path) -> int:
    """Unpack ``bin/`` and ``conf/`` of an apache-flink wheel into ``home``; files written."""
    return _unpack(wheel, home, _SCRIPT_DIRS)


def unpack_libraries(archive: Path, home: Path) -> int:
    """Unpack ``bin/ lib/ opt/ plugins/`` of apache-flink-libraries (wheel or source
    archive) into ``home``; files written."""
    return _unpack(archive, home, _LIBRARY_DIRS)


def dist_jar(home: Path) -> Path:
    """``lib/flink-dist*.jar`` of a Flink home, or ``EnginePermanentError``."""
    jars = sorted((home / "lib").glob("flink-dist*.jar"))
    if not jars:
        raise EnginePermanentError(f"{home}/lib has no flink-dist jar: not a Flink distribution")
    return jars[0]


def dist_version(home: Path) -> str:
    """Flink's version as its dist jar states it (``Implementation-Version`` of the
    manifest; the file name when the manifest has none). Read once per jar file as it
    is on disk (the catalog asks at every deployment create or update)."""
    jar = dist_jar(home)
    try:
        stat = jar.stat()
    except OSError as exc:
        raise EnginePermanentError(f"{jar} is not a readable jar: {exc}") from exc
    return _manifest_version(jar, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _manifest_version(jar: Path, _mtime_ns: int, _size: int) -> str:
    try:
        with zipfile.ZipFile(jar) as archive:
            manifest = archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise EnginePermanentError(f"{jar} is not a readable jar: {exc}") from exc
    for line in manifest.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Implementation-Version" and value.strip():
            return value.strip()
    if match := _DIST_JAR.fullmatch(jar.name):
        return match.group("version")
    raise EnginePermanentError(f"{jar} states no Flink version")


def verify_distribution(home: Path, expected_version: str) -> None:
    """Check ``home`` is a startable Flink of ``expected_version``, or raise saying what lacks."""
    if not (home / "bin" / "jobmanager.sh").is_file():
        raise EnginePermanentError(
            f"the Flink {expected_version} packages hold no bin/jobmanager.sh"
        )
    found = dist_version(home)
    if found != expected_version:
        raise EnginePermanentError(
            f"asked for Flink {expected_version} but its dist jar says {found}: the packages "
            "on the index do not match"
        )


def _unpack(archive: Path, home: Path, wanted: tuple[str, ...]) -> int:
    written = 0
    for relative, stream in _members(archive, wanted):
        target = home.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(stream, out, _COPY_CHUNK)
        executable = relative.parts[0] == "bin" or relative.suffix == ".sh"
        target.chmod(0o755 if executable else 0o644)
        written += 1
    return written


def _members(archive: Path, wanted: tuple[str, ...]) -> Iterator[tuple[PurePosixPath, IO[bytes]]]:
    """(path inside the Flink home, content) of each regular file under ``wanted``."""
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as wheel:
            for info in wheel.infolist():
                relative = _relative(info.filename, wanted)
                if relative is not None and not info.is_dir():
                    with wheel.open(info) as stream:
                        yield relative, stream
        return
    if archive.name.endswith((".tar.gz", ".tgz")):
        # Streaming mode: the source archive is one 230 MB gzip read once, front to back.
        with tarfile.open(archive, "r|gz") as source:
            for member in source:
                relative = _relative(member.name, wanted, source_archive=True)
                if relative is None or not member.isfile():
                    continue  # links and devices are never unpacked
                content = source.extractfile(member)
                if content is not None:
                    yield relative, content
        return
    raise EnginePermanentError(f"{archive.name}: not a wheel or source archive")


def _relative(
    name: str, wanted: tuple[str, ...], *, source_archive: bool = False
) -> PurePosixPath | None:
    """The member's path below ``pyflink/`` (or ``<top>/deps/`` in a source archive) when
    it lies in one of ``wanted``; None otherwise. Refuses paths that climb out."""
    parts = PurePosixPath(name).parts
    prefix = 2 if source_archive else 1
    if source_archive and (len(parts) < 2 or parts[1] != "deps"):
        return None
    if not source_archive and (not parts or parts[0] != "pyflink"):
        return None
    rest = parts[prefix:]
    if len(rest) < 2 or rest[0] not in wanted:
        return None
    if any(part in ("", ".", "..") or "\\" in part for part in rest) or name.startswith("/"):
        raise EnginePermanentError(f"unsafe path {name!r} in a Flink package")
    return PurePosixPath(*rest)
