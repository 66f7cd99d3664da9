"""JobManager resize operations in the SQL store (SQLite and PostgreSQL): a round trip of
every field, open ones filtered by workspace and cluster (oldest first), finished ones
left out, and an update of a missing one refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from millstream.domain.cluster_restarts import ClusterRestart, ClusterRestartPhase
from millstream.domain.errors import NotFound
from millstream.domain.resources import ResourceSpec
from millstream.store import SqlStore
from millstream.store.cluster_restarts import SqlClusterRestartStore
from tests.factories import new_id

T0 = datetime(2026, 12, 4, 22, 30, 5, tzinfo=UTC)


def _restart(cluster: str = "s1", *, at: datetime = T0, workspace: str = "ws") -> ClusterRestart:
    return ClusterRestart(
        id=new_id(),
        workspace=workspace,
        namespace="ns",
        cluster=cluster,
        jobmanager=ResourceSpec(8.0, "32 GiB"),
        job_ids=["job-a", "job-b"],
        message="suspending 2 job(s) with a savepoint",
        request_id="req-1",
        creator="alice-id",
        created_at=at,
        modified_at=at,
    )


def test_round_trip_and_phase_updates(store: SqlStore) -> None:
    restarts = SqlClusterRestartStore(store.engine)
    restart = _restart()
    with restarts.transaction() as repos:
        repos.create_cluster_restart(restart=restart)
    restart.move_to(ClusterRestartPhase.SUSPENDING)
    restart.move_to(ClusterRestartPhase.RESTARTING, "the cluster restarts")
    restart.previous_start = T0 - timedelta(hours=1)
    restart.modified_at = T0 + timedelta(seconds=3)
    with restarts.transaction() as repos:
        repos.update_cluster_restart(restart=restart)
    with restarts.transaction() as repos:
        assert repos.read_cluster_restart(restart_id=restart.id) == restart
        assert repos.read_cluster_restart(restart_id="missing") is None
    restart.fail("ClusterFailed", "it did not come back")
    with restarts.transaction() as repos:
        repos.update_cluster_restart(restart=restart)
        found = repos.read_cluster_restart(restart_id=restart.id)
    assert found is not None
    assert (found.phase, found.failure_reason) == (ClusterRestartPhase.FAILED, "ClusterFailed")


def test_open_ones_are_listed_oldest_first_by_workspace_and_cluster(store: SqlStore) -> None:
    restarts = SqlClusterRestartStore(store.engine)
    newer, older = _restart("s1", at=T0 + timedelta(seconds=5)), _restart("s2", at=T0)
    other = _restart("s1", workspace="elsewhere")
    done = _restart("s3")
    done.phase = ClusterRestartPhase.DONE
    with restarts.transaction() as repos:
        for restart in (newer, older, other, done):
            repos.create_cluster_restart(restart=restart)
    with restarts.transaction() as repos:
        everywhere = repos.read_open_cluster_restarts()
        in_ws = repos.read_open_cluster_restarts(workspace="ws")
        of_s1 = repos.read_open_cluster_restarts(workspace="ws", cluster="s1")
    assert {r.id for r in everywhere} == {newer.id, older.id, other.id}
    assert [r.id for r in in_ws] == [older.id, newer.id]
    assert [r.id for r in of_s1] == [newer.id]


def test_updating_a_missing_operation_is_not_found(store: SqlStore) -> None:
    restarts = SqlClusterRestartStore(store.engine)
    with pytest.raises(NotFound), restarts.transaction() as repos:
        repos.update_cluster_restart(restart=_restart())
