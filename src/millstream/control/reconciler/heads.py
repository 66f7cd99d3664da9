"""The live jobs as the reconciler knows them between ticks: one ``JobHead`` each.

The controller calls ``refresh`` at the start of every tick: it reads the live jobs'
``(id, version)`` pairs (one index scan) and loads heads only of jobs that are new or
whose version moved (a user's change, the reconciler's own write, another replica's);
jobs that ended or were deleted drop out. Every write of a job bumps its version, so a
head with the stored version is exactly what is stored: nothing can be missed. Heads are
immutable; full jobs are read fresh, in one query, for the few a tick acts on (``load``).
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

    def __len__(self) -> int:
        return len(self._heads)

    def ids(self) -> Collection[str]:
        """Ids of the live jobs as of the last ``refresh``."""
        return self._heads.keys()

    def refresh(self, repos: ReconcilerRepositories) -> list[JobHead]:
        """The live jobs now (oldest first, new ones last), reading only what changed."""
        versions = repos.read_live_job_versions()
        known = self._heads
        for gone in [job_id for job_id in known if job_id not in versions]:
            del known[gone]
        changed = [
            job_id
            for job_id, version in versions.items()
            if (head := known.get(job_id)) is None or head.version != version
        ]
        if changed:
            if not known or len(changed) > _BULK_SHARE * len(versions):
                fresh = repos.read_job_heads()
                self._heads = {head.id: head for head in fresh}
            else:
                for head in repos.read_job_heads(job_ids=changed):
                    known[head.id] = head
        return list(self._heads.values())

    @staticmethod
    def load(repos: ReconcilerRepositories, job_ids: Collection[str]) -> list[Job]:
        """Full jobs, read now, of those among ``job_ids`` that are still live."""
        return [job for job in repos.read_jobs_by_id(job_ids=job_ids) if not job.is_terminal]
