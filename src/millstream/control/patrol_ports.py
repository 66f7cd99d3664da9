"""The store port of patrol: one setting per namespace and the reports of its runs.

``control.services.patrol`` (the API's operations and the leader's scheduled runs) uses
it; ``store.patrol`` implements it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from millstream.domain.patrol import (
    PatrolConfig,
    PatrolReport,
    ReportStatus,
    ScopeKind,
    TriggerKind,
)

__all__ = ["PatrolRepositories", "PatrolStore", "ReportFilter"]


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which reports of a namespace a listing shows (``None``: any)."""

    start: datetime | None = None
    end: datetime | None = None
    status: ReportStatus | None = None
    trigger: TriggerKind | None = None
    scope: ScopeKind | None = None


class PatrolRepositories(Protocol):
    def read_patrol_config(self, *, workspace: str, namespace: str) -> PatrolConfig | None: ...
    def read_patrol_configs(self) -> list[PatrolConfig]:
        """Every namespace's setting, enabled or not."""
        ...

    def write_patrol_config(self, *, config: PatrolConfig) -> None:
        """Create or replace the namespace's setting."""
        ...

    def create_patrol_report(self, *, report: PatrolReport) -> None: ...
    def read_patrol_report(
        self, *, workspace: str, namespace: str, report_id: str
    ) -> PatrolReport | None: ...
    def read_patrol_reports(
        self, *, workspace: str, namespace: str, where: ReportFilter, offset: int, limit: int
    ) -> tuple[list[PatrolReport], int]:
        """A page of the matching reports, newest first, and how many match."""
        ...

    def prune_patrol_reports(self, *, workspace: str, namespace: str, keep: int) -> int:
        """Delete all but the newest ``keep`` reports of the namespace; how many went."""
        ...


class PatrolStore(Protocol):
    def transaction(self) -> AbstractContextManager[PatrolRepositories]: ...
