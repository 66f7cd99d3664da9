"""Deployment drafts over the SQL store, on SQLite and PostgreSQL: round trips, unique
names per folder, the edit lock (holder, expiry, renewal), background tickets kept in the
store until they expire, and the previous spec every deploy keeps for rollback. The
deployments a draft writes are a small in-memory fake (``_Deployments``)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services.deployments import DeploymentPatch
from millstream.control.services.draft_runner import DraftRunner
from millstream.control.services.drafts import DraftChange, DraftService
from millstream.control.services.folders import FolderService
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.deployments import Deployment
from millstream.domain.drafts import DraftSpec, DraftTicket, TicketKind, TicketStatus
from millstream.domain.errors import Conflict, InvalidSql, NotFound, StaleVersion
from millstream.store import SqlStore
from millstream.store.catalog import SqlCatalogStore
from millstream.store.drafts import DraftStore

SCOPE = Scope("ws", "ns")
OTHER = Scope("ws", "other")
ALICE = Actor(id="u-alice", name="alice")
BOB = Actor(id="u-bob", name="bob")


def _sql(script: str = "INSERT INTO sink SELECT * FROM src;") -> Artifact:
    return Artifact(ArtifactKind.SQLSCRIPT, sql_script=script)


class _Deployments:
    """The part of ``DeploymentService`` drafts use, in memory, with versions."""

    def __init__(self) -> None:
        self.items: dict[str, Deployment] = {}
        self.bad_sql: InvalidSql | None = None

    def get(self, scope: Scope, deployment_id: str) -> Deployment:
        found = self.items.get(deployment_id)
        if found is None or (found.workspace, found.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(f"deployment {deployment_id!r} does not exist")
        return found

    def create(self, scope: Scope, actor: Actor, patch: DeploymentPatch) -> Deployment:
        assert patch.name is not None
        assert patch.artifact is not None
        created = patch.apply(
            Deployment(
                id=f"dep-{len(self.items) + 1}",
                workspace=scope.workspace,
                namespace=scope.namespace,
                name=patch.name,
                artifact=patch.artifact,
                creator=actor.id,
            )
        )
        self.items[created.id] = created
        return created

    def update(
        self, scope: Scope, actor: Actor, deployment_id: str, patch: DeploymentPatch
    ) -> Deployment:
        current = self.get(scope, deployment_id)
        if patch.expected_version is not None and patch.expected_version != current.version:
            raise StaleVersion("stale")
        updated = dataclasses.replace(patch.apply(current), version=current.version + 1)
        updated.modifier = actor.id
        self.items[deployment_id] = updated
        return updated

    def validate_sql(self, *_: Any, **__: Any) -> None:
        if self.bad_sql is not None:
            raise self.bad_sql


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def deployments() -> _Deployments:
    return _Deployments()


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def drafts(store: SqlStore, deployments: _Deployments, clock: _Clock) -> Iterator[DraftService]:
    service = DraftService(
        DraftStore(store.engine),
        FolderService(SqlCatalogStore(store.engine)),
        deployments,
        runner=DraftRunner(workers=1, backlog=4),
        clock=clock,
    )
    yield service
    service.close()


def _new(drafts: DraftService, name: str = "orders", **spec: Any) -> Any:
    return drafts.create(
        SCOPE, ALICE, DraftChange(spec=DraftSpec(name=name, artifact=_sql(), **spec))
    )


def _wait(drafts: DraftService, ticket: DraftTicket) -> DraftTicket:
    deadline = time.monotonic() + 10
    while True:
        found = drafts.ticket(SCOPE, ticket.id, ticket.kind)
        if found.status is not TicketStatus.PROCESSING:
            return found
        assert time.monotonic() < deadline, "ticket still processing after 10 s"
        time.sleep(0.02)


def test_a_draft_round_trips_and_stays_in_its_namespace(drafts: DraftService) -> None:
    created = _new(
        drafts,
        labels={"team": "a"},
        variables={"v": "1"},
        execution_mode=ExecutionMode.BATCH,
        engine_version="flink-1.20",
    )
    read = drafts.get(SCOPE, created.id)
    assert read == created
    assert read.spec.artifact == _sql()
    assert (read.spec.labels, read.spec.variables) == ({"team": "a"}, {"v": "1"})
    assert read.spec.execution_mode is ExecutionMode.BATCH
    assert (read.creator, read.creator_name) == ("u-alice", "alice")
    with pytest.raises(NotFound):
        drafts.get(OTHER, created.id)
    found, total = drafts.list(SCOPE, Page(offset=0, limit=10))
    assert ([d.id for d in found], total) == ([created.id], 1)
    assert drafts.count_in_folder(SCOPE, 0) == 1


def test_names_are_unique_per_folder(drafts: DraftService) -> None:
    _new(drafts)
    with pytest.raises(Conflict, match="already has a deployment draft named 'orders'"):
        _new(drafts)


def test_a_missing_folder_is_not_found(drafts: DraftService) -> None:
    with pytest.raises(NotFound, match="folder 42"):
        drafts.create(SCOPE, ALICE, DraftChange(spec=DraftSpec(name="x"), folder_id=42))


def test_a_lock_keeps_others_out_until_it_expires(drafts: DraftService, clock: _Clock) -> None:
    draft = _new(drafts)
    lock = drafts.lock(SCOPE, BOB, draft.id)
    assert (lock.holder_id, lock.expires_at) == ("u-bob", clock.now + timedelta(minutes=30))
    change = DraftChange(spec=DraftSpec(name="renamed", artifact=_sql()))
    with pytest.raises(Conflict, match=r"locked by bob \(u-bob\) until 2026-12-04T22:30"):
        drafts.update(SCOPE, ALICE, draft.id, change)
    with pytest.raises(Conflict, match="locked by bob"):
        drafts.lock(SCOPE, ALICE, draft.id)
    with pytest.raises(Conflict, match="locked by bob"):
        drafts.delete(SCOPE, ALICE, draft.id)
    # The holder edits and renews (same lock id, later expiry).
    assert drafts.update(SCOPE, BOB, draft.id, change).spec.name == "renamed"
    clock.now += timedelta(minutes=10)
    renewed = drafts.lock(SCOPE, BOB, draft.id)
    assert renewed.id == lock.id
    assert renewed.expires_at == clock.now + timedelta(minutes=30)
    # Expired: anyone may take it.
    clock.now += timedelta(minutes=31)
    taken = drafts.lock(SCOPE, ALICE, draft.id, timedelta(minutes=2))
    assert (taken.holder_id, taken.expires_at) == ("u-alice", clock.now + timedelta(minutes=2))
    assert taken.id != lock.id
    assert drafts.get(SCOPE, draft.id).lock == taken


def test_validation_reports_flink_line_and_column(
    drafts: DraftService, deployments: _Deployments
) -> None:
    draft = _new(drafts)
    good = _wait(drafts, drafts.validate_async(SCOPE, ALICE, draft.id))
    assert good.status is TicketStatus.FINISHED
    assert good.outcome is not None
    assert good.outcome.ok
    deployments.bad_sql = InvalidSql("Object 'src' not found", line=1, column=27)
    bad = _wait(drafts, drafts.validate_async(SCOPE, ALICE, draft.id))
    assert bad.status is TicketStatus.FAILED
    assert bad.outcome is not None
    assert (bad.outcome.line, bad.outcome.column) == (1, 27)
    assert bad.outcome.message == "Object 'src' not found"
    # A validate ticket is not a deploy ticket.
    with pytest.raises(NotFound):
        drafts.ticket(SCOPE, bad.id, TicketKind.DEPLOY)


def test_tickets_expire(drafts: DraftService, clock: _Clock) -> None:
    ticket = _wait(drafts, drafts.validate_async(SCOPE, ALICE, _new(drafts).id))
    clock.now += timedelta(hours=1)
    with pytest.raises(NotFound, match="expired"):
        drafts.ticket(SCOPE, ticket.id, TicketKind.VALIDATE)


def test_deploys_keep_the_previous_spec_and_roll_back(
    drafts: DraftService, deployments: _Deployments, clock: _Clock
) -> None:
    draft = _new(drafts)
    first = _wait(drafts, drafts.deploy_async(SCOPE, ALICE, draft.id))
    assert first.outcome is not None
    assert first.outcome.ok
    deployment_id = first.outcome.deployment_id
    assert deployment_id is not None
    assert first.outcome.revision_id is None
    assert drafts.get(SCOPE, draft.id).deployment_id == deployment_id

    new_sql = _sql("INSERT INTO sink SELECT id FROM src;")
    drafts.update(SCOPE, ALICE, draft.id, DraftChange(spec=DraftSpec("orders", artifact=new_sql)))
    second = _wait(drafts, drafts.deploy_async(SCOPE, ALICE, draft.id))
    assert second.outcome is not None
    assert second.outcome.deployment_id == deployment_id
    assert deployments.items[deployment_id].artifact == new_sql
    kept = drafts.revisions(SCOPE, deployment_id)
    assert [r.id for r in kept] == [second.outcome.revision_id]
    assert kept[0].spec.artifact == _sql()

    clock.now += timedelta(seconds=1)
    restored, replaced = drafts.rollback(SCOPE, BOB, deployment_id)
    assert restored.artifact == _sql()
    assert replaced.spec.artifact == new_sql
    assert drafts.revisions(SCOPE, deployment_id)[0].id == replaced.id


def test_a_failed_validation_stops_a_deploy(
    drafts: DraftService, deployments: _Deployments
) -> None:
    deployments.bad_sql = InvalidSql("bad", line=2, column=3)
    ticket = _wait(drafts, drafts.deploy_async(SCOPE, ALICE, _new(drafts).id))
    assert ticket.status is TicketStatus.FAILED
    assert deployments.items == {}
    skipped = _wait(
        drafts, drafts.deploy_async(SCOPE, ALICE, _new(drafts, "b").id, skip_validate=True)
    )
    assert skipped.status is TicketStatus.FINISHED


def test_rollback_without_a_previous_spec_is_not_found(drafts: DraftService) -> None:
    ticket = _wait(drafts, drafts.deploy_async(SCOPE, ALICE, _new(drafts).id))
    assert ticket.outcome is not None
    assert ticket.outcome.deployment_id is not None
    with pytest.raises(NotFound, match="no previous spec"):
        drafts.rollback(SCOPE, ALICE, ticket.outcome.deployment_id)
