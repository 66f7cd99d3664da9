"""Engine versions: the installed Flink runtimes, and which one runs a name a user gives.

Managed services name versions their own way (``vvr-8.0.9-flink-1.17``,
``FLINK_VERSION_1_16``, DLI ``1.15``). A name resolves, in this order:

1. empty: the default runtime (the newest installed);
2. an installed runtime's own name (``flink-1.20.5``);
3. an explicit alias (``flink.version_aliases``: exact name or glob pattern -> ``default``,
   an installed name, or a Flink version such as ``1.20``);
4. the Flink version the name carries (``vvr-…-flink-1.17`` -> 1.17), run by a runtime of
   its own line or else by the table ``flink.version_map`` (``runtime_versions``);

anything else is ``InvalidInput`` naming what is valid, never a silent substitute.
``choose`` says which runtime runs a name and whether the table chose it (the job's events
quote ``EngineChoice.describe``). ListEngineVersionMetadata shows ``metadata()``: every
installed runtime, then the well-known managed-service names that resolve, each with the
runtime that runs it. The installed list may be a callable: runtimes installed while the
server runs appear without a restart.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from millstream.control.runtime_versions import (
    DEFAULT_VERSION_MAP,
    choose_runtime,
    flink_version_of,
)
from millstream.domain.errors import ErrorCode, InvalidInput

__all__ = [
    "DEFAULT_ALIASES",
    "DEFAULT_TARGET",
    "OFFERED_NAMES",
    "EngineChoice",
    "EngineVersionInfo",
    "EngineVersions",
    "check_engine_change",
    "runtime_cluster_name",
    "runtime_name",
]

DEFAULT_TARGET = "default"

# Names that carry a Flink version need no alias (the version map decides); aliases are for
# names that carry none. Empty by default: every such name is refused with the valid list.
DEFAULT_ALIASES: Mapping[str, str] = {}

# The managed services' names listed beside the runtimes (when they resolve), so a user
# picking from the list sees which runtime each one runs on.
OFFERED_NAMES: tuple[str, ...] = (
    "vvr-8.0.9-flink-1.17",
    "vvr-6.0.7-flink-1.15",
    "vvr-4.0.14-flink-1.13",
    "FLINK_VERSION_1_17",
    "FLINK_VERSION_1_16",
    "FLINK_VERSION_1_11",
)

_PATTERN = re.compile(r"[*?\[]")
_NATIVE_SAVEPOINTS_SINCE = (1, 15)
_PREFIX = "flink-"


def runtime_cluster_name(version: str) -> str:
    """The on-demand cluster of a runtime: ``1.20.5`` -> ``runtime-1-20-5`` (a valid
    cluster name, stable across restarts; ``reconciler/runtimes.py`` runs it)."""
    return "runtime-" + re.sub(r"[^a-z0-9]+", "-", version.lower()).strip("-")


def check_engine_change(old: EngineChoice, new: EngineChoice, *, has_state: bool) -> None:
    """Refuse an engine version change whose state Flink cannot carry: savepoints move to
    newer Flink (1.20 -> 2.x is Flink's documented migration path), never back to an older
    major version. Without state any change is fine."""
    if not has_state:
        return
    old_version, new_version = flink_version_of(old.version), flink_version_of(new.version)
    if old_version is None or new_version is None:
        return
    if new_version.major < old_version.major:
        raise InvalidInput(
            f"cannot move this deployment from Flink {old.version} to Flink {new.version}: "
            f"its savepoints and checkpoints were written by Flink {old_version.major}.x, "
            f"which Flink {new_version.major}.x cannot restore (Flink state moves to newer "
            "versions only). Create a new deployment to start on the older version without "
            "state",
            code=ErrorCode.INVALID_ENGINE_VERSION,
        )


def runtime_name(version: str) -> str:
    """The engine version name of an installed runtime: ``flink-1.20.5``."""
    return f"{_PREFIX}{version}"


@dataclass(frozen=True, slots=True)
class EngineChoice:
    """Which installed runtime runs a requested engine version, and why."""

    requested: str | None  # what the user named (None: the default)
    name: str  # the runtime's engine version name, e.g. "flink-1.20.5"
    version: str  # its Flink version, e.g. "1.20.5"
    via: str | None = None  # the setting that chose it when not the version named

    @property
    def mapped(self) -> bool:
        return self.via is not None

    def describe(self) -> str:
        """``runs on Flink 1.20.5 (requested vvr-8.0.9-flink-1.17)``."""
        if not self.requested or self.requested == self.name:
            return f"runs on Flink {self.version}"
        how = f"; mapped by {self.via}" if self.via else ""
        return f"runs on Flink {self.version} (requested {self.requested}{how})"


@dataclass(frozen=True, slots=True)
class EngineVersionInfo:
    """One entry of ListEngineVersionMetadata (SDK ``EngineVersionMetadata``)."""

    name: str
    runtime: str  # the installed runtime that runs it (its name)
    is_default: bool
    status: str = "STABLE"  # STABLE, BETA, DEPRECATED or EXPIRED
    use_for_sql_deployments: bool = True
    support_native_savepoint: bool | None = None
    flink_version: str | None = None  # the real Flink version that runs it


class EngineVersions:
    def __init__(
        self,
        installed: Sequence[str] | Callable[[], Sequence[str]],
        aliases: Mapping[str, str],
        version_map: Mapping[str, str] = DEFAULT_VERSION_MAP,
        offered: Sequence[str] = OFFERED_NAMES,
        python_runtime: str | None = None,
    ) -> None:
        self._installed = installed
        # The Flink version whose PyFlink runs Python programs (None: any runtime may).
        self.python_runtime = python_runtime
        self.aliases = dict(aliases)
        self.version_map = dict(version_map)
        self._offered = tuple(offered)

    @property
    def installed(self) -> list[str]:
        """Installed runtimes' names, newest first (the first is the default)."""
        names = list(self._installed() if callable(self._installed) else self._installed)
        return sorted(names, key=_newest_first)

    @property
    def default(self) -> str:
        return self.installed[0]

    def resolve(self, requested: str | None) -> str:
        """The installed runtime's name that runs ``requested`` (None: the default)."""
        return self.choose(requested).name

    def choose(self, requested: str | None, *, python: bool = False) -> EngineChoice:
        """Which runtime runs ``requested`` (see the module docstring for the order).
        ``python``: a Python program, which needs PyFlink: a name carrying a Flink version
        goes to the first runtime of the version map that has it; a runtime named
        exactly (or by an alias) without PyFlink is refused."""
        choice = self._choose(requested, self.installed)
        if not python or self.python_runtime is None or choice.version == self.python_runtime:
            return choice
        named = requested in self.installed or (
            requested is not None and self._alias(requested) is not None
        )
        if not named:
            with contextlib.suppress(InvalidInput):
                return self._choose(requested, [runtime_name(self.python_runtime)])
        raise InvalidInput(
            f"engine version {requested!r} runs on Flink {choice.version}, which has no "
            f"PyFlink here: Python deployments run on Flink {self.python_runtime} (choose "
            f"{runtime_name(self.python_runtime)}), or deploy the program as a JAR",
            code=ErrorCode.INVALID_ENGINE_VERSION,
        )

    def _choose(self, requested: str | None, installed: list[str]) -> EngineChoice:
        if not installed:
            raise InvalidInput(
                "no Flink runtime is installed", code=ErrorCode.INVALID_ENGINE_VERSION
            )
        if requested is None or requested == "":
            return self._choice(None, installed[0])
        if requested in installed:
            return self._choice(requested, requested)
        target = self._alias(requested)
        if target is not None:
            return self._choice(
                requested, self._target(requested, target, installed), via="flink.version_aliases"
            )
        version = flink_version_of(requested)
        if version is None:
            valid = ", ".join([*installed, *self.aliases])
            raise InvalidInput(
                f"engine version {requested!r} is not available here: it names no Flink "
                f"version and no alias; valid: {valid}, or any name carrying a Flink version "
                "(e.g. vvr-8.0.9-flink-1.17, FLINK_VERSION_1_17, 1.15)",
                code=ErrorCode.INVALID_ENGINE_VERSION,
            )
        try:
            picked = choose_runtime(
                version, installed=self._versions(installed), table=self.version_map
            )
        except InvalidInput as exc:
            raise InvalidInput(
                f"engine version {requested!r} (Flink {version}): {exc}",
                code=ErrorCode.INVALID_ENGINE_VERSION,
            ) from exc
        via = "flink.version_map" if picked.mapped else None
        return self._choice(requested, runtime_name(picked.runtime), via=via)

    def metadata(self) -> list[EngineVersionInfo]:
        """Installed runtimes (newest, the default, first), then the well-known names and
        exact aliases that resolve."""
        installed = self.installed
        found = [self._info(name, name) for name in installed]
        names = [*self._offered, *(a for a in self.aliases if not _is_pattern(a))]
        for name in dict.fromkeys(names):
            if name in installed:
                continue
            try:
                runtime = self.resolve(name)
            except InvalidInput:
                continue  # a name of an uninstalled runtime is not offered
            found.append(self._info(name, runtime))
        return found

    @staticmethod
    def _versions(installed: list[str]) -> list[str]:
        return [name.removeprefix(_PREFIX) for name in installed]

    def _choice(self, requested: str | None, name: str, *, via: str | None = None) -> EngineChoice:
        return EngineChoice(requested, name, name.removeprefix(_PREFIX), via)

    def _info(self, name: str, runtime: str) -> EngineVersionInfo:
        return EngineVersionInfo(
            name=name,
            runtime=runtime,
            is_default=name == self.default,
            support_native_savepoint=_native_savepoints(runtime),
            flink_version=runtime.removeprefix(_PREFIX),
        )

    def _alias(self, requested: str) -> str | None:
        if requested in self.aliases:
            return self.aliases[requested]
        for pattern, target in self.aliases.items():
            if _is_pattern(pattern) and fnmatch.fnmatchcase(requested, pattern):
                return target
        return None

    def _target(self, requested: str, target: str, installed: list[str]) -> str:
        if target == DEFAULT_TARGET:
            return installed[0]
        if target in installed:
            return target
        version = flink_version_of(target)
        if version is not None:
            try:
                picked = choose_runtime(version, installed=self._versions(installed), table={})
            except InvalidInput as exc:
                raise InvalidInput(
                    f"engine version alias {requested!r} points at {target!r}: {exc}",
                    code=ErrorCode.INVALID_ENGINE_VERSION,
                ) from exc
            return runtime_name(picked.runtime)
        raise InvalidInput(
            f"engine version alias {requested!r} points at {target!r}, which is not "
            f"installed; installed: {', '.join(installed)}",
            code=ErrorCode.INVALID_ENGINE_VERSION,
        )


def _is_pattern(name: str) -> bool:
    return _PATTERN.search(name) is not None


def _newest_first(name: str) -> tuple[int, int, int]:
    version = flink_version_of(name)
    if version is None:
        return (1, 0, 0)  # unparsable names last, in their order
    major, minor, patch = version.sort_key()
    return (-major, -minor, -patch)


def _native_savepoints(runtime: str) -> bool | None:
    """Flink takes savepoints in the native format since 1.15; None if unknown."""
    version = flink_version_of(runtime)
    if version is None:
        return None
    return (version.major, version.minor) >= _NATIVE_SAVEPOINTS_SINCE
