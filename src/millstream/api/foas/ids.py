"""foas ``instanceId``: a signed 64-bit integer on the wire (``Long``), a Millstream job's
UUID in the domain.

Every job (run) of a deployment gets a number in the ``foas.instance`` key space
(``ExternalKeys``: allocated when first shown, stable, never reused), unique per
workspace; the document's ids look like ``412536``, so numbers start at 400000. A number
of another project's job is as unknown as a number nobody has (the job is read in the
caller's project). ``-1`` ("the current instance of a stream job", spec §2.1) is resolved
by the callers, not here. Used by ``instances``.
"""

from __future__ import annotations

from collections.abc import Iterable

from millstream.control.services.external_keys import ExternalKeys
from millstream.domain.errors import ErrorCode, NotFound, Unavailable
from millstream.domain.external_keys import MAX_NUMBER, KeyedEntity, KeyKind, KeySpace

__all__ = ["INSTANCES", "Ids"]

INSTANCES = KeySpace("foas.instance", KeyKind.NUMBER, KeyedEntity.JOB, first_number=400000)


class Ids:
    """Both directions between foas instance ids and job ids, in one workspace."""

    def __init__(self, keys: ExternalKeys | None, *, workspace: str) -> None:
        if keys is None:
            raise Unavailable("foas instance ids need the external key service, not wired")
        self._keys = keys
        self._workspace = workspace

    def instance_id(self, job_id: str) -> int:
        return self._keys.number_of(INSTANCES, job_id, self._workspace)

    def instance_ids(self, job_ids: Iterable[str]) -> dict[str, int]:
        wanted = list(job_ids)
        if not wanted:
            return {}
        return self._keys.numbers_of(INSTANCES, wanted, self._workspace)

    def job_id(self, instance_id: int) -> str:
        """The job an instance id names; ``NotFound`` when none has it."""
        if not 0 <= instance_id <= MAX_NUMBER:
            raise NotFound(f"instance {instance_id} does not exist", code=ErrorCode.JOB_NOT_FOUND)
        return self._keys.entity_of(INSTANCES, instance_id, self._workspace)
