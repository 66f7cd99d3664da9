"""Ports of the metric history: samples of running jobs' Flink metrics (``MetricSampleStore``).

``store.metric_samples.SqlMetricSampleStore`` implements it over the ``metric_samples``
table (migration 0012). ``control.metric_sampler.MetricSampler`` writes and sweeps;
``control.services.metric_history.MetricHistoryService`` reads. Separate from
``ports.py`` so the history can be wired (and faked) on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["MetricSample", "MetricSampleRepositories", "MetricSampleStore"]


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One value of one metric (``control.metric_catalog`` names) of one job at one moment."""

    job_id: str
    name: str
    value: float
    sampled_at: datetime


class MetricSampleRepositories(Protocol):
    def create_metric_samples(self, *, samples: Sequence[MetricSample]) -> None:
        """Insert every sample in one batch (samples of a job deleted meanwhile are dropped)."""
        ...

    def read_metric_samples(
        self,
        *,
        job_id: str,
        names: Collection[str],
        start: datetime,
        end: datetime,
        limit: int,
    ) -> list[MetricSample]:
        """Samples of the job's ``names`` with ``start <= sampled_at <= end``, oldest
        first, at most ``limit`` of them per name (the oldest)."""
        ...

    def delete_metric_samples(self, *, sampled_before: datetime, limit: int) -> int:
        """Delete at most ``limit`` of the samples older than ``sampled_before`` (the
        oldest first); how many."""
        ...

    def trim_metric_samples(self, *, keep_per_job: int) -> int:
        """Delete each job's samples older than its newest ``keep_per_job`` (by time; a
        job keeps at most that many); how many."""
        ...


class MetricSampleStore(Protocol):
    def transaction(self) -> AbstractContextManager[MetricSampleRepositories]:
        """One unit of work: commit on success, roll back on any exception."""
        ...
