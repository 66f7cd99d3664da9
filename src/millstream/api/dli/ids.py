"""DLI ``job_id``: an integer on the wire, a deployment's UUID in the domain.

The SDK types ``job_id`` as an int (``FlinkJobStatus.job_id``, ``job_ids: list[int]``),
so every deployment gets a number in the ``dli.job`` key space (``ExternalKeys``:
allocated on first show, stable forever, never reused). Numbers are unique per
workspace; a number of another project's deployment is as unknown as a number nobody
has (the caller reads the deployment in its own project's scope). Used by the operation
modules.
"""

from __future__ import annotations

from collections.abc import Iterable

from millstream.control.services.external_keys import ExternalKeys
from millstream.domain.errors import ErrorCode, NotFound, Unavailable
from millstream.domain.external_keys import MAX_NUMBER, KeyedEntity, KeyKind, KeySpace

__all__ = ["JOBS", "Ids"]

# DLI's own job ids are small integers (seed 002 answers 138).
JOBS = KeySpace("dli.job", KeyKind.NUMBER, KeyedEntity.DEPLOYMENT, first_number=100)


class Ids:
    """Both directions between DLI job ids and deployment ids, in one workspace."""

    def __init__(self, keys: ExternalKeys | None, *, workspace: str) -> None:
        if keys is None:
            raise Unavailable("DLI job ids need the external key service, which is not wired")
        self._keys = keys
        self._workspace = workspace

    def job_id(self, deployment_id: str) -> int:
        return self._keys.number_of(JOBS, deployment_id, self._workspace)

    def job_ids(self, deployment_ids: Iterable[str]) -> dict[str, int]:
        wanted = list(deployment_ids)
        if not wanted:
            return {}
        return self._keys.numbers_of(JOBS, wanted, self._workspace)

    def deployment_id(self, job_id: int) -> str:
        """The deployment a job id names; ``NotFound`` when none has it."""
        if not 0 <= job_id <= MAX_NUMBER:
            raise NotFound(f"job {job_id} does not exist", code=ErrorCode.DEPLOYMENT_NOT_FOUND)
        return self._keys.entity_of(JOBS, job_id, self._workspace)
