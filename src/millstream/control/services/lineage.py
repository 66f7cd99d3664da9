"""Lineage of a namespace's SQL deployments (GetLineageInfo).

Each SQL deployment's lineage is computed from its current spec once and stored with a
digest of that spec (script and engine version); a changed spec is computed again on
the next question. Columns come from the analyzer (``engine.sql_lineage.sql_lineage``);
table edges are cross-checked with Flink's own plan of the script when Flink can plan
it (``DeploymentService.plan_sql``): an edge the plan shows is kept, an edge only the
SQL parser saw is dropped (with its column edges), an edge only the plan shows is added.
A question names a deployment (its tables' lineage) or a table (``catalog.db.table``),
a direction and a depth.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.control.scheduled_plan_ports import ScheduledPlanStore
from millstream.control.services.deployments import DeploymentService
from millstream.domain.artifacts import ArtifactKind
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput, MillstreamError, NotFound
from millstream.domain.lineage import Direction, Lineage, LineageEdge, subgraph

__all__ = ["LineageService"]

_log = logging.getLogger(__name__)
_MAX_DEPLOYMENTS = 1000
_MAX_DEPTH = 10

Analyzer = Callable[[str], Lineage]
PlanEdges = Callable[[dict[str, Any]], set[tuple[str, str]]]


def _digest(deployment: Deployment) -> str:
    text = f"{deployment.engine_version}\n{deployment.artifact.sql_script or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


class LineageService:
    def __init__(
        self,
        store: ScheduledPlanStore,
        deployments: DeploymentService,
        analyzer: Analyzer,
        plan_edges: PlanEdges,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._deployments = deployments
        self._analyzer = analyzer
        self._plan_edges = plan_edges
        self._clock = clock

    def lineage(
        self,
        scope: Scope,
        *,
        target: str,
        is_table: bool,
        direction: Direction = Direction.BOTH,
        depth: int = 1,
        column_level: bool = True,
    ) -> tuple[Lineage, list[Deployment]]:
        """The lineage around a deployment (``is_table`` False) or a table, and the
        deployments whose edges it holds."""
        if not 1 <= depth <= _MAX_DEPTH:
            raise InvalidInput(f"depth must be between 1 and {_MAX_DEPTH}, got {depth}")
        if is_table:
            result = subgraph(self._namespace_graph(scope), target, direction, depth)
            if not result.tables and not result.table_edges:
                raise NotFound(
                    f"table {target!r} appears in no SQL deployment of namespace "
                    f"{scope.namespace!r}; name it catalog.database.table"
                )
        else:
            deployment = self._deployments.get(scope, target)
            own = self.of_deployment(scope, deployment)
            result = own
            if direction is not Direction.BOTH or depth > 1:
                graphs = self._namespace_graph(scope)
                parts = [subgraph(graphs, table.id, direction, depth) for table in own.tables]
                result = _merge([own, *parts])
        if not column_level:
            result = Lineage(tables=result.tables, table_edges=result.table_edges)
        ids = {e.deployment_id for e in result.table_edges}
        if not is_table:
            ids.add(target)
        found_deployments = [self._deployments.get(scope, i) for i in sorted(ids) if i]
        return result, found_deployments

    def _namespace_graph(self, scope: Scope) -> list[Lineage]:
        """Every SQL deployment's lineage: stored ones as stored, the others from their
        SQL only (planning each on Flink here would make one question cost minutes)."""
        found, _ = self._deployments.list(scope, Page(limit=_MAX_DEPLOYMENTS, offset=0))
        return [self.of_deployment(scope, d, plan=False) for d in found]

    def of_deployment(self, scope: Scope, deployment: Deployment, *, plan: bool = True) -> Lineage:
        """The deployment's lineage, computed (and cross-checked on Flink) once per spec;
        ``plan=False`` answers a spec not yet computed from its SQL alone, unstored."""
        if deployment.artifact.kind is not ArtifactKind.SQLSCRIPT:
            return Lineage()
        digest = _digest(deployment)
        with self._store.transaction() as repos:
            stored = repos.read_lineage(deployment_id=deployment.id)
        if stored is not None and stored[0] == digest:
            return stored[1].for_deployment(deployment.id)
        if not plan:
            return self._analyzer(deployment.artifact.sql_script or "").for_deployment(
                deployment.id
            )
        computed = self._compute(scope, deployment)
        with self._store.transaction() as repos:
            repos.write_lineage(
                deployment_id=deployment.id, digest=digest, lineage=computed, at=self._clock()
            )
        return computed.for_deployment(deployment.id)

    def _compute(self, scope: Scope, deployment: Deployment) -> Lineage:
        script = deployment.artifact.sql_script or ""
        parsed = self._analyzer(script)
        try:
            plan = self._deployments.plan_sql(
                scope, script, execution_mode=deployment.execution_mode
            )
        except MillstreamError as exc:  # no Flink answer: the parser's view stands
            _log.info("lineage of %s from the SQL only: %s", deployment.id, exc)
            return parsed
        planned = self._plan_edges(plan)
        if not planned:
            return parsed
        kept = {(e.source, e.destination) for e in parsed.table_edges} & planned
        table_edges = tuple(LineageEdge(s, d) for s, d in sorted(planned))
        column_edges = tuple(
            e
            for e in parsed.column_edges
            if (e.source.rsplit(".", 1)[0], e.destination.rsplit(".", 1)[0]) in kept
        )
        return Lineage(tables=parsed.tables, table_edges=table_edges, column_edges=column_edges)


def _merge(parts: list[Lineage]) -> Lineage:
    tables = {t.id: t for part in parts for t in part.tables}
    return Lineage(
        tables=tuple(tables[k] for k in sorted(tables)),
        table_edges=tuple(sorted({e for part in parts for e in part.table_edges})),
        column_edges=tuple(sorted({e for part in parts for e in part.column_edges})),
    )
