"""Downloading the apache-flink packages of one Flink release from the package index, with pip.

pip is the ordinary client: it uses the index and options the machine configures (pip.conf,
``PIP_*``), and checks each file against the hash the index publishes. Nothing is installed:
``pip download --no-deps`` only saves the files. ``engine/runtimes.py`` calls it.

The ``apache-flink`` wheel is platform-specific but its ``bin/`` and ``conf/`` are not, so
when the running Python has no wheel of a release (Flink 1.18 has none for Python 3.11) a
wheel built for another Python is fetched instead; an sdist of apache-flink (which would
need compiling) is never used.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from millstream.control.runtime_versions import FlinkVersion
from millstream.domain.errors import EnginePermanentError, ErrorCode, NotFound, Unavailable

__all__ = ["PackageIndex"]

FLINK = "apache-flink"
LIBRARIES = "apache-flink-libraries"

# Tried in order after the running interpreter's own tags (any wheel's bin/ and conf/ do).
_OTHER_WHEELS: tuple[tuple[str, ...], ...] = tuple(
    (
        "--python-version",
        version,
        "--implementation",
        "cp",
        "--abi",
        f"cp{version.replace('.', '')}",
        "--platform",
        "manylinux2014_x86_64",
    )
    for version in ("3.12", "3.11", "3.10", "3.9", "3.8")
)
_WHEEL_VERSION = re.compile(r"apache_flink-(?P<version>\d+\.\d+\.\d+)-.*\.whl")
_NOT_ON_INDEX = ("No matching distribution found", "Could not find a version that satisfies")
_FROM_VERSIONS = re.compile(r"\(from versions: ([^)]*)\)")
# pip says why an index page failed only at -vv ("Could not fetch URL ...: connection error").
_UNREACHABLE = (
    "connection error",
    "Could not fetch URL",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Max retries exceeded",
    "ConnectTimeout",
    "ReadTimeout",
)

Runner = Callable[[Sequence[str], float], "subprocess.CompletedProcess[str]"]


def _run(command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), capture_output=True, text=True, timeout=timeout, check=False
    )


class PackageIndex:
    """``pip download`` of the two apache-flink packages of a release into a directory."""

    def __init__(
        self,
        *,
        python: str = sys.executable,
        pip_args: Sequence[str] = (),
        timeout: float = 1800.0,
        runner: Runner = _run,
    ) -> None:
        self._python = python
        self._pip_args = tuple(pip_args)  # e.g. ("--no-index", "--find-links", dir) in tests
        self._timeout = timeout
        self._runner = runner

    def download_scripts(self, version: FlinkVersion, dest: Path) -> tuple[str, Path]:
        """The apache-flink wheel of ``version`` (the newest patch when only major.minor is
        given): (its exact version, its path)."""
        spec = f"{FLINK}=={version}" if version.is_exact else f"{FLINK}=={version}.*"
        missing: NotFound | None = None
        for tags in ((), *_OTHER_WHEELS):
            try:
                wheel = self._download(spec, dest, ("--only-binary", ":all:", *tags))
            except NotFound as exc:
                missing = missing or exc
                continue
            match = _WHEEL_VERSION.fullmatch(wheel.name)
            if match is None:
                raise EnginePermanentError(f"pip saved {wheel.name}, not an apache-flink wheel")
            return match.group("version"), wheel
        assert missing is not None
        raise missing

    def download_libraries(self, version: str, dest: Path) -> Path:
        """apache-flink-libraries of exactly ``version`` (a wheel, or the source archive)."""
        return self._download(f"{LIBRARIES}=={version}", dest, ())

    def _download(self, spec: str, dest: Path, extra: Sequence[str]) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        before = set(dest.iterdir())
        command = [
            self._python, "-m", "pip", "download", spec, "--no-deps", "--no-cache-dir",
            "--disable-pip-version-check", "--progress-bar", "off", "-vv", "--dest", str(dest),
            *extra, *self._pip_args,
        ]  # fmt: skip
        try:
            done = self._runner(command, self._timeout)
        except subprocess.TimeoutExpired as exc:
            raise Unavailable(
                f"downloading {spec} took longer than {self._timeout:.0f} s; try again"
            ) from exc
        if done.returncode != 0:
            raise _pip_error(spec, f"{done.stdout}\n{done.stderr}")
        saved = sorted(set(dest.iterdir()) - before)
        if len(saved) != 1:
            raise EnginePermanentError(f"pip download {spec} saved {len(saved)} files, not one")
        return saved[0]


def _pip_error(spec: str, output: str) -> Exception:
    versions = _FROM_VERSIONS.search(output)
    listed = versions.group(1).strip() if versions else "none"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    failed = [line for line in lines if any(marker in line for marker in _UNREACHABLE)]
    if listed == "none" and failed:
        return Unavailable(f"the package index cannot be reached ({spec}): {failed[0]}")
    if any(marker in output for marker in _NOT_ON_INDEX):
        return NotFound(
            f"{spec} is not on the package index (it has: {listed})", code=ErrorCode.NOT_FOUND
        )
    errors = [line for line in lines if line.startswith("ERROR")] or lines[-3:]
    return EnginePermanentError(f"pip download {spec} failed: {' '.join(errors)}")
