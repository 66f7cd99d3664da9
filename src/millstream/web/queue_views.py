"""What the console's clusters page shows of queues: each queue's use as a bar and the
jobs waiting on it, in the order they will start. Pure: built from the ``QueueUsage``
values of ``control.services.queues`` by the console's clusters route."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from millstream.control.services.queues import QueuedJob, QueueUsage

__all__ = ["QueueBar", "queue_bars"]


@dataclass(frozen=True, slots=True)
class QueueBar:
    name: str
    cluster: str
    capacity_cu: float
    used_cu: float
    waiting_cu: float
    free_cu: float
    used_percent: int  # width of the bar's filled part, 0..100
    max_job_cu: float | None
    namespaces: tuple[str, ...]
    admitted: tuple[QueuedJob, ...]
    waiting: tuple[QueuedJob, ...]  # in the order they will start

    @property
    def tone(self) -> str:
        """ok below 75 %, warn up to full, bad when jobs wait."""
        if self.waiting:
            return "bad"
        return "warn" if self.used_percent >= 75 else "ok"


def queue_bars(usages: Iterable[QueueUsage]) -> list[QueueBar]:
    bars = []
    for usage in usages:
        queue = usage.queue
        share = usage.used_cu / queue.capacity_cu if queue.capacity_cu > 0 else 0.0
        bars.append(
            QueueBar(
                name=queue.name,
                cluster=queue.cluster,
                capacity_cu=queue.capacity_cu,
                used_cu=usage.used_cu,
                waiting_cu=usage.waiting_cu,
                free_cu=usage.free_cu,
                used_percent=max(0, min(100, round(share * 100))),
                max_job_cu=queue.max_job_cu,
                namespaces=queue.namespaces,
                admitted=usage.admitted,
                waiting=usage.waiting,
            )
        )
    return bars
