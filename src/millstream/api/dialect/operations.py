"""A dialect's operation table: every operation it serves, by name, read or write.

RBAC (``api.auth.rbac``) and the audit log (``api.auth.audit``) decide from this table,
never from the HTTP method or the path: a read may be a POST (native
``ValidateSqlStatement``) and a write may be a GET (native ``GetPreSignedUrlForPutObject``
issues an upload URL). Each route names its operation; ``DialectRoute`` refuses a route
whose name is not in its dialect's table, so an operation cannot be served undeclared.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["Access", "Operation", "OperationTable", "read", "write"]


class Access(enum.StrEnum):
    """What an operation needs in its namespace: the role's read or write permission."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a dialect, e.g. ``Operation("CreateDeployment", Access.WRITE)``.

    ``scoped``: the guard checks the caller's role in the request's (workspace,
    namespace) before the handler runs. ``False`` for operations outside a namespace
    (engine versions) or whose service checks the caller itself (members, access keys).
    """

    name: str
    access: Access
    scoped: bool = True

    @property
    def writes(self) -> bool:
        return self.access is Access.WRITE


def read(name: str, *, scoped: bool = True) -> Operation:
    return Operation(name, Access.READ, scoped)


def write(name: str, *, scoped: bool = True) -> Operation:
    return Operation(name, Access.WRITE, scoped)


class OperationTable(Mapping[str, Operation]):
    """The operations of one dialect by name; a name declared twice is an error."""

    def __init__(self, dialect: str, operations: Iterable[Operation]) -> None:
        self.dialect = dialect
        self._by_name: dict[str, Operation] = {}
        for operation in operations:
            if operation.name in self._by_name:
                raise ValueError(f"{dialect}: operation {operation.name!r} declared twice")
            self._by_name[operation.name] = operation

    def __getitem__(self, name: str) -> Operation:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def label(self, operation: Operation) -> str:
        """How the audit log names it: ``native:CreateDeployment``."""
        return f"{self.dialect}:{operation.name}"
