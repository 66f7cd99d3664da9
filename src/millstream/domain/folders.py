"""Folders: a namespace's tree of paths that deployments are filed under (DESIGN.md §2).

A folder is a path (``/a/b``) in one namespace with a stable integer id; the root ``/``
always exists and has id 0, every other folder's parent must exist. Moving a folder
rewrites its path and its descendants' paths and keeps every id, so what is filed under
an id moves with it. The folder service (``control.services.folders``) and the store
call these; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from millstream.domain.errors import InvalidInput

__all__ = [
    "MAX_DEPTH",
    "MAX_SEGMENT",
    "ROOT",
    "ROOT_ID",
    "Folder",
    "moved_path",
    "normalize_folder_path",
    "parent_path",
    "within",
]

ROOT = "/"
ROOT_ID = 0
MAX_SEGMENT = 128
MAX_DEPTH = 16


@dataclass(slots=True)
class Folder:
    """A folder of one namespace; ``id`` is set by the store when it is created."""

    workspace: str
    namespace: str
    path: str
    id: int = ROOT_ID
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    @property
    def name(self) -> str:
        """The last segment of the path (empty for the root)."""
        return self.path.rsplit("/", 1)[-1]


def normalize_folder_path(path: str) -> str:
    """``path`` in its one spelling: a leading ``/``, no trailing ``/``, no empty, ``.``
    or ``..`` segments; ``InvalidInput`` saying what is wrong otherwise."""
    raw = path.strip()
    if not raw.startswith("/"):
        raise InvalidInput(f"a folder path starts with '/', got {raw[:60]!r}")
    segments = raw.strip("/").split("/") if raw.strip("/") else []
    if len(segments) > MAX_DEPTH:
        raise InvalidInput(f"a folder path has at most {MAX_DEPTH} levels, got {len(segments)}")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidInput(
                f"folder path {raw[:60]!r} has an empty, '.' or '..' segment; "
                "write it as /name/name"
            )
        if len(segment) > MAX_SEGMENT or not segment.isprintable():
            raise InvalidInput(
                f"folder name {segment[:40]!r} must be 1-{MAX_SEGMENT} printable characters"
            )
    return "/" + "/".join(segments)


def parent_path(path: str) -> str:
    """The path of the folder holding ``path`` (the root's parent is the root)."""
    head = path.rsplit("/", 1)[0]
    return head or ROOT


def within(path: str, ancestor: str) -> bool:
    """``path`` is ``ancestor`` or lies below it."""
    if ancestor == ROOT:
        return True
    return path == ancestor or path.startswith(ancestor + "/")


def moved_path(path: str, source: str, destination: str) -> str:
    """Where ``path`` (``source`` or below it) lands when ``source`` moves to
    ``destination``."""
    if not within(path, source) or source == ROOT:
        raise InvalidInput(f"{path!r} is not inside the moved folder {source!r}")
    return destination + path[len(source) :]
