"""Fake apache-flink packages (tiny wheels and source archives) shaped like the real ones.

A directory of them is a package index for ``pip download --no-index --find-links``.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

__all__ = ["dist_jar_bytes", "flink_wheel", "libraries_sdist", "libraries_wheel"]

_SCRIPTS = {
    "bin/jobmanager.sh": "#!/usr/bin/env bash\necho jobmanager\n",
    "bin/config.sh": "#!/usr/bin/env bash\n",
    "conf/config.yaml": "jobmanager:\n  rpc:\n    port: 6123\n",
}


def dist_jar_bytes(manifest_version: str | None) -> bytes:
    """A flink-dist jar whose manifest states ``manifest_version`` (None: no version line)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        lines = ["Manifest-Version: 1.0", "Implementation-Title: Flink : Dist"]
        if manifest_version is not None:
            lines.append(f"Implementation-Version: {manifest_version}")
        jar.writestr("META-INF/MANIFEST.MF", "\r\n".join(lines) + "\r\n")
        jar.writestr("org/apache/flink/Fake.class", b"\xca\xfe\xba\xbe")
    return buffer.getvalue()


def _wheel(path: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    dist_info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n"
    wheel = "Wheel-Version: 1.0\nGenerator: fake\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in files.items():
            archive.writestr(member, content)
        archive.writestr(f"{dist_info}/METADATA", metadata)
        archive.writestr(f"{dist_info}/WHEEL", wheel)
        archive.writestr(f"{dist_info}/RECORD", "")
    return path


def flink_wheel(index: Path, version: str, tag: str = "py3-none-any") -> Path:
    """The apache-flink wheel: scripts and configuration, and a Python package we skip."""
    files = {f"pyflink/{name}": content.encode() for name, content in _SCRIPTS.items()}
    files["pyflink/__init__.py"] = b""
    files["pyflink/datastream/__init__.py"] = b""
    return _wheel(index / f"apache_flink-{version}-{tag}.whl", "apache_flink", version, files)


def libraries_wheel(index: Path, version: str, *, manifest_version: str | None = None) -> Path:
    """apache-flink-libraries as a wheel (Flink 2.2 and newer publish one)."""
    stated = version if manifest_version is None else manifest_version
    files = {
        f"pyflink/lib/flink-dist-{version}.jar": dist_jar_bytes(stated),
        f"pyflink/lib/flink-table-runtime-{version}.jar": b"jar",
        f"pyflink/opt/flink-python-{version}.jar": b"jar",
        "pyflink/plugins/metrics-jmx/flink-metrics-jmx.jar": b"jar",
        "pyflink/bin/bash-java-utils.jar": b"jar",
        "pyflink/licenses/LICENSE.fake": b"license",
    }
    path = index / f"apache_flink_libraries-{version}-py3-none-any.whl"
    return _wheel(path, "apache_flink_libraries", version, files)


def libraries_sdist(
    path: Path, version: str, *, extra: dict[str, bytes] | None = None, link: str | None = None
) -> Path:
    """apache-flink-libraries as a source archive (``<top>/deps/...``, releases before 2.2);
    ``extra`` adds members by full name, ``link`` a symbolic link member of that name."""
    top = f"apache_flink_libraries-{version}"
    members = {
        f"{top}/setup.py": b"raise SystemExit('never run')\n",
        f"{top}/deps/lib/flink-dist-{version}.jar": dist_jar_bytes(version),
        f"{top}/deps/opt/flink-sql-client-{version}.jar": b"jar",
        f"{top}/deps/plugins/README.txt": b"plugins",
        f"{top}/deps/bin/bash-java-utils.jar": b"jar",
        f"{top}/deps/licenses/LICENSE.fake": b"license",
        **(extra or {}),
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        if link is not None:
            info = tarfile.TarInfo(link)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            archive.addfile(info)
    return path
