"""``SqlNamespaceStore`` on SQLite and PostgreSQL: namespace profiles (migration 0011),
what a namespace still runs, and a deletion that removes what belongs to it and leaves
everything else alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from millstream.control.ports import Page
from millstream.domain.errors import Conflict
from millstream.domain.folders import Folder
from millstream.domain.namespace_profiles import NamespaceProfile
from millstream.store import SqlStore
from millstream.store.catalog import SqlCatalogStore
from millstream.store.namespaces import SqlNamespaceStore
from tests.factories import (
    NAMESPACE,
    WORKSPACE,
    make_deployment,
    make_event,
    make_job,
    make_namespace,
    make_queue,
    new_id,
)


def _profile(name: str) -> NamespaceProfile:
    now = datetime.now(UTC)
    return NamespaceProfile(
        workspace=WORKSPACE,
        name=name,
        id=new_id(),
        created_at=now,
        description="nightly",
        attributes={"k": "v"},
        creator="alice",
        modifier="alice",
        modified_at=now,
    )


def _folder(namespace: str) -> Folder:
    now = datetime.now(UTC)
    return Folder(
        workspace=WORKSPACE,
        namespace=namespace,
        path="/a",
        creator=None,
        modifier=None,
        created_at=now,
        modified_at=now,
    )


def test_profiles_are_created_read_and_updated(store: SqlStore) -> None:
    namespaces = SqlNamespaceStore(store.engine)
    with namespaces.transaction() as repos:
        repos.create_profile(profile=_profile("etl"))
    with namespaces.transaction() as repos:
        got = repos.read_profile(workspace=WORKSPACE, name="etl")
        assert got is not None
        assert (got.description, got.attributes, got.creator) == ("nightly", {"k": "v"}, "alice")
        got.description, got.attributes, got.modifier = "daily", {}, "bob"
        repos.update_profile(profile=got)
    with namespaces.transaction() as repos:
        again = repos.read_profile(workspace=WORKSPACE, name="etl")
        assert again is not None
        assert (again.description, again.attributes, again.modifier) == ("daily", {}, "bob")
    with pytest.raises(Conflict), namespaces.transaction() as repos:
        repos.create_profile(profile=_profile("etl"))
    # A namespace made without a profile (ensure_defaults, older rows) reads as empty.
    with store.transaction() as main:
        main.create_namespace(namespace=make_namespace(name="plain"))
    with namespaces.transaction() as repos:
        plain = repos.read_profile(workspace=WORKSPACE, name="plain")
        assert plain is not None
        assert (plain.description, plain.attributes, plain.creator) == ("", {}, None)


def test_use_counts_what_the_namespace_runs(store: SqlStore) -> None:
    namespaces = SqlNamespaceStore(store.engine)
    with store.transaction() as main:
        main.create_namespace(namespace=make_namespace())
        deployment = make_deployment()
        main.create_deployment(deployment=deployment)
        main.create_job(job=make_job(deployment))
        main.create_queue(queue=make_queue(name="solo", namespaces=(NAMESPACE,)))
        main.create_queue(queue=make_queue(name="shared", namespaces=(NAMESPACE, "other")))
    with namespaces.transaction() as repos:
        use = repos.read_use(workspace=WORKSPACE, name=NAMESPACE)
    assert (use.deployments, use.live_jobs, use.sole_queues) == (1, 1, ("solo",))
    assert len(use.blockers()) == 3
    with namespaces.transaction() as repos:
        assert repos.read_use(workspace=WORKSPACE, name="other").blockers() == []


def test_delete_removes_what_belongs_to_the_namespace_only(store: SqlStore) -> None:
    namespaces = SqlNamespaceStore(store.engine)
    catalog = SqlCatalogStore(store.engine)
    with store.transaction() as main:
        main.create_namespace(namespace=make_namespace(name="gone"))
        main.create_namespace(namespace=make_namespace(name="kept"))
        main.create_queue(queue=make_queue(name="shared", namespaces=("gone", "kept")))
        # Events outlive their deployment: history that goes with the namespace.
        main.create_event(event=make_event(namespace="gone"))
        main.create_event(event=make_event(namespace="kept"))
    with catalog.transaction() as repos:
        repos.create_folder(folder=_folder("gone"))
        repos.create_folder(folder=_folder("kept"))
    with namespaces.transaction() as repos:
        repos.delete_namespace(workspace=WORKSPACE, name="gone")
    with store.transaction() as main:
        assert [n.name for n in main.read_namespaces(workspace=WORKSPACE)] == ["kept"]
        assert main.read_events(workspace=WORKSPACE, namespace="gone", page=Page())[1] == 0
        assert main.read_events(workspace=WORKSPACE, namespace="kept", page=Page())[1] == 1
        queue = main.read_queue(name="shared")
        assert queue is not None
        assert queue.namespaces == ("kept",)
    with catalog.transaction() as repos:
        assert repos.read_folders(workspace=WORKSPACE, namespace="gone") == []
        assert [f.path for f in repos.read_folders(workspace=WORKSPACE, namespace="kept")] == ["/a"]
