"""``ExternalKeys``: the secondary identifiers API dialects show instead of UUIDs.

A dialect declares its key spaces once, e.g.
``KeySpace("dialect.job", KeyKind.NUMBER, KeyedEntity.DEPLOYMENT)``, and calls this
service from its mappers and routes: ``number_of`` / ``key_of`` when it renders an entity
(a number is allocated on first use, then stable forever), ``entity_of`` when a request
names one by key, ``set_name`` / ``name_of`` for spaces of names. The scope is the
dialect's: ``""`` for keys unique per space, a workspace or a project for keys unique
per scope.

Keys are deleted with their entity; a number is never handed out again (the store keeps
a counter per space and scope that only grows). Wired by the app factory as
``Services.external_keys``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from millstream.control.ports import ExternalKeyRepositories, ExternalKeyStore
from millstream.domain.errors import Conflict, NotFound
from millstream.domain.external_keys import ExternalKey, KeyKind, KeySpace

__all__ = ["ExternalKeys"]

_T = TypeVar("_T")

# A conflict on allocation means a concurrent transaction gave one of the entities its key
# first; the next attempt reads it. Each loss leaves one entity fewer to allocate, so a
# call for n entities loses at most n times; a few more cover keys deleted meanwhile.
_SPARE_ATTEMPTS = 3


class ExternalKeys:
    """Allocate, set and resolve external keys; every call is its own transaction."""

    def __init__(self, store: ExternalKeyStore) -> None:
        self._store = store

    def key_of(self, space: KeySpace, entity_id: str, scope: str = "") -> int | str:
        """The entity's key: its number (allocated now if it has none) or its name
        (``NotFound`` if none was set)."""
        if space.kind is KeyKind.NUMBER:
            return self.number_of(space, entity_id, scope)
        return self.name_of(space, entity_id, scope)

    def number_of(self, space: KeySpace, entity_id: str, scope: str = "") -> int:
        """Get or allocate the entity's number in ``space`` / ``scope``."""
        return self.numbers_of(space, [entity_id], scope)[entity_id]

    def numbers_of(
        self, space: KeySpace, entity_ids: Iterable[str], scope: str = ""
    ) -> dict[str, int]:
        """Get or allocate the numbers of several entities in one transaction (a page)."""
        _require(space, KeyKind.NUMBER)
        KeySpace.check_scope(scope)
        wanted = list(dict.fromkeys(entity_ids))

        def attempt(repos: ExternalKeyRepositories) -> dict[str, int]:
            found = {
                key.entity_id: key
                for key in repos.read_external_keys(space=space.name, entity_ids=wanted)
            }
            numbers: dict[str, int] = {}
            for entity_id in wanted:
                key = found.get(entity_id) or _allocate(repos, space, scope, entity_id)
                numbers[entity_id] = _number(_in_scope(key, scope))
            return numbers

        return self._retrying(attempt, attempts=len(wanted) + _SPARE_ATTEMPTS)

    def name_of(self, space: KeySpace, entity_id: str, scope: str = "") -> str:
        """The name set for the entity in ``space``; ``NotFound`` if it has none."""
        _require(space, KeyKind.NAME)
        with self._store.transaction() as repos:
            key = repos.read_external_key(space=space.name, entity_id=entity_id)
        if key is None or key.name is None:
            raise NotFound(
                f"{space.entity.value} {entity_id} has no name in key space {space.name!r}",
                code=space.not_found_code,
            )
        return _in_scope(key, scope).name or ""

    def set_name(self, space: KeySpace, entity_id: str, name: str, scope: str = "") -> None:
        """Give the entity ``name`` (or rename it); ``Conflict`` if another entity of
        the scope has it."""
        _require(space, KeyKind.NAME)
        space.check_key(name)
        KeySpace.check_scope(scope)
        with self._store.transaction() as repos:
            repos.assign_external_name(
                space=space.name, scope=scope, entity=space.entity, entity_id=entity_id, name=name
            )

    def entity_of(self, space: KeySpace, key: int | str, scope: str = "") -> str:
        """The id of the deployment or job with ``key``; ``NotFound`` (with the
        deployment's or job's not-found code) when none has it, or it was deleted."""
        space.check_key(key)
        with self._store.transaction() as repos:
            found = repos.read_external_key_by_value(space=space.name, scope=scope, value=key)
        if found is None:
            raise space.not_found(key, scope)
        return found.entity_id

    def _retrying(self, attempt: Callable[[ExternalKeyRepositories], _T], *, attempts: int) -> _T:
        for _ in range(attempts - 1):
            try:
                with self._store.transaction() as repos:
                    return attempt(repos)
            except _LostRace:
                continue  # rolled back; the next attempt reads the winner's key
        try:
            with self._store.transaction() as repos:
                return attempt(repos)
        except _LostRace as race:
            raise race.conflict from race


class _LostRace(Exception):
    """A concurrent transaction gave the entity its key between our read and write."""

    def __init__(self, conflict: Conflict) -> None:
        super().__init__(str(conflict))
        self.conflict = conflict


def _allocate(
    repos: ExternalKeyRepositories, space: KeySpace, scope: str, entity_id: str
) -> ExternalKey:
    try:
        return repos.allocate_external_number(
            space=space.name,
            scope=scope,
            entity=space.entity,
            entity_id=entity_id,
            first_number=space.first_number,
        )
    except Conflict as conflict:
        raise _LostRace(conflict) from conflict


def _require(space: KeySpace, kind: KeyKind) -> None:
    # A dialect calling the wrong method for its space is a bug, not bad user input.
    if space.kind is not kind:
        raise ValueError(
            f"key space {space.name!r} holds {space.kind.value.lower()}s, not {kind.value.lower()}s"
        )


def _in_scope(key: ExternalKey, scope: str) -> ExternalKey:
    if key.scope != scope:
        raise Conflict(
            f"{key.entity_id} has its key in scope {key.scope!r} of key space {key.space!r}, "
            f"not in {scope!r}"
        )
    return key


def _number(key: ExternalKey) -> int:
    if key.number is None:
        raise Conflict(f"{key.entity_id} has a name, not a number, in key space {key.space!r}")
    return key.number
