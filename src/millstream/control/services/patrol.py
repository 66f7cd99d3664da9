"""Patrol use cases: read and change a namespace's patrol setting, run an inspection now
(TriggerPatrol), list and read its reports, and ``run_iteration`` — the leader's periodic
task that runs every enabled setting at its cron times.

An inspection collects evidence (``control.patrol_evidence``), applies the checks of
``domain.patrol`` and stores the report in the same call; only the newest
``keep_reports`` reports of a namespace are kept. The store port is
``control.patrol_ports.PatrolStore``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from millstream.control.context import Scope
from millstream.control.patrol_ports import PatrolStore, ReportFilter
from millstream.control.ports import Store
from millstream.control.services.common import require_namespace
from millstream.domain.errors import ErrorCode, MillstreamError, NotFound
from millstream.domain.patrol import (
    PatrolConfig,
    PatrolReport,
    PatrolScope,
    ReportStatus,
    Thresholds,
    TriggerKind,
    next_patrol_at,
)
from millstream.domain.patrol_checks import inspect

if TYPE_CHECKING:
    # Only a type here: patrol_evidence imports the services package (a cycle at runtime).
    from millstream.control.patrol_evidence import PatrolEvidence

__all__ = ["ConfigPatch", "PatrolService"]

_log = logging.getLogger(__name__)


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="patrol", daemon=True).start()


@dataclasses.dataclass(frozen=True, slots=True)
class ConfigPatch:
    """The fields an update changes (``None``: keep)."""

    enabled: bool | None = None
    cron: str | None = None
    timezone: str | None = None
    scope: PatrolScope | None = None
    thresholds: Thresholds | None = None


class PatrolService:
    def __init__(
        self,
        patrol_store: PatrolStore,
        store: Store,
        evidence: PatrolEvidence,
        *,
        keep_reports: int = 100,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        spawn: Callable[[Callable[[], None]], None] = _in_thread,
    ) -> None:
        self._patrols = patrol_store
        self._store = store
        self._evidence = evidence
        self._keep = keep_reports
        self._clock = clock
        self._spawn = spawn
        self._idle = threading.Lock()

    def config(self, scope: Scope) -> PatrolConfig:
        """The namespace's setting; the defaults (disabled) when it was never set."""
        self._require_namespace(scope)
        with self._patrols.transaction() as repos:
            found = repos.read_patrol_config(workspace=scope.workspace, namespace=scope.namespace)
        return found or PatrolConfig(workspace=scope.workspace, namespace=scope.namespace)

    def update_config(self, scope: Scope, patch: ConfigPatch) -> PatrolConfig:
        """Apply ``patch`` (validated) and store the setting."""
        current = self.config(scope)
        now = self._clock()
        changes = {k: v for k, v in dataclasses.asdict(patch).items() if v is not None}
        # asdict turns nested dataclasses into dicts: take those two from the patch itself.
        for name in ("scope", "thresholds"):
            if getattr(patch, name) is not None:
                changes[name] = getattr(patch, name)
        if "cron" in changes:
            changes["cron"] = str(changes["cron"]).strip()
        updated = dataclasses.replace(
            current, **changes, created_at=current.created_at or now, updated_at=now
        )
        if patch.enabled and not current.enabled:
            updated = dataclasses.replace(updated, last_run_at=now)  # next run: next cron time
        updated.validate()
        with self._patrols.transaction() as repos:
            repos.write_patrol_config(config=updated)
        return updated

    def next_run(self, config: PatrolConfig) -> datetime | None:
        """When the scheduler next runs the setting; ``None`` while disabled."""
        if not config.enabled:
            return None
        return next_patrol_at(config, config.last_run_at or config.updated_at or self._clock())

    def trigger(self, scope: Scope, patrol_scope: PatrolScope | None = None) -> PatrolReport:
        """Inspect now (the setting's scope unless one is given); the stored report."""
        config = self.config(scope)
        if patrol_scope is not None:
            patrol_scope.validate()
        return self._run(config, patrol_scope or config.scope, TriggerKind.MANUAL)

    def report(self, scope: Scope, report_id: str) -> PatrolReport:
        self._require_namespace(scope)
        with self._patrols.transaction() as repos:
            found = repos.read_patrol_report(
                workspace=scope.workspace, namespace=scope.namespace, report_id=report_id
            )
        if found is None:
            raise NotFound(
                f"patrol report {report_id!r} not found in namespace {scope.namespace!r}",
                code=ErrorCode.NOT_FOUND,
            )
        return found

    def reports(
        self, scope: Scope, where: ReportFilter, *, offset: int, limit: int
    ) -> tuple[list[PatrolReport], int]:
        """A page of the namespace's reports, newest first, and how many match."""
        self._require_namespace(scope)
        with self._patrols.transaction() as repos:
            return repos.read_patrol_reports(
                workspace=scope.workspace,
                namespace=scope.namespace,
                where=where,
                offset=offset,
                limit=limit,
            )

    def run_iteration(self) -> None:
        """Start the runs of every enabled setting whose next cron time has come (leader
        task). Their time is recorded first, so a cron time runs once; the inspections run
        on ``spawn`` (a background thread) so the reconciler's loop is not held up, one
        batch at a time."""
        if not self._idle.acquire(blocking=False):
            return  # the previous batch is still inspecting
        try:
            due = self._claim_due()
        except BaseException:
            self._idle.release()
            raise
        if not due:
            self._idle.release()
            return

        def run_batch() -> None:
            try:
                for config in due:
                    try:
                        self._run(config, config.scope, TriggerKind.SCHEDULED)
                    except MillstreamError:
                        _log.exception(
                            "scheduled patrol of %s/%s failed", config.workspace, config.namespace
                        )
            finally:
                self._idle.release()

        self._spawn(run_batch)

    def _claim_due(self) -> list[PatrolConfig]:
        now = self._clock()
        due = []
        with self._patrols.transaction() as repos:
            for config in repos.read_patrol_configs():
                at = self.next_run(config)
                if at is not None and at <= now:
                    repos.write_patrol_config(config=dataclasses.replace(config, last_run_at=now))
                    due.append(config)
        return due

    def _run(
        self, config: PatrolConfig, patrol_scope: PatrolScope, trigger: TriggerKind
    ) -> PatrolReport:
        scope = Scope(config.workspace, config.namespace)
        started = self._clock()
        report = PatrolReport(
            id=str(uuid.uuid4()),
            workspace=config.workspace,
            namespace=config.namespace,
            trigger=trigger,
            scope=patrol_scope,
            status=ReportStatus.SUCCEEDED,
            started_at=started,
            completed_at=started,
        )
        try:
            collected = self._evidence.collect(scope, patrol_scope, config.thresholds, started)
        except MillstreamError as exc:
            # Recorded as a failed run so the listing shows why (the store is up to write it).
            report = dataclasses.replace(
                report,
                status=ReportStatus.FAILED,
                error=str(exc)[:2000],
                completed_at=self._clock(),
            )
        else:
            report = dataclasses.replace(
                report,
                total_jobs=collected.total,
                inspected_jobs=collected.inspected,
                findings=tuple(inspect(collected.evidence, config.thresholds, started)),
                completed_at=self._clock(),
            )
        with self._patrols.transaction() as repos:
            repos.create_patrol_report(report=report)
            repos.prune_patrol_reports(
                workspace=config.workspace, namespace=config.namespace, keep=self._keep
            )
        return report

    def _require_namespace(self, scope: Scope) -> None:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
