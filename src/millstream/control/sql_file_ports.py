"""Ports of the SQL file use cases (``SqlFileStore``).

``store.sql_files.SqlFileStore`` implements it; ``control.services.sql_files`` is its
caller. Separate from ``catalog_ports.py`` so SQL files can be wired (and faked) alone.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from millstream.domain.sql_files import SqlFile

__all__ = ["SqlFileRepositories", "SqlFileStore"]


class SqlFileRepositories(Protocol):
    def read_sql_file(self, *, workspace: str, namespace: str, sql_file_id: str) -> SqlFile | None:
        """The SQL file of that id in the namespace (``None`` elsewhere)."""
        ...

    def read_sql_file_by_name(
        self, *, workspace: str, namespace: str, folder_id: int, name: str
    ) -> SqlFile | None: ...
    def count_sql_files(self, *, workspace: str, namespace: str, folder_id: int) -> int: ...
    def create_sql_file(self, *, sql_file: SqlFile) -> None:
        """``Conflict`` if the folder has a SQL file of that name."""
        ...

    def update_sql_file(self, *, sql_file: SqlFile) -> None:
        """``Conflict`` if the (new) folder has another SQL file of that name."""
        ...

    def delete_sql_file(self, *, sql_file_id: str) -> None: ...


class SqlFileStore(Protocol):
    def transaction(self) -> AbstractContextManager[SqlFileRepositories]:
        """One unit of work: commit on success, roll back on any exception."""
        ...
