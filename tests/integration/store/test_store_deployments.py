"""Deployments in the SQL store: round trip, listing, filters, versions, name conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.ports import Page
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.deployments import Deployment, Logging
from millstream.domain.errors import Conflict, NotFound, StaleVersion
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec
from millstream.store import SqlStore
from tests.factories import make_deployment, make_job, make_savepoint

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def full_deployment() -> Deployment:
    """Every field set to something other than its default."""
    return make_deployment(
        name="orders-enrichment",
        artifact=Artifact(
            ArtifactKind.JAR,
            jar_uri="s3://bucket/app.jar",
            entry_class="com.example.Main",
            main_args="--input kafka --émoji 🚀",
            additional_dependencies=("s3://bucket/dep1.jar", "s3://bucket/dep2.jar"),
            additional_python_libraries=("lib.zip",),
            additional_python_archives=("venv.zip",),
            extra={"kind-specific": "yes"},
        ),
        execution_mode=ExecutionMode.BATCH,
        engine_version="vvr-8.0.5-flink-1.17",
        description="enriches orders\nwith customers",
        labels={"team": "payments", "env": "prod"},
        flink_conf={"parallelism.default": 4, "nested": {"a": [1, 2.5, None, True]}},
        streaming_resource=ResourceSetting(
            mode=ResourceMode.EXPERT,
            parallelism=8,
            jobmanager=ResourceSpec(2.0, "4 GiB"),
            taskmanager=ResourceSpec(1.5, "6 GiB"),
            resource_plan='{"nodes": []}',
            max_slot=3,
        ),
        batch_resource=ResourceSetting(parallelism=2),
        logging=Logging(
            logging_profile="custom",
            log4j2_configuration_template="<Configuration/>",
            log4j_loggers=(("", "INFO"), ("org.apache.kafka", "WARN")),
            log_reserve_open_history=True,
            log_reserve_expiration_days=7,
        ),
        local_variables={"table": "orders"},
        cluster="session-1",
        creator="alice",
        modifier="bob",
        created_at=T0,
        modified_at=T0 + timedelta(seconds=5),
        version=3,
    )


def test_deployment_round_trips_every_field(store: SqlStore) -> None:
    deployment = full_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    with store.transaction() as repos:
        by_id = repos.read_deployment(
            workspace=deployment.workspace,
            namespace=deployment.namespace,
            deployment_id=deployment.id,
        )
        by_name = repos.read_deployment_by_name(
            workspace=deployment.workspace, namespace=deployment.namespace, name=deployment.name
        )
    assert by_id == deployment
    assert by_name == deployment
    assert by_id is not None
    assert by_id.created_at is not None
    assert by_id.created_at.tzinfo is not None
    assert by_id.created_at.utcoffset() == timedelta(0)


def test_create_stamps_timestamps_in_utc(store: SqlStore) -> None:
    deployment = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    assert deployment.created_at is not None
    assert deployment.created_at.tzinfo is UTC
    assert deployment.modified_at == deployment.created_at


def test_deployment_is_only_visible_in_its_namespace(store: SqlStore) -> None:
    deployment = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        other = repos.read_deployment(
            workspace=deployment.workspace, namespace="other", deployment_id=deployment.id
        )
    assert other is None


def test_read_deployments_pages_newest_first_with_total(store: SqlStore) -> None:
    deployments = [
        make_deployment(name=f"d{i:02}", created_at=T0 + timedelta(minutes=i)) for i in range(25)
    ]
    with store.transaction() as repos:
        for deployment in deployments:
            repos.create_deployment(deployment=deployment)
        repos.create_deployment(deployment=make_deployment(namespace="elsewhere"))
    with store.transaction() as repos:
        first, total = repos.read_deployments(workspace="ws", namespace="ns", page=Page(0, 10))
        last, total_again = repos.read_deployments(
            workspace="ws", namespace="ns", page=Page(20, 10)
        )
        beyond, _ = repos.read_deployments(workspace="ws", namespace="ns", page=Page(30, 10))
    assert total == total_again == 25
    assert [d.name for d in first] == [f"d{i:02}" for i in range(24, 14, -1)]
    assert [d.name for d in last] == [f"d{i:02}" for i in range(4, -1, -1)]
    assert beyond == []


def test_read_deployments_filters_by_name_labels_and_mode(store: SqlStore) -> None:
    with store.transaction() as repos:
        for name, labels, mode in [
            ("a", {"team": "x", "env": "prod"}, ExecutionMode.STREAMING),
            ("b", {"team": "x", "env": "dev"}, ExecutionMode.BATCH),
            ("c", {"team": "y"}, ExecutionMode.STREAMING),
            ("d", {}, ExecutionMode.BATCH),
        ]:
            repos.create_deployment(
                deployment=make_deployment(name=name, labels=labels, execution_mode=mode)
            )

    def names(**filters: object) -> tuple[list[str], int]:
        with store.transaction() as repos:
            found, total = repos.read_deployments(
                workspace="ws",
                namespace="ns",
                page=Page(0, 100),
                **filters,  # type: ignore[arg-type]
            )
        return sorted(d.name for d in found), total

    assert names(name="b") == (["b"], 1)
    assert names(name="missing") == ([], 0)
    assert names(labels={"team": "x"}) == (["a", "b"], 2)
    assert names(labels={"team": "x", "env": "prod"}) == (["a"], 1)
    assert names(labels={"nope": "x"}) == ([], 0)
    assert names(execution_mode=ExecutionMode.BATCH) == (["b", "d"], 2)
    assert names(labels={"team": "x"}, execution_mode=ExecutionMode.BATCH) == (["b"], 1)


def test_update_deployment_increments_version(store: SqlStore) -> None:
    deployment = make_deployment(version=1)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    deployment.description = "changed"
    deployment.labels = {"new": "label"}
    with store.transaction() as repos:
        repos.update_deployment(deployment=deployment)
    assert deployment.version == 2
    with store.transaction() as repos:
        stored = repos.read_deployment(workspace="ws", namespace="ns", deployment_id=deployment.id)
    assert stored == deployment


def test_update_deployment_with_stale_version_is_rejected(store: SqlStore) -> None:
    deployment = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    with store.transaction() as repos:
        first = repos.read_deployment(workspace="ws", namespace="ns", deployment_id=deployment.id)
        second = repos.read_deployment(workspace="ws", namespace="ns", deployment_id=deployment.id)
    assert first is not None
    assert second is not None
    first.description = "first writer"
    with store.transaction() as repos:
        repos.update_deployment(deployment=first)
    second.description = "second writer"
    with (
        pytest.raises(StaleVersion, match=r"version 1, the stored version is 2"),
        store.transaction() as repos,
    ):
        repos.update_deployment(deployment=second)
    assert second.version == 1
    with store.transaction() as repos:
        stored = repos.read_deployment(workspace="ws", namespace="ns", deployment_id=deployment.id)
    assert stored is not None
    assert stored.description == "first writer"


def test_update_of_missing_deployment_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound), store.transaction() as repos:
        repos.update_deployment(deployment=make_deployment(created_at=T0, modified_at=T0))


def test_duplicate_deployment_name_is_a_conflict(store: SqlStore) -> None:
    with store.transaction() as repos:
        repos.create_deployment(deployment=make_deployment(name="orders"))
    with (
        pytest.raises(Conflict, match="'orders' already exists in namespace 'ns'"),
        store.transaction() as repos,
    ):
        repos.create_deployment(deployment=make_deployment(name="orders"))
    with store.transaction() as repos:
        repos.create_deployment(deployment=make_deployment(name="orders", namespace="other"))
        _, total = repos.read_deployments(workspace="ws", namespace="ns", page=Page())
    assert total == 1


def test_renaming_onto_an_existing_name_is_a_conflict(store: SqlStore) -> None:
    renamed = make_deployment(name="b")
    with store.transaction() as repos:
        repos.create_deployment(deployment=make_deployment(name="a"))
        repos.create_deployment(deployment=renamed)
    renamed.name = "a"
    with pytest.raises(Conflict, match="'a' already exists"), store.transaction() as repos:
        repos.update_deployment(deployment=renamed)


def test_delete_deployment_removes_its_jobs_and_savepoints(store: SqlStore) -> None:
    deployment = make_deployment()
    job = make_job(deployment)
    savepoint = make_savepoint(job=job)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
        repos.create_savepoint(savepoint=savepoint)
    with store.transaction() as repos:
        repos.delete_deployment(deployment_id=deployment.id)
        repos.delete_deployment(deployment_id=deployment.id)
    with store.transaction() as repos:
        assert (
            repos.read_deployment(workspace="ws", namespace="ns", deployment_id=deployment.id)
            is None
        )
        assert repos.read_job(job_id=job.id) is None
        assert repos.read_savepoint(savepoint_id=savepoint.id) is None
