"""Dependency files of a JAR deployment: files its job reads as ``userData/<name>``.

DLI's ``dependency_files`` (seed 002: "the application accesses the file as
``ClassName.class.getClassLoader().getResource("userData/fileName")``"). The domain
``Artifact`` has no field for them yet, so the URIs travel in its ``extra`` document
under ``USER_FILES_KEY`` (a JSON list), written by the dialect that accepts them and read
by the engine's JAR submitter (``engine.jar_submitter``, ``engine.user_data``), which
checks and ships them. ``<name>`` is the last path segment of each URI.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from millstream.domain.artifacts import Artifact

__all__ = ["USER_FILES_KEY", "user_files", "with_user_files"]

USER_FILES_KEY = "millstream.userFiles"


def user_files(artifact: Artifact) -> tuple[str, ...]:
    """The artifact's dependency file URIs (none when unset or unreadable)."""
    raw = artifact.extra.get(USER_FILES_KEY)
    if not raw:
        return ()
    try:
        found = json.loads(raw)
    except ValueError:
        return ()
    if not isinstance(found, list):
        return ()
    return tuple(str(uri) for uri in found if isinstance(uri, str) and uri.strip())


def with_user_files(extra: Mapping[str, str], uris: Iterable[str]) -> dict[str, str]:
    """``extra`` with the dependency files set (removed when ``uris`` is empty)."""
    updated = {k: v for k, v in extra.items() if k != USER_FILES_KEY}
    listed = [uri for uri in uris if uri.strip()]
    if listed:
        updated[USER_FILES_KEY] = json.dumps(listed)
    return updated
