"""Compile Java sources into a jar with the JDK's ``javac``, against the Flink runtime's
own jars (there is no Maven Central here), cached by a hash of the sources.

``examples/build.py`` builds the shipped example jobs with it; the tests build their
jobs (and dependency jars) with it. The jar name carries the content key, so the same
sources are compiled once per cache directory and uploaded once per cluster.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from millstream.domain.errors import EngineUnavailable, InvalidArtifact
from millstream.engine.runtime import FlinkRuntime

__all__ = ["compile_jar"]


def compile_jar(
    runtime: FlinkRuntime,
    sources: Sequence[Path],
    *,
    cache_dir: Path,
    name: str,
    main_class: str | None = None,
    classpath: Sequence[Path] = (),
    resources: Path | None = None,
) -> Path:
    """The jar of ``sources`` (``.java`` files, or directories searched for them),
    compiled for Java 17 against ``lib/*`` and ``opt/*`` plus ``classpath``; the files
    under ``resources`` (e.g. ``META-INF/services/...``) go into the jar as they lie."""
    files = sorted(
        {f for s in sources for f in ([s] if s.is_file() else s.rglob("*.java"))},
        key=lambda f: str(f),
    )
    if not files:
        raise InvalidArtifact(f"no .java files in {', '.join(map(str, sources))}")
    digest = hashlib.sha256(f"{runtime.version}\n{main_class}\n".encode())
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    for extra in classpath:
        digest.update(extra.name.encode() + b"\0" + str(extra.stat().st_mtime_ns).encode())
    extras = sorted(f for f in resources.rglob("*") if f.is_file()) if resources else []
    for extra in extras:
        entry = extra.relative_to(resources or extra).as_posix()
        digest.update(entry.encode() + b"\0" + extra.read_bytes())
    jar = cache_dir / f"{name}-{digest.hexdigest()[:16]}.jar"
    if jar.is_file():
        return jar
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        classes = Path(work) / "classes"
        path = os.pathsep.join(
            [str(runtime.lib_dir / "*"), str(runtime.home / "opt" / "*"), *map(str, classpath)]
        )
        command = [
            runtime.javac(),
            "-nowarn",
            "--release",
            "17",
            "-encoding",
            "UTF-8",
            "-cp",
            path,
            "-d",
            str(classes),
            *map(str, files),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise EngineUnavailable(f"compiling {name} failed:\n{done.stderr[-4000:]}")
        partial = Path(work) / jar.name
        manifest = "Manifest-Version: 1.0\n" + (f"Main-Class: {main_class}\n" if main_class else "")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("META-INF/MANIFEST.MF", manifest)
            for cls in sorted(classes.rglob("*.class")):
                archive.write(cls, cls.relative_to(classes).as_posix())
            for extra in extras:
                archive.write(extra, extra.relative_to(resources or extra).as_posix())
        # Atomic publish: a concurrent builder never sees half a jar.
        os.replace(partial, jar)
    return jar
