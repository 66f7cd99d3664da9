"""The catalog of Flink runtimes on this machine: runtimes (list), install, remove.

Two kinds: the *bundled* runtime, the apache-flink wheel in Millstream's own Python
environment (or ``flink.flink_home``), always present and never removed; and runtimes
installed under the runtimes directory (``flink.runtimes_dir``, default
``<data_dir>/runtimes``), one directory per exact version (``1.20.5/``) holding only the Flink
distribution (``bin lib opt conf plugins``) unpacked from that release's apache-flink packages.

An install downloads with pip (``runtime_index.py``), unpacks into a staging directory
beside the target, checks ``bin/jobmanager.sh`` and the dist jar's version, then renames the
staging directory into place: a runtime directory is complete or absent. A per-version lock
file makes concurrent installs of one version download it once; installing a version that is
there is a no-op. Removing a runtime that a running cluster uses is not checked: that is the
caller's responsibility for now. ``millstream runtimes`` (``cli/commands/runtimes.py``) calls it;
``RuntimeRegistry`` reads it to run clusters on each runtime (a deployment's engine version
selects one: ``control/engine_versions.py``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from millstream.config import Settings
from millstream.control.runtime_versions import MIN_RUNTIME, FlinkVersion
from millstream.domain.errors import (
    Conflict,
    EnginePermanentError,
    ErrorCode,
    InvalidInput,
    MillstreamError,
    NotFound,
)
from millstream.engine.runtime_archives import (
    dist_version,
    unpack_libraries,
    unpack_scripts,
    verify_distribution,
)
from millstream.engine.runtime_index import PackageIndex

__all__ = [
    "InstallResult",
    "InstalledRuntime",
    "RuntimeCatalog",
    "bundled_flink_home",
    "runtimes_dir",
]

RUNTIME_FILE = "runtime.json"  # written last into a staged runtime: what was installed, when
_STAGING = ".staging-"
_REMOVING = ".removing-"
_OWNER = ".owner"  # flocked by the process filling a staging directory
_SWEEP = "sweep"  # lock name: creating a staging directory vs. sweeping crashed ones


@dataclass(frozen=True, slots=True)
class InstalledRuntime:
    version: str  # as the dist jar states it
    home: Path
    bundled: bool
    size_bytes: int | None = None
    installed_at: str | None = None  # ISO 8601, UTC
    problem: str | None = None  # why this directory is not a usable Flink

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "home": str(self.home),
            "bundled": self.bundled,
            "sizeBytes": self.size_bytes,
            "installedAt": self.installed_at,
            "problem": self.problem,
        }


@dataclass(frozen=True, slots=True)
class InstallResult:
    runtime: InstalledRuntime
    installed: bool  # False: it was there already (bundled or installed before)
    seconds: float


def runtimes_dir(settings: Settings) -> Path:
    """Where installed runtimes live."""
    return settings.flink.runtimes_dir or settings.data_dir / "runtimes"


def bundled_flink_home(flink_home: str | Path | None = None) -> Path | None:
    """``flink.flink_home`` if set, else the pyflink package directory (None if absent)."""
    if flink_home:
        return Path(flink_home)
    spec = importlib.util.find_spec("pyflink")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class RuntimeCatalog:
    def __init__(
        self,
        root: Path,
        *,
        bundled_home: Path | None,
        index: PackageIndex | None = None,
        on_step: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.root = root
        self._bundled_home = bundled_home
        self._index = index or PackageIndex()
        self._step = on_step

    @classmethod
    def from_settings(
        cls, settings: Settings, *, on_step: Callable[[str], None] = lambda _: None
    ) -> RuntimeCatalog:
        return cls(
            runtimes_dir(settings),
            bundled_home=bundled_flink_home(settings.flink.flink_home),
            on_step=on_step,
        )

    def bundled(self) -> InstalledRuntime | None:
        home = self._bundled_home
        if home is None or not home.is_dir():
            return None
        try:
            version, problem = dist_version(home), None
        except MillstreamError as exc:
            version, problem = "?", str(exc)
        return InstalledRuntime(version=version, home=home.resolve(), bundled=True, problem=problem)

    def runtimes(self) -> list[InstalledRuntime]:
        """The bundled runtime, then installed ones, newest first."""
        found = [runtime for runtime in [self.bundled()] if runtime is not None]
        return found + sorted(self._installed(), key=_newest_first)

    def install(self, version: str) -> InstallResult:
        """Install ``version`` (``1.20``: the newest 1.20.x on the index); a no-op when it is
        bundled or installed already."""
        started = time.monotonic()
        wanted = FlinkVersion.parse(version)
        if wanted.line.sort_key() < MIN_RUNTIME.sort_key():
            raise InvalidInput(
                f"Flink {wanted} cannot be installed: runtimes need Flink {MIN_RUNTIME} or "
                "newer (Java 17). Older versions run on a newer runtime through the table "
                "flink.version_map",
                code=ErrorCode.INVALID_ENGINE_VERSION,
            )
        if wanted.is_exact and (there := self._existing(str(wanted))):
            return InstallResult(there, installed=False, seconds=time.monotonic() - started)
        self.root.mkdir(parents=True, exist_ok=True)
        self._sweep()
        with self._staging() as staging:
            self._step(f"looking up apache-flink {wanted} on the package index")
            exact, wheel = self._index.download_scripts(wanted, staging / "downloads")
            if not wanted.matches(FlinkVersion.parse(exact)):
                raise EnginePermanentError(f"asked pip for Flink {wanted}, it brought {exact}")
            with self._locked(exact):
                if there := self._existing(exact):
                    return InstallResult(there, installed=False, seconds=time.monotonic() - started)
                self._step(f"downloading apache-flink-libraries {exact} (the jars)")
                libraries = self._index.download_libraries(exact, staging / "downloads")
                self._step(f"unpacking Flink {exact}")
                home = staging / "flink"
                unpack_scripts(wheel, home)
                unpack_libraries(libraries, home)
                verify_distribution(home, exact)
                _write_record(home, exact, [wheel, libraries])
                _open_up(home)
                os.rename(home, self.root / exact)
        runtime = self._read(self.root / exact)
        return InstallResult(runtime, installed=True, seconds=time.monotonic() - started)

    def remove(self, version: str) -> InstalledRuntime:
        """Delete an installed runtime (``1.20`` if exactly one 1.20.x is installed). Whether
        a cluster still runs on it is not checked."""
        wanted = FlinkVersion.parse(version)
        matches = [r for r in self._installed() if _matches(wanted, r.home.name)]
        if not matches:
            bundled = self.bundled()
            if bundled is not None and _matches(wanted, bundled.version):
                raise Conflict(
                    f"Flink {bundled.version} is the bundled runtime (the apache-flink package "
                    "of Millstream's Python environment); it cannot be removed",
                    code=ErrorCode.CONFLICT,
                )
            have = ", ".join(r.home.name for r in self._installed()) or "none"
            raise NotFound(
                f"no Flink {wanted} runtime is installed (installed: {have})",
                code=ErrorCode.NOT_FOUND,
            )
        if len(matches) > 1:
            names = ", ".join(r.home.name for r in matches)
            raise InvalidInput(
                f"Flink {wanted} matches several runtimes ({names}); name one exactly",
                code=ErrorCode.INVALID_ENGINE_VERSION,
            )
        runtime = matches[0]
        with self._locked(runtime.home.name):
            doomed = self.root / f"{_REMOVING}{runtime.home.name}-{secrets.token_hex(4)}"
            os.rename(runtime.home, doomed)  # gone from the list at once, then deleted
            shutil.rmtree(doomed, ignore_errors=True)
        return runtime

    def _installed(self) -> list[InstalledRuntime]:
        if not self.root.is_dir():
            return []
        return [
            self._read(entry)
            for entry in self.root.iterdir()
            if entry.is_dir() and not entry.name.startswith(".")
        ]

    def _existing(self, exact: str) -> InstalledRuntime | None:
        bundled = self.bundled()
        if bundled is not None and bundled.version == exact:
            return bundled
        home = self.root / exact
        if not home.exists():
            return None
        runtime = self._read(home)
        if runtime.problem is not None:
            raise Conflict(
                f"{home} is not a usable Flink ({runtime.problem}); remove it with "
                f"`millstream runtimes remove {exact}` and install again",
                code=ErrorCode.CONFLICT,
            )
        return runtime

    def _read(self, home: Path) -> InstalledRuntime:
        record = _read_record(home)
        size, installed_at = record.get("sizeBytes"), record.get("installedAt")
        try:
            version, problem = dist_version(home), None
        except MillstreamError as exc:
            version, problem = home.name, str(exc)
        if problem is None and version != home.name:
            problem = f"directory {home.name} holds Flink {version}"
        return InstalledRuntime(
            version=version,
            home=home.resolve(),
            bundled=False,
            size_bytes=size if isinstance(size, int) else None,
            installed_at=installed_at if isinstance(installed_at, str) else None,
            problem=problem,
        )

    @contextlib.contextmanager
    def _locked(self, exact: str) -> Iterator[None]:
        with (self.root / f".{exact}.lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # waits for another installer
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _staging(self) -> Iterator[Path]:
        staging = self.root / f"{_STAGING}{secrets.token_hex(6)}"
        try:
            with contextlib.ExitStack() as stack:
                with self._locked(_SWEEP):  # a sweep never sees it unowned
                    staging.mkdir()
                    owner = stack.enter_context((staging / _OWNER).open("a"))
                    fcntl.flock(owner.fileno(), fcntl.LOCK_EX)
                yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _sweep(self) -> None:
        """Delete what crashed installs and removals left (staging no live process owns)."""
        with self._locked(_SWEEP):
            entries = list(self.root.iterdir())
            crashed = [e for e in entries if e.name.startswith(_STAGING) and not _owned(e)]
        for entry in entries:
            if entry in crashed or entry.name.startswith(_REMOVING):
                shutil.rmtree(entry, ignore_errors=True)


def _owned(staging: Path) -> bool:
    try:
        with (staging / _OWNER).open("a") as owner:
            try:
                fcntl.flock(owner.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(owner.fileno(), fcntl.LOCK_UN)
            return False
    except OSError:
        return True  # cannot tell: leave it alone


def _matches(wanted: FlinkVersion, version: str) -> bool:
    try:
        return wanted.matches(FlinkVersion.parse(version))
    except InvalidInput:
        return False


def _newest_first(runtime: InstalledRuntime) -> tuple[int, int, int]:
    try:
        major, minor, patch = FlinkVersion.parse(runtime.home.name).sort_key()
    except InvalidInput:
        return (0, 0, 0)
    return (-major, -minor, -patch)


def _write_record(home: Path, version: str, packages: list[Path]) -> None:
    size = sum(path.stat().st_size for path in home.rglob("*") if path.is_file())
    record = {
        "version": version,
        "installedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizeBytes": size,
        "packages": [{"file": p.name, "sha256": _sha256(p)} for p in packages],
    }
    (home / RUNTIME_FILE).write_text(json.dumps(record, indent=2) + "\n")
    (home / RUNTIME_FILE).chmod(0o644)


def _open_up(home: Path) -> None:
    """Directories readable by everyone whatever the umask: Flink may run as its own OS user."""
    home.chmod(0o755)
    for path in home.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)


def _read_record(home: Path) -> dict[str, Any]:
    try:
        data = json.loads((home / RUNTIME_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
