"""Lineage of a Flink SQL script: ``sql_lineage(script)`` for table and column edges,
``plan_table_edges(plan)`` for the table edges Flink's own JobGraph plan shows.

Columns come from ``sqlglot``'s lineage module over the script's DDL (``CREATE TABLE``
columns and ``WITH`` options, ``CREATE VIEW`` queries) and each ``INSERT INTO``'s query;
Flink's DDL parses with sqlglot's Hive dialect (``WITH (...)`` as table properties).
``control.services.lineage`` cross-checks the table edges with the plan. Statements
sqlglot cannot read (``SET``, ``ADD JAR``...) are skipped: they carry no lineage.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage

from millstream.domain.lineage import Lineage, LineageColumn, LineageEdge, LineageTable

__all__ = ["plan_table_edges", "sql_lineage"]

_DIALECT = "hive"
_DEFAULT_CATALOG = "default_catalog"
_DEFAULT_DATABASE = "default_database"
# ``EXECUTE STATEMENT SET BEGIN ... END;`` and ``BEGIN STATEMENT SET; ... END;`` wrap
# INSERTs; their lineage is the INSERTs'.
_STATEMENT_SET = re.compile(
    r"\b(EXECUTE\s+STATEMENT\s+SET\s+BEGIN|BEGIN\s+STATEMENT\s+SET\s*;|^\s*END\s*;)",
    re.IGNORECASE | re.MULTILINE,
)
_SKIPPED = re.compile(r"^\s*(SET|RESET|ADD\s+JAR|USE|LOAD|UNLOAD|SHOW|DESCRIBE)\b", re.I)


def _statements(script: str) -> list[Any]:
    text = _STATEMENT_SET.sub(" ", script)
    found: list[Any] = []
    for piece in _split(text):
        if not piece.strip() or _SKIPPED.match(piece):
            continue
        try:
            parsed = sqlglot.parse_one(piece, read=_DIALECT)
        except (SqlglotError, ValueError, TypeError):
            continue  # not a statement sqlglot reads: it carries no lineage we can trace
        if parsed is not None:
            found.append(parsed)
    return found


def _split(text: str) -> list[str]:
    """Statements separated by ``;`` outside quotes and comments."""
    pieces: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "'`\"":
            quote = char
            current.append(char)
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char == ";":
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    pieces.append("".join(current))
    return pieces


def _qualify(table: exp.Table) -> tuple[str, str, str]:
    return (
        table.catalog or _DEFAULT_CATALOG,
        table.db or _DEFAULT_DATABASE,
        table.name,
    )


def _options(create: exp.Create) -> dict[str, str]:
    props = create.args.get("properties")
    options: dict[str, str] = {}
    if props is None:
        return options
    for prop in props.expressions:
        if type(prop) is exp.Property and prop.name:
            key = prop.name
            value = prop.args.get("value")
            text = value.name if isinstance(value, exp.Literal) else value.sql() if value else ""
            options[str(key)] = str(text)
    return options


def _table(create: exp.Create) -> tuple[LineageTable, list[str]] | None:
    """The table a CREATE TABLE declares, and its writable (physical) columns in order."""
    schema = create.this
    if not isinstance(schema, exp.Schema) or not isinstance(schema.this, exp.Table):
        return None
    catalog, database, name = _qualify(schema.this)
    columns: list[LineageColumn] = []
    physical: list[str] = []
    for column in schema.expressions:
        if not isinstance(column, exp.ColumnDef):
            continue
        kind = column.args.get("kind")
        computed = any(
            isinstance(c.args.get("kind"), exp.ComputedColumnConstraint)
            for c in column.args.get("constraints") or []
        )
        not_null = any(
            isinstance(c.args.get("kind"), exp.NotNullColumnConstraint)
            for c in column.args.get("constraints") or []
        )
        type_text = kind.sql(_DIALECT) if kind is not None else "COMPUTED"
        columns.append(LineageColumn(column.name, type_text, not not_null))
        if not computed:
            physical.append(column.name)
    options = _options(create)
    props = create.args.get("properties")
    temporary = bool(props and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions))
    table = LineageTable(
        catalog=catalog,
        database=database,
        name=name,
        connector=options.get("connector"),
        temporary=temporary,
        columns=tuple(columns),
        options=options,
    )
    return table, physical


def _aliased(query: exp.Query) -> tuple[exp.Query, list[str]]:
    """The query with every output named (``_c0``…), and those names in order."""
    query = query.copy()
    names: list[str] = []
    if isinstance(query, exp.Select):
        projections = []
        for index, projection in enumerate(query.expressions):
            name = projection.alias_or_name
            if not name or isinstance(projection, exp.Star):
                name = f"_c{index}"
                projection = exp.alias_(projection, name)
            names.append(name)
            projections.append(projection)
        query.set("expressions", projections)
    else:
        names = [p.alias_or_name for p in query.selects]
    return query, names


def _leaves(node: Node) -> list[tuple[str, str, str, str]]:
    found = []
    for leaf in node.walk():
        if leaf.downstream or not isinstance(leaf.expression, exp.Table):
            continue
        catalog, database, name = _qualify(leaf.expression)
        found.append((catalog, database, name, leaf.name.rsplit(".", 1)[-1]))
    return found


def sql_lineage(script: str) -> Lineage:
    """Tables, table edges and column edges of the script's INSERT statements."""
    tables: dict[str, LineageTable] = {}
    physical: dict[str, list[str]] = {}
    views: dict[str, exp.Query] = {}
    schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    table_edges: set[LineageEdge] = set()
    column_edges: set[LineageEdge] = set()
    for statement in _statements(script):
        if isinstance(statement, exp.Create) and statement.args.get("kind") == "TABLE":
            declared = _table(statement)
            if declared is None:
                continue
            table, writable = declared
            tables[table.id] = table
            physical[table.id] = writable
            schema.setdefault(table.catalog, {}).setdefault(table.database, {})[table.name] = {
                c.name: "STRING" for c in table.columns
            }
        elif isinstance(statement, exp.Create) and statement.args.get("kind") == "VIEW":
            if isinstance(statement.expression, exp.Query) and isinstance(
                statement.this, exp.Table
            ):
                views[statement.this.name] = statement.expression
        elif isinstance(statement, exp.Insert):
            _insert(statement, tables, physical, views, schema, table_edges, column_edges)
    return Lineage(
        tables=tuple(tables[t] for t in sorted(tables)),
        table_edges=tuple(sorted(table_edges)),
        column_edges=tuple(sorted(column_edges)),
    )


def _insert(
    statement: exp.Insert,
    tables: dict[str, LineageTable],
    physical: dict[str, list[str]],
    views: dict[str, exp.Query],
    schema: dict[str, Any],
    table_edges: set[LineageEdge],
    column_edges: set[LineageEdge],
) -> None:
    target = statement.this
    listed: list[str] = []
    if isinstance(target, exp.Schema):
        listed = [c.name for c in target.expressions]
        target = target.this
    query = statement.expression
    if not isinstance(target, exp.Table) or not isinstance(query, exp.Query):
        return
    sink = ".".join(_qualify(target))
    sink_columns = listed or physical.get(sink, [])
    query, outputs = _aliased(query)
    sources: dict[str, str | exp.Query] = dict(views)
    for source in query.find_all(exp.Table):
        table_id = ".".join(_qualify(source))
        if table_id in tables or source.name not in views:
            table_edges.add(LineageEdge(table_id, sink))
    for index, output in enumerate(outputs):
        if index >= len(sink_columns):
            break
        try:
            node = lineage(output, query, schema=schema, sources=sources, dialect=_DIALECT)
        except (SqlglotError, KeyError, ValueError, AttributeError, TypeError):
            continue  # a query shape the parser cannot trace: no edge for this column
        for catalog, database, name, column in _leaves(node):
            table_id = f"{catalog}.{database}.{name}"
            if name in views and table_id not in tables:
                continue
            table_edges.add(LineageEdge(table_id, sink))
            column_edges.add(LineageEdge(f"{table_id}.{column}", f"{sink}.{sink_columns[index]}"))


_SOURCE = re.compile(r"TableSourceScan\(table=\[\[([^\]]+)\]\]")
_SINK = re.compile(r"Sink\(table=\[([^\]]+)\]")


def _ids(match: str) -> str:
    return ".".join(part.strip().strip("`") for part in match.split(","))


def plan_table_edges(plan: dict[str, Any]) -> set[tuple[str, str]]:
    """(source table, sink table) pairs of Flink's JobGraph plan: each sink vertex walked
    back through its inputs to the source scans that feed it."""
    nodes = {str(n.get("id")): n for n in plan.get("nodes", []) if isinstance(n, dict)}
    edges: set[tuple[str, str]] = set()
    for node_id, node in nodes.items():
        text = str(node.get("description") or "")
        sinks = [".".join(p.strip() for p in m.split(".")) for m in _SINK.findall(text)]
        if not sinks:
            continue
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            current = stack.pop()
            if current in seen or current not in nodes:
                continue
            seen.add(current)
            description = str(nodes[current].get("description") or "")
            for source in _SOURCE.findall(description):
                edges.update((_ids(source), sink) for sink in sinks)
            stack.extend(str(i.get("id")) for i in nodes[current].get("inputs") or [])
    return edges
