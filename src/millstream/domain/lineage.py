"""Lineage of SQL deployments: which tables (and columns) feed which.

``engine.sql_lineage`` computes a ``Lineage`` from a deployment's SQL (columns through
``sqlglot``'s lineage, tables confirmed by Flink's plan); ``control.services.lineage``
keeps one per deployment spec and answers questions about the namespace's graph
(``subgraph``). Tables are named fully, ``catalog.database.table``; a column is
``catalog.database.table.column``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Direction",
    "Lineage",
    "LineageColumn",
    "LineageEdge",
    "LineageTable",
    "subgraph",
]


class Direction(enum.StrEnum):
    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    BOTH = "BOTH"


@dataclass(frozen=True, slots=True)
class LineageColumn:
    name: str
    type: str
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class LineageTable:
    catalog: str
    database: str
    name: str
    connector: str | None = None
    temporary: bool = False
    columns: tuple[LineageColumn, ...] = ()
    options: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.catalog}.{self.database}.{self.name}"


@dataclass(frozen=True, slots=True, order=True)
class LineageEdge:
    """``source`` feeds ``destination`` in deployment ``deployment_id``."""

    source: str
    destination: str
    deployment_id: str = ""


@dataclass(frozen=True, slots=True)
class Lineage:
    tables: tuple[LineageTable, ...] = ()
    table_edges: tuple[LineageEdge, ...] = ()
    column_edges: tuple[LineageEdge, ...] = ()

    def for_deployment(self, deployment_id: str) -> Lineage:
        """The same lineage with its edges attributed to ``deployment_id``."""
        return Lineage(
            tables=self.tables,
            table_edges=tuple(
                LineageEdge(e.source, e.destination, deployment_id) for e in self.table_edges
            ),
            column_edges=tuple(
                LineageEdge(e.source, e.destination, deployment_id) for e in self.column_edges
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "tables": [
                {
                    "catalog": t.catalog,
                    "database": t.database,
                    "name": t.name,
                    "connector": t.connector,
                    "temporary": t.temporary,
                    "columns": [[c.name, c.type, c.nullable] for c in t.columns],
                    "options": dict(t.options),
                }
                for t in self.tables
            ],
            "tableEdges": [[e.source, e.destination] for e in self.table_edges],
            "columnEdges": [[e.source, e.destination] for e in self.column_edges],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lineage:
        return cls(
            tables=tuple(
                LineageTable(
                    catalog=str(t["catalog"]),
                    database=str(t["database"]),
                    name=str(t["name"]),
                    connector=t.get("connector"),
                    temporary=bool(t.get("temporary")),
                    columns=tuple(
                        LineageColumn(str(c[0]), str(c[1]), bool(c[2])) for c in t["columns"]
                    ),
                    options={str(k): str(v) for k, v in (t.get("options") or {}).items()},
                )
                for t in data.get("tables", [])
            ),
            table_edges=tuple(LineageEdge(str(s), str(d)) for s, d in data.get("tableEdges", [])),
            column_edges=tuple(LineageEdge(str(s), str(d)) for s, d in data.get("columnEdges", [])),
        )


def _table_of(column_id: str) -> str:
    return column_id.rsplit(".", 1)[0]


def subgraph(lineages: list[Lineage], start: str, direction: Direction, depth: int) -> Lineage:
    """The part of the merged ``lineages`` reachable from table ``start`` within ``depth``
    table hops in ``direction``: its tables, table edges and column edges."""
    edges = sorted({e for lineage in lineages for e in lineage.table_edges})
    tables = {t.id: t for lineage in lineages for t in lineage.tables}
    reached = {start}
    frontier = {start}
    kept: set[LineageEdge] = set()
    for _ in range(depth):
        following: set[str] = set()
        for edge in edges:
            if direction is not Direction.UPSTREAM and edge.source in frontier:
                kept.add(edge)
                following.add(edge.destination)
            if direction is not Direction.DOWNSTREAM and edge.destination in frontier:
                kept.add(edge)
                following.add(edge.source)
        frontier = following - reached
        reached |= following
        if not frontier:
            break
    kept_pairs = {(e.source, e.destination, e.deployment_id) for e in kept}
    columns = sorted(
        {
            e
            for lineage in lineages
            for e in lineage.column_edges
            if (_table_of(e.source), _table_of(e.destination), e.deployment_id) in kept_pairs
        }
    )
    return Lineage(
        tables=tuple(tables[t] for t in sorted(reached) if t in tables),
        table_edges=tuple(sorted(kept)),
        column_edges=tuple(columns),
    )
