"""Application and instance ids: integers on the wire, UUIDs in the domain.

The SDK types ``JobId`` as an int and Volcengine's ids are long integers, so deployments
and jobs get a number in this dialect's key spaces (``ExternalKeys``, allocated on first
show, stable forever, never reused); the wire carries it as a decimal string where the
SDK types a string. Keys are unique per workspace (a Volcengine account), so an id alone
finds its entity, like Volcengine's global ids. Without an ``ExternalKeys`` service
(a bare test app) the UUIDs themselves are the ids. Used by the operation modules.
"""

from __future__ import annotations

from collections.abc import Iterable

from millstream.control.services.external_keys import ExternalKeys
from millstream.domain.errors import NotFound
from millstream.domain.external_keys import KeyedEntity, KeyKind, KeySpace

__all__ = ["APPLICATIONS", "INSTANCES", "Ids"]

# Volcengine's ids are 13-digit numbers; starting there keeps them looking the part.
_FIRST = 1_000_000_000_000
APPLICATIONS = KeySpace("volcengine.application", KeyKind.NUMBER, KeyedEntity.DEPLOYMENT, _FIRST)
INSTANCES = KeySpace("volcengine.instance", KeyKind.NUMBER, KeyedEntity.JOB, _FIRST)


class Ids:
    """Both directions for applications (deployments) and instances (jobs)."""

    def __init__(self, keys: ExternalKeys | None, *, workspace: str) -> None:
        self._keys = keys
        self._workspace = workspace

    def application(self, deployment_id: str) -> str:
        return self._number(APPLICATIONS, deployment_id)

    def applications(self, deployment_ids: Iterable[str]) -> dict[str, str]:
        return self._numbers(APPLICATIONS, deployment_ids)

    def instance(self, job_id: str) -> str:
        return self._number(INSTANCES, job_id)

    def instances(self, job_ids: Iterable[str]) -> dict[str, str]:
        return self._numbers(INSTANCES, job_ids)

    def deployment_id(self, wire: str) -> str:
        """The deployment an application id names; ``NotFound`` when none has it."""
        return self._entity(APPLICATIONS, wire)

    def job_id(self, wire: str) -> str:
        """The job an instance id names; ``NotFound`` when none has it."""
        return self._entity(INSTANCES, wire)

    def _number(self, space: KeySpace, entity_id: str) -> str:
        if self._keys is None:
            return entity_id
        return str(self._keys.number_of(space, entity_id, self._workspace))

    def _numbers(self, space: KeySpace, entity_ids: Iterable[str]) -> dict[str, str]:
        wanted = list(entity_ids)
        if self._keys is None:
            return {entity_id: entity_id for entity_id in wanted}
        if not wanted:
            return {}
        found = self._keys.numbers_of(space, wanted, self._workspace)
        return {entity_id: str(number) for entity_id, number in found.items()}

    def _entity(self, space: KeySpace, wire: str) -> str:
        text = wire.strip()
        if self._keys is None:
            return text
        if not text.isdigit() or len(text) > 19:
            # Not a number of ours: as unknown as a number nobody has.
            raise NotFound(
                f"{_WHAT[space.entity]} id {wire!r} is not valid: it must be the integer id "
                "Millstream returned",
                code=space.not_found_code,
            )
        return self._keys.entity_of(space, int(text), self._workspace)


_WHAT = {KeyedEntity.DEPLOYMENT: "application", KeyedEntity.JOB: "application instance"}
