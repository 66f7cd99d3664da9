"""Units of work: commit, rollback, and an unreachable database as ``StoreUnavailable``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from millstream.control.ports import Page, Store
from millstream.domain.errors import StoreUnavailable
from millstream.store import SqlStore
from tests.factories import make_deployment


class Boom(Exception):
    pass


def test_sql_store_implements_the_store_port(store: SqlStore) -> None:
    port: Store = store
    with port.transaction() as repos:
        assert repos.read_deployments(workspace="ws", namespace="ns", page=Page()) == ([], 0)


def test_exception_rolls_back_the_whole_unit_of_work(store: SqlStore) -> None:
    deployment = make_deployment()

    def create_then_fail() -> None:
        with store.transaction() as repos:
            repos.create_deployment(deployment=deployment)
            raise Boom

    with pytest.raises(Boom):
        create_then_fail()
    with store.transaction() as repos:
        assert (
            repos.read_deployment_by_name(workspace="ws", namespace="ns", name=deployment.name)
            is None
        )


def test_unreachable_postgres_is_store_unavailable() -> None:
    unreachable = SqlStore(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    with (
        pytest.raises(StoreUnavailable, match="retry") as caught,
        unreachable.transaction() as repos,
    ):
        repos.read_job(job_id="x")
    assert isinstance(caught.value.__cause__, OperationalError)
    unreachable.close()


def test_unopenable_sqlite_file_is_store_unavailable(tmp_path: Path) -> None:
    (tmp_path / "db-is-a-directory").mkdir()
    broken = SqlStore(f"sqlite:///{tmp_path / 'db-is-a-directory'}")
    with pytest.raises(StoreUnavailable) as caught, broken.transaction() as repos:
        repos.read_job(job_id="x")
    assert isinstance(caught.value.__cause__, OperationalError)
    broken.close()
