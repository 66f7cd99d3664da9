"""Lineage of Flink SQL scripts (``engine.sql_lineage``): columns through views, joins
and expressions; table edges from a JobGraph plan; and the EXPERT plan generated from
such a graph is one a deployment accepts."""

from __future__ import annotations

import json

from millstream.domain.lineage import Direction, Lineage, LineageEdge, subgraph
from millstream.domain.resource_plans import expert_plan, graph_parallelism
from millstream.domain.resources import ResourceSetting, ResourceSpec, parse_resource_plan
from millstream.engine.sql_lineage import plan_table_edges, sql_lineage

D = "default_catalog.default_database"

SCRIPT = """
SET 'pipeline.name' = 'orders';
CREATE TEMPORARY TABLE orders (id BIGINT NOT NULL, name STRING, amount DOUBLE,
  ts AS PROCTIME()) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TEMPORARY TABLE regions (id BIGINT, region STRING) WITH ('connector' = 'datagen');
CREATE TEMPORARY VIEW joined AS
  SELECT o.id, o.name, r.region, o.amount FROM orders o JOIN regions r ON o.id = r.id;
CREATE TEMPORARY TABLE totals (id BIGINT, label STRING, total DOUBLE)
  WITH ('connector' = 'blackhole');
-- a comment; with a semicolon
INSERT INTO totals SELECT id, CONCAT(UPPER(name), region), SUM(amount) * 2
  FROM joined GROUP BY id, name, region;
"""


def test_column_edges_follow_views_joins_and_expressions() -> None:
    lineage = sql_lineage(SCRIPT)
    pairs = {(e.source, e.destination) for e in lineage.column_edges}
    assert pairs == {
        (f"{D}.orders.id", f"{D}.totals.id"),
        (f"{D}.orders.name", f"{D}.totals.label"),
        (f"{D}.regions.region", f"{D}.totals.label"),
        (f"{D}.orders.amount", f"{D}.totals.total"),
    }
    assert {(e.source, e.destination) for e in lineage.table_edges} == {
        (f"{D}.orders", f"{D}.totals"),
        (f"{D}.regions", f"{D}.totals"),
    }
    orders = next(t for t in lineage.tables if t.name == "orders")
    assert orders.connector == "datagen"
    assert orders.options["rows-per-second"] == "5"
    assert orders.columns[0].nullable is False


def test_insert_with_a_column_list_maps_by_name() -> None:
    script = (
        "CREATE TABLE a (x INT, y INT) WITH ('connector'='datagen');"
        "CREATE TABLE b (p INT, q INT) WITH ('connector'='blackhole');"
        "INSERT INTO b (q) SELECT y FROM a;"
    )
    assert [(e.source, e.destination) for e in sql_lineage(script).column_edges] == [
        (f"{D}.a.y", f"{D}.b.q")
    ]


def test_lineage_round_trips_through_json() -> None:
    lineage = sql_lineage(SCRIPT)
    assert Lineage.from_json(json.loads(json.dumps(lineage.to_json()))) == lineage


def test_subgraph_walks_upstream_within_depth() -> None:
    first = Lineage(table_edges=(LineageEdge("a", "b", "d1"),))
    second = Lineage(table_edges=(LineageEdge("b", "c", "d2"),))
    one = subgraph([first, second], "c", Direction.UPSTREAM, 1)
    assert [e.source for e in one.table_edges] == ["b"]
    two = subgraph([first, second], "c", Direction.UPSTREAM, 2)
    assert {e.source for e in two.table_edges} == {"a", "b"}
    assert subgraph([first, second], "c", Direction.DOWNSTREAM, 3).table_edges == ()


GRAPH = {
    "jid": "x",
    "nodes": [
        {
            "id": "sink",
            "parallelism": 2,
            "operator": "",
            "description": f"Sink(table=[{D}.totals], fields=[id])",
            "inputs": [{"id": "src", "ship_strategy": "HASH"}],
        },
        {
            "id": "src",
            "parallelism": 2,
            "description": "[1]:TableSourceScan(table=[[default_catalog, default_database, "
            "orders]], fields=[id])",
        },
    ],
}


def test_plan_table_edges_walk_from_sinks_to_sources() -> None:
    assert plan_table_edges(GRAPH) == {(f"{D}.orders", f"{D}.totals")}


def test_expert_plan_of_a_graph_is_accepted_by_deployments() -> None:
    resources = ResourceSetting(taskmanager=ResourceSpec(2.0, "4 GiB"))
    text = expert_plan(
        GRAPH, resources, parallelism=graph_parallelism(GRAPH, 1), slots_per_taskmanager=2
    )
    plan = json.loads(text)
    assert [n["id"] for n in plan["nodes"]] == ["sink", "src"]
    assert plan["ssgProfiles"][0]["cpu"] == 1.0
    assert plan["edges"] == [{"source": "src", "target": "sink", "mode": "HASH"}]
    assert parse_resource_plan(text).parallelism == 2
