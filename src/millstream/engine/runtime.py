"""The installed Flink runtime: FLINK_HOME, its version and the Java it runs on.

``LocalCluster`` starts processes from it, the SQL runner compiles against its ``lib/``,
``FlinkEngine.engine_versions`` names it. Detection only reads the file system.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from millstream.domain.errors import EngineUnavailable

__all__ = ["FlinkRuntime"]

_DIST_JAR = re.compile(r"flink-dist(?:_[\d.]+)?-(?P<version>\d+\.\d+(?:\.\d+)?[^/]*)\.jar")


@dataclass(frozen=True, slots=True)
class FlinkRuntime:
    home: Path
    version: str  # e.g. "2.3.0", read from lib/flink-dist-<version>.jar
    java_home: Path | None  # None: java is on PATH and JAVA_HOME need not be set

    @classmethod
    def detect(cls, flink_home: str | Path | None = None) -> FlinkRuntime:
        """Find FLINK_HOME (argument, then the pyflink package) and Java; raise
        ``EngineUnavailable`` saying what to install when either is missing."""
        home = Path(flink_home) if flink_home else _pyflink_home()
        if home is None or not (home / "bin" / "jobmanager.sh").is_file():
            raise EngineUnavailable(
                f"no Flink distribution at {home or '(pyflink not installed)'}; "
                "install apache-flink or set flink.flink_home"
            )
        return cls(home=home.resolve(), version=_dist_version(home), java_home=_java_home())

    @property
    def engine_version(self) -> str:
        return f"flink-{self.version}"

    @property
    def lib_dir(self) -> Path:
        return self.home / "lib"

    def javac(self) -> str:
        """Path of javac (to build the SQL runner), or raise saying a JDK is needed."""
        candidates = [self.java_home / "bin" / "javac"] if self.java_home else []
        found = shutil.which("javac")
        if found:
            candidates.append(Path(found))
        for candidate in candidates:
            if candidate.is_file():
                return str(candidate)
        raise EngineUnavailable("javac not found: install a JDK 17 (not only a JRE)")

    def environment(self) -> dict[str, str]:
        """Variables Flink's scripts need beside the caller's (JAVA_HOME when detected)."""
        return {"FLINK_HOME": str(self.home)} | (
            {"JAVA_HOME": str(self.java_home)} if self.java_home else {}
        )


def _pyflink_home() -> Path | None:
    spec = importlib.util.find_spec("pyflink")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _dist_version(home: Path) -> str:
    for jar in sorted((home / "lib").glob("flink-dist*.jar")):
        if match := _DIST_JAR.fullmatch(jar.name):
            return match.group("version")
    raise EngineUnavailable(f"{home}/lib has no flink-dist jar; the Flink install is broken")


def _java_home() -> Path | None:
    # Flink's scripts use JAVA_HOME, else `java` on PATH; only when neither exists do we
    # look in the usual JDK locations, so an explicit choice always wins.
    if env := os.environ.get("JAVA_HOME"):
        return Path(env)
    if shutil.which("java"):
        return None
    for java in sorted(Path("/usr/lib/jvm").glob("*/bin/java"), reverse=True):
        return java.parent.parent
    raise EngineUnavailable("no Java found: install a JDK 17 or set JAVA_HOME")
