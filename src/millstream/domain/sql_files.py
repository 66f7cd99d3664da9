"""SQL files: named SQL scripts kept in a folder of a namespace (DESIGN.md §2, issue 17).

A SQL file is a draft a user edits and runs later (e.g. on a session cluster): a name,
unique within its folder, the script itself (bounded by ``MAX_SCRIPT_BYTES``), an
optional description, the session cluster it is meant for and whether it runs in batch
mode. The folder is a ``domain.folders.Folder`` id (0: the root). The SQL file service
(``control.services.sql_files``) calls the checks here; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from millstream.domain.errors import InvalidInput, PayloadTooLarge
from millstream.domain.names import has_control_characters

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_NAME",
    "MAX_SCRIPT_BYTES",
    "SqlFile",
    "check_description",
    "check_script",
    "check_session_cluster",
    "check_sql_file_name",
]

MAX_NAME = 128
MAX_SCRIPT_BYTES = 1024 * 1024
MAX_DESCRIPTION = 2000


@dataclass(slots=True)
class SqlFile:
    """One SQL file; ``id`` is chosen by the service when it is created."""

    id: str
    workspace: str
    namespace: str
    folder_id: int
    name: str
    script: str
    description: str | None = None
    session_cluster: str | None = None
    batch: bool = False
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None


def check_sql_file_name(name: str) -> str:
    """``name`` if it can name a SQL file: 1-128 printable characters, no ``/``, no
    leading or trailing blanks; ``InvalidInput`` saying what is wrong otherwise."""
    if not name or not name.strip():
        raise InvalidInput("a SQL file needs a name, e.g. 'daily_report.sql'")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a SQL file name has at most {MAX_NAME} characters, got {len(name)}")
    if name != name.strip():
        raise InvalidInput(f"SQL file name {name[:40]!r} starts or ends with blanks")
    if "/" in name or "\\" in name:
        raise InvalidInput(
            f"SQL file name {name[:40]!r} contains a slash; choose the folder with the parent id"
        )
    if has_control_characters(name) or not name.isprintable():
        raise InvalidInput(f"SQL file name {name[:40]!r} contains control characters")
    return name


def check_script(script: str) -> str:
    """``script`` if it fits: at most ``MAX_SCRIPT_BYTES`` bytes of UTF-8, no NUL."""
    try:
        size = len(script.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput("a SQL script must be valid Unicode (no lone surrogates)") from None
    if size > MAX_SCRIPT_BYTES:
        raise PayloadTooLarge(
            f"a SQL script has at most {MAX_SCRIPT_BYTES} bytes, got {size}; split it into files"
        )
    if "\x00" in script:
        raise InvalidInput("a SQL script cannot contain NUL characters")
    return script


def check_description(description: str | None) -> str | None:
    """``description`` if it fits: at most ``MAX_DESCRIPTION`` characters, no NUL."""
    if description is None:
        return None
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"a SQL file description has at most {MAX_DESCRIPTION} characters, "
            f"got {len(description)}"
        )
    if "\x00" in description or not _encodable(description):
        raise InvalidInput(
            "a SQL file description cannot contain NUL characters or lone surrogates"
        )
    return description


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_session_cluster(name: str | None) -> str | None:
    """``name`` if it can name a session cluster (empty means none)."""
    if not name:
        return None
    if len(name) > MAX_NAME or has_control_characters(name) or name != name.strip():
        raise InvalidInput(
            f"session cluster name {name[:40]!r} must be 1-{MAX_NAME} printable characters"
        )
    return name
