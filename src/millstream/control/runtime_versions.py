"""Flink versions, and which installed runtime runs a version a user names.

Runtimes exist here for Flink 1.18 and newer (the releases that run on Java 17). A version
whose line has no runtime installed runs on the first installed runtime an explicit table
names for it (``flink.version_map``, default ``DEFAULT_VERSION_MAP``: 1.10-1.19 on the newest
1.20.x, Flink's long-term-support line, else 2.3; 2.0-2.2 on 2.3); a version the table does
not name, or whose targets are not installed, is a clear error, never a silent substitute.
Pure functions: callers pass the installed versions.

``control/engine_versions.py`` resolves engine version names with ``choose_runtime``;
``engine/runtimes.py`` parses versions with ``FlinkVersion``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from millstream.domain.errors import ErrorCode, InvalidInput

__all__ = [
    "DEFAULT_VERSION_MAP",
    "MIN_RUNTIME",
    "FlinkVersion",
    "RuntimeChoice",
    "check_version_map",
    "choose_runtime",
    "flink_version_of",
    "map_targets",
]

_VERSION = re.compile(r"(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?")
# Names that carry a Flink version: "vvr-8.0.9-flink-1.17", "flink-1.20.5", "1.15",
# "FLINK_VERSION_1_17" (Volcengine).
_NAMED = re.compile(r"(?:.*-)?flink-(\d{1,3}\.\d{1,3}(?:\.\d{1,3})?)", re.IGNORECASE)
_VOLCENGINE = re.compile(r"FLINK_VERSION_(\d{1,3})_(\d{1,3})")


@dataclass(frozen=True, slots=True)
class FlinkVersion:
    """``major.minor`` (a release line: "the newest 1.20.x") or ``major.minor.patch``."""

    major: int
    minor: int
    patch: int | None = None

    @classmethod
    def parse(cls, text: str) -> FlinkVersion:
        """``"1.20"`` or ``"1.20.5"``; anything else is ``InvalidInput``."""
        match = _VERSION.fullmatch(text.strip())
        if match is None:
            raise InvalidInput(
                f"{text!r} is not a Flink version: write MAJOR.MINOR (e.g. 1.20, the newest "
                "1.20.x) or MAJOR.MINOR.PATCH (e.g. 1.20.1)",
                code=ErrorCode.INVALID_ENGINE_VERSION,
            )
        patch = match[3]
        return cls(int(match[1]), int(match[2]), None if patch is None else int(patch))

    @property
    def line(self) -> FlinkVersion:
        """The release line, ``major.minor``."""
        return FlinkVersion(self.major, self.minor)

    @property
    def is_exact(self) -> bool:
        return self.patch is not None

    def sort_key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, -1 if self.patch is None else self.patch)

    def matches(self, other: FlinkVersion) -> bool:
        """Whether ``other`` is this version, or on this line when no patch is given."""
        return self.line == other.line and (self.patch is None or self.patch == other.patch)

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}"
        return base if self.patch is None else f"{base}.{self.patch}"


MIN_RUNTIME = FlinkVersion(1, 18)

# Each Flink line without a runtime of its own -> the lines that run it, in order of
# preference (the first one installed wins). 1.x jobs prefer 1.20, Flink's long-term-support
# line (2.0 removed SourceFunction, the DataSet API...); 2.3 is their last resort, and the
# job's events say so. Changeable: ``flink.version_map``.
DEFAULT_VERSION_MAP: Mapping[str, str] = {
    **{f"1.{minor}": "1.20,2.3" for minor in range(10, 20)},
    "1.20": "2.3",
    **{f"2.{minor}": "2.3" for minor in range(3)},
}


@dataclass(frozen=True, slots=True)
class RuntimeChoice:
    """The runtime that runs a requested Flink version, and whether the table chose it."""

    requested: FlinkVersion
    runtime: str  # an installed runtime's full version, e.g. "1.20.5"
    mapped: bool  # True: the requested line has no runtime here; the table named this one

    def describe(self) -> str:
        if self.mapped:
            return (
                f"Flink {self.requested} runs on runtime {self.runtime} "
                "(mapped by flink.version_map)"
            )
        return f"Flink {self.requested} runs on runtime {self.runtime}"


def flink_version_of(engine_version: str) -> FlinkVersion | None:
    """The Flink version an engine version name carries (``vvr-8.0.9-flink-1.17`` -> 1.17,
    ``FLINK_VERSION_1_17`` -> 1.17, ``1.15`` -> 1.15), or None when it names none."""
    if match := _VOLCENGINE.fullmatch(engine_version):
        return FlinkVersion(int(match[1]), int(match[2]))
    if match := _NAMED.fullmatch(engine_version):
        return FlinkVersion.parse(match[1])
    if _VERSION.fullmatch(engine_version):
        return FlinkVersion.parse(engine_version)
    return None


def map_targets(value: str) -> list[FlinkVersion]:
    """A table entry's runtimes in order of preference: ``"1.20,2.3"``."""
    return [FlinkVersion.parse(part) for part in value.split(",") if part.strip()]


def choose_runtime(
    requested: str | FlinkVersion, *, installed: Iterable[str], table: Mapping[str, str]
) -> RuntimeChoice:
    """The installed runtime that runs ``requested``: one of its own line (that patch when
    installed, else the newest), else the first installed one ``table`` names for it;
    else ``InvalidInput`` saying what to install or configure."""
    version = requested if isinstance(requested, FlinkVersion) else FlinkVersion.parse(requested)
    runtimes = sorted(_exact_versions(installed), key=FlinkVersion.sort_key)
    mapped_to = table.get(str(version)) or table.get(str(version.line))
    targets = map_targets(mapped_to) if mapped_to is not None else []
    own = [runtime for runtime in runtimes if version.line == runtime.line]
    if own:
        exact = [runtime for runtime in own if version.matches(runtime)]
        return RuntimeChoice(requested=version, runtime=str((exact or own)[-1]), mapped=False)
    for target in targets:
        if target.line.sort_key() < MIN_RUNTIME.sort_key():
            raise InvalidInput(
                _unmapped_message(version, mapped_to), code=ErrorCode.INVALID_ENGINE_VERSION
            )
        fitting = [runtime for runtime in runtimes if target.matches(runtime)]
        if fitting:
            return RuntimeChoice(requested=version, runtime=str(fitting[-1]), mapped=True)
    have = ", ".join(str(r) for r in reversed(runtimes)) or "none"
    if mapped_to is not None:
        wanted = " or ".join(str(t) for t in targets)
        raise InvalidInput(
            f"no Flink {wanted} runtime is installed (flink.version_map maps Flink {version} "
            f"to it); installed: {have}. Install it with "
            f"`millstream runtimes install {targets[0]}`",
            code=ErrorCode.INVALID_ENGINE_VERSION,
        )
    if version.line.sort_key() < MIN_RUNTIME.sort_key():
        raise InvalidInput(_unmapped_message(version, None), code=ErrorCode.INVALID_ENGINE_VERSION)
    raise InvalidInput(
        f"no Flink {version} runtime is installed and flink.version_map does not map it; "
        f"installed: {have}. Install it with `millstream runtimes install {version.line}`",
        code=ErrorCode.INVALID_ENGINE_VERSION,
    )


def check_version_map(table: dict[str, str]) -> dict[str, str]:
    """Validate ``flink.version_map`` (for the settings): versions on both sides (a list of
    runtimes on the right, ``"1.20,2.3"``), every target a version that can have a runtime
    (1.18 or newer). Raises ``ValueError``."""
    for source, target in table.items():
        try:
            FlinkVersion.parse(source)
            goals = map_targets(target)
        except InvalidInput as exc:
            raise ValueError(f"flink.version_map {source!r}: {exc}") from exc
        if not goals:
            raise ValueError(f"flink.version_map maps {source!r} to nothing")
        for goal in goals:
            if goal.line.sort_key() < MIN_RUNTIME.sort_key():
                raise ValueError(
                    f"flink.version_map maps {source!r} to {target!r}, which can have no "
                    f"runtime here: targets must be Flink {MIN_RUNTIME} or newer"
                )
    return table


def _exact_versions(installed: Iterable[str]) -> list[FlinkVersion]:
    """The installed versions that parse (a broken runtime listed as "?" runs nothing)."""
    found = []
    for text in installed:
        with contextlib.suppress(InvalidInput):
            found.append(FlinkVersion.parse(text))
    return found


def _unmapped_message(version: FlinkVersion, mapped_to: str | None) -> str:
    if mapped_to is not None:
        return (
            f"flink.version_map maps Flink {version} to {mapped_to}, which can have no "
            f"runtime here (runtimes exist for Flink {MIN_RUNTIME} and newer)"
        )
    return (
        f"Flink {version} has no runtime here (runtimes exist for Flink {MIN_RUNTIME} and "
        f"newer) and flink.version_map does not map it; add e.g. "
        f"{{'{version.line}': '1.20'}} to run it on the newest 1.20.x"
    )
