"""The variables table on SQLite and PostgreSQL: CRUD, paging, duplicates, ciphertext."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from millstream.control.ports import Page
from millstream.domain.errors import Conflict, ErrorCode, NotFound
from millstream.domain.variables import Variable, VariableKind
from millstream.store import SqlStore
from millstream.store.variables import SqlVariableStore
from tests.factories import make_namespace

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def variables(store: SqlStore) -> Iterator[SqlVariableStore]:
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace())
    variable_store = SqlVariableStore(store.engine)
    yield variable_store
    variable_store.close()


def _variable(name: str, **overrides: object) -> Variable:
    values: dict[str, object] = {
        "workspace": "ws",
        "namespace": "ns",
        "name": name,
        "kind": VariableKind.PLAIN,
        "value": f"value of {name}",
        "created_at": NOW,
        "modified_at": NOW,
    }
    return Variable(**(values | overrides))  # type: ignore[arg-type]


def test_create_read_update_delete(variables: SqlVariableStore) -> None:
    secret = _variable(
        "pw", kind=VariableKind.ENCRYPTED, value=None, ciphertext=b"\x00cipher", creator="u"
    )
    with variables.transaction() as repos:
        assert repos.namespace_exists(workspace="ws", namespace="ns")
        assert not repos.namespace_exists(workspace="ws", namespace="other")
        repos.create_variable(variable=secret)
    with variables.transaction() as repos:
        found = repos.read_variable(workspace="ws", namespace="ns", name="pw")
    assert found == secret
    secret.ciphertext, secret.description, secret.modifier = b"new", "rotated", "v"
    with variables.transaction() as repos:
        repos.update_variable(variable=secret)
    with variables.transaction() as repos:
        found = repos.read_variable(workspace="ws", namespace="ns", name="pw")
        assert found is not None
        assert (found.ciphertext, found.description, found.creator) == (b"new", "rotated", "u")
        repos.delete_variable(workspace="ws", namespace="ns", name="pw")
        assert repos.read_variable(workspace="ws", namespace="ns", name="pw") is None


def test_duplicate_name_is_a_conflict(variables: SqlVariableStore) -> None:
    with variables.transaction() as repos:
        repos.create_variable(variable=_variable("rows"))
    with pytest.raises(Conflict) as caught, variables.transaction() as repos:
        repos.create_variable(variable=_variable("rows"))
    assert caught.value.code == ErrorCode.VARIABLE_EXISTS


def test_missing_variable_update_and_delete_are_not_found(variables: SqlVariableStore) -> None:
    with pytest.raises(NotFound), variables.transaction() as repos:
        repos.update_variable(variable=_variable("ghost"))
    with pytest.raises(NotFound), variables.transaction() as repos:
        repos.delete_variable(workspace="ws", namespace="ns", name="ghost")


def test_read_variables_pages_by_name_within_a_namespace(variables: SqlVariableStore) -> None:
    with variables.transaction() as repos:
        for name in ["c", "a", "b"]:
            repos.create_variable(variable=_variable(name))
        repos.create_variable(variable=_variable("a", namespace="elsewhere"))
    with variables.transaction() as repos:
        page, total = repos.read_variables(
            workspace="ws", namespace="ns", page=Page(offset=1, limit=1)
        )
        everything, count = repos.read_variables(workspace="ws", namespace="ns")
    assert (total, [v.name for v in page]) == (3, ["b"])
    assert (count, [v.name for v in everything]) == (3, ["a", "b", "c"])
