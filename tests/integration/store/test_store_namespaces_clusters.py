"""Namespaces and clusters in the SQL store: create, read, update, delete, name conflicts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import Conflict, NotFound
from millstream.store import SqlStore
from tests.factories import make_cluster, make_namespace

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_namespaces_round_trip_and_list(store: SqlStore) -> None:
    first = make_namespace(workspace="w1", name="b", created_at=T0)
    second = make_namespace(workspace="w1", name="a", created_at=T0)
    third = make_namespace(workspace="w2", name="a", created_at=T0)
    with store.transaction() as repos:
        for namespace in (first, second, third):
            repos.create_namespace(namespace=namespace)
    with store.transaction() as repos:
        assert repos.read_namespace(workspace="w1", name="b") == first
        assert repos.read_namespace(workspace="w1", name="c") is None
        assert repos.read_namespaces(workspace="w1") == [second, first]
        assert repos.read_namespaces() == [second, first, third]


def test_duplicate_namespace_is_a_conflict(store: SqlStore) -> None:
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace(name="dup"))
    with pytest.raises(Conflict, match="'dup' already exists"), store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace(name="dup"))


def test_cluster_crud(store: SqlStore) -> None:
    cluster = make_cluster(
        name="embedded",
        namespace="ns",
        kind=ClusterKind.EMBEDDED,
        rest_url="http://127.0.0.1:8081",
        flink_conf={"taskmanager.numberOfTaskSlots": 4},
        created_at=T0,
        modified_at=T0,
    )
    other = make_cluster(name="remote", workspace="other")
    with store.transaction() as repos:
        repos.create_cluster(cluster=cluster)
        repos.create_cluster(cluster=other)
    with store.transaction() as repos:
        assert repos.read_cluster(workspace="ws", name="embedded") == cluster
        assert repos.read_clusters(workspace="ws") == [cluster]
        assert [c.name for c in repos.read_clusters()] == ["remote", "embedded"]

    cluster.rest_url = "http://flink:8081"
    cluster.flink_conf = {}
    with store.transaction() as repos:
        repos.update_cluster(cluster=cluster)
    assert cluster.modified_at is not None
    assert cluster.modified_at > T0
    with store.transaction() as repos:
        assert repos.read_cluster(workspace="ws", name="embedded") == cluster
        repos.delete_cluster(cluster_id=cluster.id)
    with store.transaction() as repos:
        assert repos.read_cluster(workspace="ws", name="embedded") is None
    with pytest.raises(NotFound), store.transaction() as repos:
        repos.update_cluster(cluster=cluster)


def test_duplicate_cluster_name_is_a_conflict(store: SqlStore) -> None:
    renamed = make_cluster(name="b")
    with store.transaction() as repos:
        repos.create_cluster(cluster=make_cluster(name="a"))
        repos.create_cluster(cluster=renamed)
        repos.create_cluster(cluster=make_cluster(name="a", workspace="elsewhere"))
    with pytest.raises(Conflict, match="cluster named 'a'"), store.transaction() as repos:
        repos.create_cluster(cluster=make_cluster(name="a"))
    renamed.name = "a"
    with pytest.raises(Conflict, match="cluster named 'a'"), store.transaction() as repos:
        repos.update_cluster(cluster=renamed)
