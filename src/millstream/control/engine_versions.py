"""Engine versions: the installed Flink runtimes and the managed-service names aliased to them.

Managed services name versions their own way (``vvr-8.0.9-flink-1.17``,
``FLINK_VERSION_1_16``). An alias is configured explicitly (``flink.version_aliases``:
exact name or glob pattern -> installed runtime, ``default`` for the default runtime); a
name that is neither installed nor aliased is rejected with the valid list.
ListEngineVersionMetadata shows ``metadata()``: every installed runtime and every exact
alias (patterns cannot be picked from a list, so they are only named in errors).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from millstream.domain.errors import ErrorCode, InvalidInput

__all__ = ["DEFAULT_ALIASES", "DEFAULT_TARGET", "EngineVersionInfo", "EngineVersions"]

DEFAULT_TARGET = "default"

DEFAULT_ALIASES: Mapping[str, str] = {
    # The names the seeds and the managed services' documentation use...
    "vvr-8.0.9-flink-1.17": DEFAULT_TARGET,
    "vvr-4.0.14-flink-1.13": DEFAULT_TARGET,
    "FLINK_VERSION_1_16": DEFAULT_TARGET,
    # ...and their families.
    "vvr-*-flink-*": DEFAULT_TARGET,
    # Volcengine's SDK enumerates exactly these three; any other FLINK_VERSION_x_y is unknown.
    "FLINK_VERSION_1_1[167]": DEFAULT_TARGET,
    "flink-1.*": DEFAULT_TARGET,
    "flink-2.*": DEFAULT_TARGET,
    "blink-*": DEFAULT_TARGET,
}

_PATTERN = re.compile(r"[*?\[]")
_FLINK_VERSION = re.compile(r"(\d+)\.(\d+)")
_NATIVE_SAVEPOINTS_SINCE = (1, 15)


@dataclass(frozen=True, slots=True)
class EngineVersionInfo:
    """One entry of ListEngineVersionMetadata (SDK ``EngineVersionMetadata``)."""

    name: str
    runtime: str  # the installed runtime that runs it
    is_default: bool
    status: str = "STABLE"  # STABLE, BETA, DEPRECATED or EXPIRED
    use_for_sql_deployments: bool = True
    support_native_savepoint: bool | None = None


@dataclass(frozen=True, slots=True)
class EngineVersions:
    installed: Sequence[str]
    aliases: Mapping[str, str]

    @property
    def default(self) -> str:
        return self.installed[0]

    def resolve(self, requested: str | None) -> str:
        """The installed runtime that runs ``requested`` (None: the default)."""
        if requested is None or requested == "":
            return self.default
        if requested in self.installed:
            return requested
        if requested in self.aliases:
            return self._target(self.aliases[requested])
        for pattern, target in self.aliases.items():
            if _is_pattern(pattern) and fnmatch.fnmatchcase(requested, pattern):
                return self._target(target)
        valid = ", ".join([*self.installed, *self.aliases])
        raise InvalidInput(
            f"engine version {requested!r} is not available here; valid: {valid}",
            code=ErrorCode.INVALID_ENGINE_VERSION,
        )

    def metadata(self) -> list[EngineVersionInfo]:
        """Installed runtimes (default first), then exact aliases that resolve."""
        found = [self._info(name, name) for name in self.installed]
        for alias, target in self.aliases.items():
            if _is_pattern(alias) or alias in self.installed:
                continue
            try:
                runtime = self._target(target)
            except InvalidInput:
                continue  # an alias of an uninstalled runtime is not offered
            found.append(self._info(alias, runtime))
        return found

    def _info(self, name: str, runtime: str) -> EngineVersionInfo:
        return EngineVersionInfo(
            name=name,
            runtime=runtime,
            is_default=name == self.default,
            support_native_savepoint=_native_savepoints(runtime),
        )

    def _target(self, name: str) -> str:
        if name == DEFAULT_TARGET:
            return self.default
        if name not in self.installed:
            raise InvalidInput(
                f"engine version alias points at {name!r}, which is not installed; "
                f"installed: {', '.join(self.installed)}",
                code=ErrorCode.INVALID_ENGINE_VERSION,
            )
        return name


def _is_pattern(name: str) -> bool:
    return _PATTERN.search(name) is not None


def _native_savepoints(runtime: str) -> bool | None:
    """Flink takes savepoints in the native format since 1.15; None if unknown."""
    match = _FLINK_VERSION.search(runtime)
    if match is None:
        return None
    return (int(match[1]), int(match[2])) >= _NATIVE_SAVEPOINTS_SINCE
