"""Namespace variable use cases (CreateVariable, ListVariables, UpdateVariable,
DeleteVariable) and the lookup ``JobService``/``DeploymentService`` substitute with.

Encrypted values are encrypted with the ``SecretCipher`` before they reach the store and
decrypted only in ``resolve`` (for substitution); every read the API makes returns the
``Variable`` whose ``shown_value`` masks them. The store is a port of its own
(``VariableStore``, implemented by ``store.variables.SqlVariableStore``) so the other
``Repositories`` implementers are unaffected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from millstream.control.access_ports import SecretCipher
from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from millstream.domain.variables import (
    MASK,
    Variable,
    VariableKind,
    check_value,
    validate_variable_name,
)

__all__ = [
    "NamespaceVariables",
    "ResolvedVariables",
    "VariableRepositories",
    "VariableService",
    "VariableStore",
]


class VariableRepositories(Protocol):
    """Reads and writes inside one transaction. ``create_variable`` raises ``Conflict``
    for a name the namespace already has; update/delete of a missing one ``NotFound``."""

    def namespace_exists(self, *, workspace: str, namespace: str) -> bool: ...
    def read_variable(self, *, workspace: str, namespace: str, name: str) -> Variable | None: ...
    def read_variables(
        self, *, workspace: str, namespace: str, page: Page | None = None
    ) -> tuple[list[Variable], int]:
        """Sorted by name; ``page=None`` reads them all."""
        ...

    def create_variable(self, *, variable: Variable) -> None: ...
    def update_variable(self, *, variable: Variable) -> None: ...
    def delete_variable(self, *, workspace: str, namespace: str, name: str) -> None: ...


class VariableStore(Protocol):
    def transaction(self) -> AbstractContextManager[VariableRepositories]:
        """One unit of work: commit on success, roll back on any exception."""
        ...

    def reading(self) -> AbstractContextManager[VariableRepositories]:
        """A unit of work that only reads (no transaction around it where the store
        can do without one)."""
        ...


@dataclass(frozen=True, slots=True)
class ResolvedVariables:
    """A namespace's variables in clear, for substitution only (never for display)."""

    values: Mapping[str, str] = field(default_factory=dict)
    secret: frozenset[str] = frozenset()  # names of Encrypted variables

    def public(self) -> dict[str, str]:
        """The values that may be stored and shown (Plain variables)."""
        return {name: value for name, value in self.values.items() if name not in self.secret}

    def secret_values(self) -> tuple[str, ...]:
        """The clear values of the Encrypted variables: what ``mask_secrets`` hides."""
        return tuple(value for name, value in self.values.items() if name in self.secret)

    def masked(self) -> dict[str, str]:
        """Every variable, with Encrypted ones standing as ``MASK``: enough to plan a
        script without handing its secrets to the planner (SQL validation)."""
        return {name: MASK if name in self.secret else v for name, v in self.values.items()}


class NamespaceVariables(Protocol):
    """What the job and deployment services need: a namespace's variables in clear."""

    def resolve(self, scope: Scope) -> ResolvedVariables: ...


class VariableService:
    def __init__(
        self,
        store: VariableStore,
        cipher: SecretCipher,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._clock = clock

    def create(
        self,
        scope: Scope,
        actor: Actor,
        name: str,
        value: str | None,
        *,
        kind: VariableKind = VariableKind.PLAIN,
        description: str | None = None,
    ) -> Variable:
        validate_variable_name(name)
        now = self._clock()
        variable = Variable(
            workspace=scope.workspace,
            namespace=scope.namespace,
            name=name,
            kind=kind,
            description=description,
            creator=actor.id,
            modifier=actor.id,
            created_at=now,
            modified_at=now,
        )
        self._set_value(variable, check_value(name, value))
        variable.validate()
        with self._store.transaction() as repos:
            self._require_namespace(repos, scope)
            if repos.read_variable(workspace=scope.workspace, namespace=scope.namespace, name=name):
                raise _exists(scope, name)
            repos.create_variable(variable=variable)
        return variable

    def get(self, scope: Scope, name: str) -> Variable:
        with self._store.transaction() as repos:
            return self._read(repos, scope, name)

    def list(self, scope: Scope, page: Page) -> tuple[list[Variable], int]:
        with self._store.transaction() as repos:
            self._require_namespace(repos, scope)
            return repos.read_variables(
                workspace=scope.workspace, namespace=scope.namespace, page=page
            )

    def update(
        self,
        scope: Scope,
        actor: Actor,
        name: str,
        *,
        value: str | None = None,
        kind: VariableKind | None = None,
        description: str | None = None,
    ) -> Variable:
        """Change what is given. The value of an Encrypted variable is kept when
        ``value`` is ``None`` or the mask a reader saw; changing the kind needs a value."""
        with self._store.transaction() as repos:
            variable = self._read(repos, scope, name)
            keep_secret = variable.kind is VariableKind.ENCRYPTED and value == MASK
            new_kind = kind or variable.kind
            if value is None or keep_secret:
                if new_kind is not variable.kind:
                    raise _needs_value(name, new_kind)
            else:
                variable.kind = new_kind
                self._set_value(variable, check_value(name, value))
            if description is not None:
                variable.description = description
            variable.modifier = actor.id
            variable.modified_at = self._clock()
            variable.validate()
            repos.update_variable(variable=variable)
        return variable

    def delete(self, scope: Scope, actor: Actor, name: str) -> Variable:  # noqa: ARG002
        with self._store.transaction() as repos:
            variable = self._read(repos, scope, name)
            repos.delete_variable(workspace=scope.workspace, namespace=scope.namespace, name=name)
        return variable

    def resolve(self, scope: Scope) -> ResolvedVariables:
        """Every variable of the namespace in clear (Encrypted ones decrypted)."""
        with self._store.reading() as repos:
            found, _ = repos.read_variables(workspace=scope.workspace, namespace=scope.namespace)
        values: dict[str, str] = {}
        secret: set[str] = set()
        for variable in found:
            if variable.kind is VariableKind.ENCRYPTED and variable.ciphertext is not None:
                values[variable.name] = self._cipher.decrypt(variable.ciphertext)
                secret.add(variable.name)
            else:
                values[variable.name] = variable.value or ""
        return ResolvedVariables(values=values, secret=frozenset(secret))

    def _set_value(self, variable: Variable, value: str) -> None:
        if variable.kind is VariableKind.ENCRYPTED:
            variable.value, variable.ciphertext = None, self._cipher.encrypt(value)
        else:
            variable.value, variable.ciphertext = value, None

    @staticmethod
    def _require_namespace(repos: VariableRepositories, scope: Scope) -> None:
        if not repos.namespace_exists(workspace=scope.workspace, namespace=scope.namespace):
            raise NotFound(
                f"namespace {scope.namespace!r} not found in workspace {scope.workspace!r}",
                code=ErrorCode.NAMESPACE_NOT_FOUND,
            )

    def _read(self, repos: VariableRepositories, scope: Scope, name: str) -> Variable:
        self._require_namespace(repos, scope)
        found = repos.read_variable(workspace=scope.workspace, namespace=scope.namespace, name=name)
        if found is None:
            raise NotFound(
                f"variable {name!r} not found in namespace {scope.namespace!r}",
                code=ErrorCode.VARIABLE_NOT_FOUND,
            )
        return found


def _exists(scope: Scope, name: str) -> Conflict:
    return Conflict(
        f"a variable named {name!r} already exists in namespace {scope.namespace!r}; "
        "update it instead",
        code=ErrorCode.VARIABLE_EXISTS,
    )


def _needs_value(name: str, kind: VariableKind) -> InvalidInput:
    return InvalidInput(
        f"changing variable {name!r} to {kind.value} needs its value",
        code=ErrorCode.INVALID_VARIABLE_VALUE,
    )
