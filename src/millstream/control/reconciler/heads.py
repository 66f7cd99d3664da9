"""The live jobs as the reconciler knows them between ticks: one ``JobHead`` each.

The controller calls ``refresh`` at the start of every tick: it reads the live jobs'
``(id, version)`` pairs (one index scan) and loads heads only of jobs that are new or
whose version moved (a user's change, the reconciler's own write, another replica's);
jobs that ended or were deleted drop out. Every write of a job bumps its version, so a
head with the stored version is exactly what is stored: nothing can be missed. When no
pair changed, ``refresh`` returns the same heads (the same objects, even the same list),
so what the tick worked out on a head last time still holds. Heads are immutable; full
jobs are read fresh, in one query, for the few a tick acts on (``load``).
"""

from __future__ import annotations

from collections.abc import Collection

from millstream.control.reconciler_ports import JobHead, ReconcilerRepositories
from millstream.domain.jobs import Job

__all__ = ["JobHeads"]

# More changed jobs than this share of the known ones: one read of all heads is cheaper.
_BULK_SHARE = 0.25


class JobHeads:
    def __init__(self) -> None:
        self._heads: dict[str, JobHead] = {}
        self._versions: dict[str, int] = {}  # id -> version of each head in ``_heads``
        self._list: list[JobHead] = []  # what the last ``refresh`` returned
        self._waiting: set[str] = set()  # ids of the heads that wait for admission

    def __len__(self) -> int:
        return len(self._heads)

    def ids(self) -> Collection[str]:
        """Ids of the live jobs as of the last ``refresh``."""
        return self._heads.keys()

    def any_waiting(self) -> bool:
        """Whether a live job waits for admission (``JobHead.waits``), as of the last
        ``refresh``."""
        return bool(self._waiting)

    def refresh(self, repos: ReconcilerRepositories) -> list[JobHead]:
        """The live jobs now (oldest first, new ones last), reading only what changed.

        When no live job changed (the common tick at scale) this is the list the last
        call returned: treat it as read-only."""
        versions = repos.read_live_job_versions()
        # ``_versions`` holds exactly the known heads' versions: when nothing was
        # created, written or ended, one comparison in C instead of a loop over them all.
        if versions == self._versions:
            return self._list
        known, known_versions = self._heads, self._versions
        for gone in known.keys() - versions.keys():
            del known[gone], known_versions[gone]
            self._waiting.discard(gone)
        # new jobs and moved versions (a set difference in C: at scale, few of 10,000)
        changed = [job_id for job_id, _ in versions.items() - known_versions.items()]
        if changed:
            if not known or len(changed) > _BULK_SHARE * len(versions):
                self._heads = {head.id: head for head in repos.read_job_heads()}
                self._versions = {head.id: head.version for head in self._heads.values()}
                self._waiting = {head.id for head in self._heads.values() if head.waits}
            else:
                for head in repos.read_job_heads(job_ids=changed):
                    known[head.id] = head
                    known_versions[head.id] = head.version
                    if head.waits:
                        self._waiting.add(head.id)
                    else:
                        self._waiting.discard(head.id)
        self._list = list(self._heads.values())
        return self._list

    @staticmethod
    def load(repos: ReconcilerRepositories, job_ids: Collection[str]) -> list[Job]:
        """Full jobs, read now, of those among ``job_ids`` that are still live."""
        return [job for job in repos.read_jobs_by_id(job_ids=job_ids) if not job.is_terminal]
