"""Which records of a session cluster's log belong to one job (``JobLines``).

A cluster's JobManager and TaskManager logs interleave every job the cluster runs. A
record (a stamped line with the unstamped lines after it, e.g. a stack trace) is the
job's when it names:

- the job's Flink job id or Millstream job id (job status, checkpoints, slots, the
  JobMaster, failures: ``Job q (<jobid>) switched from state RUNNING to FAILED``);
- the job's execution graph id, learned from ``Created execution graph <graph> for job
  <jobid>`` (JobManager) or from ``Received task ... (<graph>_<vertex>_<i>_<attempt>),
  deploy into slot with allocation id <slot>`` for a slot of the job (TaskManager). Every
  ExecutionAttemptID starts with its graph id, so this covers each task's lines
  (``Source: numbers (1/2)#0 (<graph>_<vertex>_0_0) switched from ...``);
- a slot allocated to the job (``Receive slot request <slot> for job <jobid>``).

Task *names* are not used: two jobs of the same SQL have the same vertex names and
vertex ids. Ids are learned in log order (Flink logs the graph and slot before any task
of them), so one pass suffices. Lines user code logs without any id cannot be told apart
and are left out; the whole cluster log shows them.

Used by ``control.services.logs.LogService`` (applied while a log is read, before the
byte limit, so the newest of the job's lines are kept).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator

__all__ = ["JobLines"]

_ID = re.compile(r"[0-9a-f]{32}")
_GRAPH = re.compile(r"Created execution graph ([0-9a-f]{32}) for job ([0-9a-f]{32})")
_SLOT = re.compile(r"slot (?:request )?([0-9a-f]{32}) (?:from \S+ )?for job ([0-9a-f]{32})")
_TASK = re.compile(
    r"\(([0-9a-f]{32})_[0-9a-f]{32}_\d+_\d+\), deploy into slot with allocation id "
    r"([0-9a-f]{32})"
)
_RECORD_START = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


class JobLines:
    """A filter over log lines keeping one job's records; one instance per read (it
    learns the job's graph and slot ids as it goes). ``dropped`` tells whether any
    record was left out."""

    def __init__(self, job_ids: Collection[str]) -> None:
        self._names = {name for name in job_ids if name}
        self._flink_ids = {name for name in self._names if _ID.fullmatch(name)}
        self._known: set[str] = set()  # graph and slot ids of the job
        self.dropped = False

    def is_own(self, record: str) -> bool:
        """Whether ``record`` is the job's (learning ids it introduces)."""
        for match in _GRAPH.finditer(record):
            if match[2] in self._flink_ids:
                self._known.add(match[1])
        for match in _SLOT.finditer(record):
            if match[2] in self._flink_ids:
                self._known.add(match[1])
        for match in _TASK.finditer(record):
            if match[2] in self._known:
                self._known.add(match[1])
        if any(name in record for name in self._names):
            return True
        return any(found in self._known for found in _ID.findall(record))

    def filter(self, lines: Iterable[str]) -> Iterator[str]:
        """The lines of the job's records, in order."""
        record: list[str] = []
        for line in lines:
            if _RECORD_START.match(line) and record:
                yield from self._close(record)
                record = []
            record.append(line)
        yield from self._close(record)

    def _close(self, record: list[str]) -> list[str]:
        if not record:
            return []
        if self.is_own("".join(record)):
            return record
        self.dropped = True
        return []
