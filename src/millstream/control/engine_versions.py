"""Engine versions: the installed Flink runtimes and the managed-service names aliased to them.

Managed services name versions their own way (``vvr-8.0.9-flink-1.17``,
``FLINK_VERSION_1_16``). An alias is configured explicitly (glob pattern -> installed
runtime); a name that is neither installed nor aliased is rejected with the valid list.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from millstream.domain.errors import InvalidInput

__all__ = ["DEFAULT_ALIASES", "EngineVersions"]

DEFAULT_ALIASES: Mapping[str, str] = {
    "vvr-*-flink-*": "default",
    "FLINK_VERSION_*": "default",
    "flink-1.*": "default",
    "flink-2.*": "default",
    "blink-*": "default",
}


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
        for pattern, target in self.aliases.items():
            if fnmatch.fnmatchcase(requested, pattern):
                return self.default if target == "default" else self._installed(target)
        valid = ", ".join([*self.installed, *self.aliases])
        raise InvalidInput(
            f"engine version {requested!r} is not available here; valid: {valid}",
            code="InvalidEngineVersion",
        )

    def _installed(self, name: str) -> str:
        if name not in self.installed:
            raise InvalidInput(f"engine version alias points at {name!r}, which is not installed")
        return name
