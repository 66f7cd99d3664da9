"""The metric sampler: a bounded history of every running job's Flink metrics.

The reconciler daemon calls ``MetricSampler.start_round`` on the leader every
``metrics.sample_interval`` seconds (a ``periodic`` task). A round runs in a thread of
its own, so a slow or unreachable Flink never delays the reconciler, and a round still
running when the next is due makes that one a no-op (rounds never pile up). Each round
(``run_iteration``):

- reads the RUNNING jobs from the store (nothing runs: no Flink request at all);
- reads each job's ``control.metric_catalog.SAMPLED_METRICS`` with ``1 + V`` GETs
  (``FlinkMetricReader``), ``max_concurrency`` jobs at a time; a cluster that does not
  answer is skipped for the rest of the round;
- writes one ``MetricSample`` per job and metric in one batch insert;
- every ``sweep_interval`` seconds deletes samples older than ``retention`` (in
  transactions of at most 5,000 rows) and each job's oldest beyond
  ``max_samples_per_job`` (``sweep``).

A job's samples go with the job (the store deletes them with it). After a leader
change the new leader samples on; a missing round is a gap in the series, never wrong
values.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from millstream.control.background import BackgroundRounds
from millstream.control.context import Scope
from millstream.control.metric_catalog import FlinkMetricReader
from millstream.control.metric_ports import MetricSample, MetricSampleStore
from millstream.control.ports import Store
from millstream.control.services.common import resolve_cluster
from millstream.domain.clusters import Cluster
from millstream.domain.errors import EngineUnavailable, MillstreamError
from millstream.domain.jobs import Job, JobStatus

__all__ = ["MetricSampler", "SamplingReport"]

_log = logging.getLogger(__name__)

_SWEEP_BATCH = 5_000  # expired samples deleted per transaction


@dataclass(frozen=True, slots=True)
class SamplingReport:
    """What one round did."""

    jobs: int = 0  # RUNNING jobs found
    sampled: int = 0  # jobs Flink answered for
    samples: int = 0  # rows written
    swept: int = 0  # rows deleted by the sweep


class MetricSampler:
    def __init__(
        self,
        store: Store,
        samples: MetricSampleStore,
        reader: FlinkMetricReader,
        *,
        retention: float = 86_400.0,
        max_samples_per_job: int = 100_000,
        sweep_interval: float = 60.0,
        max_concurrency: int = 4,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._samples = samples
        self._reader = reader
        self._retention = timedelta(seconds=retention)
        self._max_per_job = max_samples_per_job
        self._sweep_interval = sweep_interval
        self._max_concurrency = max(1, max_concurrency)
        self._clock = clock
        self._monotonic = monotonic
        self._last_sweep: float | None = None
        self._rounds = BackgroundRounds("metric sampling", self.run_iteration)
        self.last_report = SamplingReport()

    def start_round(self) -> bool:
        """Run ``run_iteration`` in the background unless a round still runs; whether it
        started."""
        return self._rounds.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background round, if any, to end (tests, shutdown)."""
        self._rounds.wait(timeout)

    def run_iteration(self) -> SamplingReport:
        """One round in the caller's thread: sample every RUNNING job, sweep when due."""
        running = self._running_jobs()
        self._reader.forget({job.flink_job_id for job, _ in running if job.flink_job_id})
        written = sampled = 0
        if running:
            rows = self._read_all(running)
            sampled = len({row.job_id for row in rows})
            if rows:
                with self._samples.transaction() as repos:
                    repos.create_metric_samples(samples=rows)
                written = len(rows)
        swept = self._sweep_if_due()
        self.last_report = SamplingReport(
            jobs=len(running), sampled=sampled, samples=written, swept=swept
        )
        return self.last_report

    def sweep(self) -> int:
        """Delete samples past the retention period and beyond the per-job cap."""
        expired_before = self._clock() - self._retention
        deleted = 0
        while True:  # short transactions: SQLite's single writer is never held long
            with self._samples.transaction() as repos:
                batch = repos.delete_metric_samples(
                    sampled_before=expired_before, limit=_SWEEP_BATCH
                )
            deleted += batch
            if batch < _SWEEP_BATCH:
                break
        with self._samples.transaction() as repos:
            deleted += repos.trim_metric_samples(keep_per_job=self._max_per_job)
        return deleted

    def _sweep_if_due(self) -> int:
        now = self._monotonic()
        if self._last_sweep is not None and now - self._last_sweep < self._sweep_interval:
            return 0
        self._last_sweep = now
        return self.sweep()

    def _running_jobs(self) -> list[tuple[Job, Cluster]]:
        found: list[tuple[Job, Cluster]] = []
        clusters: dict[tuple[str, str, str], Cluster | None] = {}
        with self._store.transaction() as repos:
            for job in repos.read_active_jobs():
                if job.status is not JobStatus.RUNNING or job.flink_job_id is None:
                    continue
                key = (job.workspace, job.namespace, job.cluster)
                if key not in clusters:
                    try:
                        clusters[key] = resolve_cluster(
                            repos, Scope(job.workspace, job.namespace), job.cluster
                        )
                    except MillstreamError:  # its cluster was removed: nothing to read
                        clusters[key] = None
                cluster = clusters[key]
                if cluster is not None:
                    found.append((job, cluster))
        return found

    def _read_all(self, running: list[tuple[Job, Cluster]]) -> list[MetricSample]:
        unreachable: set[str] = set()
        guard = threading.Lock()

        def read(pair: tuple[Job, Cluster]) -> list[MetricSample]:
            job, cluster = pair
            with guard:
                if cluster.rest_url in unreachable:
                    return []
            assert job.flink_job_id is not None  # filtered by _running_jobs
            try:
                values = self._reader.read(cluster, job.flink_job_id)
            except EngineUnavailable as exc:
                with guard:
                    unreachable.add(cluster.rest_url)
                _log.info("metric sampling skips cluster %s this round: %s", cluster.name, exc)
                return []
            except MillstreamError as exc:  # e.g. Flink forgot the job since the read
                _log.debug("no metrics for job %s this round: %s", job.id, exc)
                return []
            except Exception:  # one job's odd answer must not cost the others their samples
                _log.warning("reading metrics of job %s failed", job.id, exc_info=True)
                return []
            at = self._clock()
            return [
                MetricSample(job_id=job.id, name=name, value=value, sampled_at=at)
                for name, value in sorted(values.items())
            ]

        workers = min(self._max_concurrency, len(running))
        if workers == 1:
            batches = [read(pair) for pair in running]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="metrics") as pool:
                batches = list(pool.map(read, running))
        return [sample for batch in batches for sample in batch]
