"""``api.dli.graph.stream_graph``: Flink's JobGraph plan as DLI's stream graph."""

from __future__ import annotations

from millstream.api.dli.graph import stream_graph


def test_nodes_keep_flinks_order_and_edges_follow_the_inputs() -> None:
    plan = {
        "jid": "j",
        "name": "insert-into_t",
        "type": "STREAMING",
        "nodes": [
            {"id": "a", "description": "Source: s", "parallelism": 2, "operator": "x"},
            {
                "id": "b",
                "operator": "Sink: t",
                "parallelism": 4,
                "inputs": [{"num": 0, "id": "a", "ship_strategy": "REBALANCE"}],
            },
            "not a node",
        ],
    }
    assert stream_graph(plan) == {
        "job_name": "insert-into_t",
        "type": "STREAMING",
        "nodes": [
            {"id": "a", "name": "Source: s", "parallelism": 2, "inputs": []},
            {"id": "b", "name": "Sink: t", "parallelism": 4, "inputs": ["a"]},
        ],
        "edges": [{"source": "a", "target": "b", "ship_strategy": "REBALANCE"}],
    }


def test_an_empty_plan_is_an_empty_graph() -> None:
    assert stream_graph({}) == {"job_name": None, "type": None, "nodes": [], "edges": []}
