"""The SQL runner jar: ``SqlRunner.java`` (shipped beside this file) compiled on demand.

SQL deployments run as this jar's ``main()`` inside the JobManager (FLINK-NOTES.md: no SQL
gateway in the wheel, and no JVM needed in our process). ``SqlRunnerJar.path()`` compiles
once against ``$FLINK_HOME/lib/*`` into a cache directory, keyed by a hash of the source
and the Flink version, and reuses the jar afterwards (also across processes).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

from millstream.domain.errors import EngineUnavailable
from millstream.engine.runtime import FlinkRuntime

__all__ = ["ENTRY_CLASS", "SqlRunnerJar"]

ENTRY_CLASS = "millstream.engine.SqlRunner"
_SOURCE_NAME = "SqlRunner.java"


class SqlRunnerJar:
    """Builds and caches the runner jar for one Flink runtime."""

    def __init__(self, *, runtime: FlinkRuntime, cache_dir: Path) -> None:
        self._runtime = runtime
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._path: Path | None = None

    def path(self) -> Path:
        """The compiled jar (built on first call); its file name embeds the content key,
        so a cluster can tell by name whether it already has this very jar."""
        with self._lock:
            if self._path is None or not self._path.is_file():
                self._path = self._build()
            return self._path

    def _build(self) -> Path:
        source = importlib.resources.files(__name__).joinpath(_SOURCE_NAME).read_bytes()
        key = hashlib.sha256(source + self._runtime.version.encode()).hexdigest()[:16]
        jar = self._cache_dir / f"millstream-sql-runner-{self._runtime.version}-{key}.jar"
        if jar.is_file():
            return jar
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._cache_dir) as work:
            src = Path(work) / _SOURCE_NAME
            src.write_bytes(source)
            classes = Path(work) / "classes"
            command = [
                self._runtime.javac(),
                "-nowarn",
                "--release",
                "17",
                "-cp",
                str(self._runtime.lib_dir / "*"),
                "-d",
                str(classes),
                str(src),
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise EngineUnavailable(f"compiling the SQL runner failed:\n{done.stderr[-4000:]}")
            partial = Path(work) / jar.name
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(
                    "META-INF/MANIFEST.MF",
                    f"Manifest-Version: 1.0\nMain-Class: {ENTRY_CLASS}\n",
                )
                for cls in sorted(classes.rglob("*.class")):
                    archive.write(cls, cls.relative_to(classes).as_posix())
            # Atomic publish: a concurrent builder (another process) never sees half a jar.
            os.replace(partial, jar)
        return jar
