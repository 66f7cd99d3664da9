"""``Locator``: the scope of a deployment, job or cluster named only by id, or NotFound."""

from __future__ import annotations

import pytest

from millstream.control.context import Scope
from millstream.control.services.locator import Locator
from millstream.domain.errors import ErrorCode, NotFound
from tests.factories import make_cluster, make_deployment, make_job, make_namespace
from tests.fakes import InMemoryStore


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    with store.transaction() as repos:
        for name in ("ns-a", "ns-b"):
            repos.create_namespace(namespace=make_namespace(workspace="ws", name=name))
    return store


def test_job_scope_is_the_jobs_namespace(store: InMemoryStore) -> None:
    deployment = make_deployment(workspace="ws", namespace="ns-b")
    job = make_job(deployment)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    assert Locator(store).job_scope(job.id) == Scope("ws", "ns-b")
    with pytest.raises(NotFound) as caught:
        Locator(store).job_scope("missing")
    assert caught.value.code is ErrorCode.JOB_NOT_FOUND


def test_deployment_scope_searches_the_workspaces_namespaces(store: InMemoryStore) -> None:
    deployment = make_deployment(workspace="ws", namespace="ns-b")
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    locator = Locator(store)
    assert locator.deployment_scope(deployment.id, workspace="ws") == Scope("ws", "ns-b")
    with pytest.raises(NotFound) as caught:
        locator.deployment_scope(deployment.id, workspace="other")
    assert caught.value.code is ErrorCode.DEPLOYMENT_NOT_FOUND


def test_cluster_scope_is_its_namespace_or_the_default(store: InMemoryStore) -> None:
    with store.transaction() as repos:
        repos.create_cluster(cluster=make_cluster(workspace="ws", name="own", namespace="ns-a"))
        repos.create_cluster(cluster=make_cluster(workspace="ws", name="shared", namespace=None))
    locator = Locator(store)
    assert locator.cluster_scope("own", workspace="ws", default_namespace="d") == Scope(
        "ws", "ns-a"
    )
    assert locator.cluster_scope("shared", workspace="ws", default_namespace="d") == Scope(
        "ws", "d"
    )
    with pytest.raises(NotFound) as caught:
        locator.cluster_scope("none", workspace="ws", default_namespace="d")
    assert caught.value.code is ErrorCode.CLUSTER_NOT_FOUND
