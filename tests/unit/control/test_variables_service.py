"""Namespace variables: names, masking, encryption, and ``${name}`` precedence at start."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.ports import Page
from millstream.control.services import DeploymentPatch, DeploymentService, JobService
from millstream.control.services.variables import VariableService
from millstream.control.variables import merge_variables, substitute_known
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound, UnknownVariable
from millstream.domain.variables import MASK, Variable, VariableKind, validate_variable_name
from tests.fakes import FakeEngine, FakeFlink, InMemoryStore

SCOPE = Scope("ws", "ns")
ALICE = Actor("alice-id", "alice")
SQL = (
    "CREATE TEMPORARY TABLE src (x INT) WITH ('connector' = 'datagen', "
    "'number-of-rows' = '${rows}');\n"
    "CREATE TEMPORARY TABLE dst (x INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO dst SELECT x FROM src;"
)


class ReversingCipher:
    """Not secure; enough to tell ciphertext from the clear value."""

    def encrypt(self, plaintext: str) -> bytes:
        return b"enc:" + plaintext[::-1].encode()

    def decrypt(self, ciphertext: bytes) -> str:
        return ciphertext.removeprefix(b"enc:").decode()[::-1]


@dataclass
class _Rows:
    namespaces: set[tuple[str, str]] = field(default_factory=lambda: {("ws", "ns")})
    variables: dict[tuple[str, str, str], Variable] = field(default_factory=dict)


class _Repos:
    def __init__(self, rows: _Rows) -> None:
        self.rows = rows

    def namespace_exists(self, *, workspace: str, namespace: str) -> bool:
        return (workspace, namespace) in self.rows.namespaces

    def read_variable(self, *, workspace: str, namespace: str, name: str) -> Variable | None:
        return copy.deepcopy(self.rows.variables.get((workspace, namespace, name)))

    def read_variables(
        self, *, workspace: str, namespace: str, page: Page | None = None
    ) -> tuple[list[Variable], int]:
        found = sorted(
            (v for k, v in self.rows.variables.items() if k[:2] == (workspace, namespace)),
            key=lambda v: v.name,
        )
        chunk = found if page is None else found[page.offset : page.offset + page.limit]
        return copy.deepcopy(chunk), len(found)

    def create_variable(self, *, variable: Variable) -> None:
        key = (variable.workspace, variable.namespace, variable.name)
        if key in self.rows.variables:
            raise Conflict("duplicate")
        self.rows.variables[key] = copy.deepcopy(variable)

    def update_variable(self, *, variable: Variable) -> None:
        key = (variable.workspace, variable.namespace, variable.name)
        if key not in self.rows.variables:
            raise NotFound("missing")
        self.rows.variables[key] = copy.deepcopy(variable)

    def delete_variable(self, *, workspace: str, namespace: str, name: str) -> None:
        if self.rows.variables.pop((workspace, namespace, name), None) is None:
            raise NotFound("missing")


class InMemoryVariableStore:
    def __init__(self) -> None:
        self.rows = _Rows()

    @contextmanager
    def transaction(self) -> Iterator[_Repos]:
        working = copy.deepcopy(self.rows)
        yield _Repos(working)
        self.rows = working

    @contextmanager
    def reading(self) -> Iterator[_Repos]:  # on a copy: a write in a read is dropped
        yield _Repos(copy.deepcopy(self.rows))


@dataclass
class World:
    variables: VariableService
    variable_store: InMemoryVariableStore
    deployments: DeploymentService
    jobs: JobService
    flink: FakeFlink


@pytest.fixture
def world() -> World:
    store = InMemoryStore()
    flink = FakeFlink()
    engine = FakeEngine(flink)
    ensure_defaults(
        store, workspace="ws", namespace="ns", cluster_kind=ClusterKind.EXTERNAL, rest_url="x"
    )
    variable_store = InMemoryVariableStore()
    variables = VariableService(variable_store, ReversingCipher())
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    return World(
        variables=variables,
        variable_store=variable_store,
        deployments=DeploymentService(store, engine, versions, variables=variables),
        jobs=JobService(store, engine, Notifier(), variables=variables),
        flink=flink,
    )


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["a", "_x", "table_rows", "kafka.bootstrap-servers", "A9"])
def test_valid_variable_names_are_accepted(name: str) -> None:
    assert validate_variable_name(name) == name


@pytest.mark.parametrize("name", ["", "9a", "-a", "a b", "a$", "${a}", "a/b", "x" * 129])
def test_invalid_variable_names_are_rejected(name: str) -> None:
    with pytest.raises(InvalidInput, match="invalid variable name") as caught:
        validate_variable_name(name)
    assert caught.value.code == ErrorCode.INVALID_VARIABLE_NAME


def test_unknown_kind_is_rejected() -> None:
    assert VariableKind.parse("encrypted") is VariableKind.ENCRYPTED
    assert VariableKind.parse(None) is VariableKind.PLAIN
    with pytest.raises(InvalidInput, match="Plain or Encrypted"):
        VariableKind.parse("Secret")


# --------------------------------------------------------------------------- service


def test_encrypted_value_is_stored_encrypted_and_shown_masked(world: World) -> None:
    created = world.variables.create(
        SCOPE, ALICE, "password", "s3cret", kind=VariableKind.ENCRYPTED
    )
    assert created.shown_value == MASK
    stored = world.variable_store.rows.variables[("ws", "ns", "password")]
    assert stored.value is None
    assert stored.ciphertext is not None
    assert b"s3cret" not in stored.ciphertext
    listed, total = world.variables.list(SCOPE, Page())
    assert total == 1
    assert [v.shown_value for v in listed] == [MASK]
    assert world.variables.resolve(SCOPE).values == {"password": "s3cret"}
    assert world.variables.resolve(SCOPE).public() == {}


def test_plain_value_is_shown(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "rows", "10", description="row count")
    assert world.variables.get(SCOPE, "rows").shown_value == "10"


def test_duplicate_name_is_a_conflict(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "rows", "10")
    with pytest.raises(Conflict) as caught:
        world.variables.create(SCOPE, ALICE, "rows", "11")
    assert caught.value.code == ErrorCode.VARIABLE_EXISTS


def test_missing_value_and_unknown_namespace_are_rejected(world: World) -> None:
    with pytest.raises(InvalidInput, match="needs a value"):
        world.variables.create(SCOPE, ALICE, "rows", None)
    with pytest.raises(NotFound) as caught:
        world.variables.create(Scope("ws", "nope"), ALICE, "rows", "1")
    assert caught.value.code == ErrorCode.NAMESPACE_NOT_FOUND


def test_update_keeps_secret_when_given_the_mask(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "pw", "one", kind=VariableKind.ENCRYPTED)
    world.variables.update(SCOPE, ALICE, "pw", value=MASK, description="changed")
    assert world.variables.resolve(SCOPE).values["pw"] == "one"
    assert world.variables.get(SCOPE, "pw").description == "changed"
    world.variables.update(SCOPE, ALICE, "pw", value="two")
    assert world.variables.resolve(SCOPE).values["pw"] == "two"


def test_changing_kind_needs_a_value(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "pw", "one", kind=VariableKind.ENCRYPTED)
    with pytest.raises(InvalidInput, match="needs its value"):
        world.variables.update(SCOPE, ALICE, "pw", kind=VariableKind.PLAIN)
    updated = world.variables.update(SCOPE, ALICE, "pw", value="open", kind=VariableKind.PLAIN)
    assert updated.shown_value == "open"


def test_delete_then_missing(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "rows", "1")
    world.variables.delete(SCOPE, ALICE, "rows")
    with pytest.raises(NotFound) as caught:
        world.variables.delete(SCOPE, ALICE, "rows")
    assert caught.value.code == ErrorCode.VARIABLE_NOT_FOUND


def test_list_is_paged_by_name(world: World) -> None:
    for name in ["c", "a", "b"]:
        world.variables.create(SCOPE, ALICE, name, name)
    page, total = world.variables.list(SCOPE, Page(offset=1, limit=1))
    assert (total, [v.name for v in page]) == (3, ["b"])


# --------------------------------------------------------------------------- precedence


def test_job_variables_override_deployment_which_override_namespace() -> None:
    merged = merge_variables(
        {"a": "ns", "b": "ns", "c": "ns"}, {"b": "dep", "c": "dep"}, {"c": "job"}
    )
    assert merged == {"a": "ns", "b": "dep", "c": "job"}


def test_substitute_known_leaves_unknown_references() -> None:
    assert substitute_known("${a}-${b}", {"a": "1"}) == "1-${b}"


def _start(world: World, sql: str = SQL, **kwargs: object) -> str:
    deployment = world.deployments.create(
        SCOPE,
        ALICE,
        DeploymentPatch(
            name="d",
            artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=sql),
            **kwargs,  # type: ignore[arg-type]
        ),
    )
    return deployment.id


def test_namespace_variable_resolves_at_start_and_is_kept_with_the_job(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "rows", "10")
    deployment_id = _start(world)
    job = world.jobs.start(SCOPE, ALICE, deployment_id)
    assert job.local_variables == {"rows": "10"}
    assert any(call == ("validate", SQL[:20]) for call in world.flink.calls)


def test_local_variables_win_over_namespace_variables(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "rows", "10")
    deployment_id = _start(world, local_variables={"rows": "20"})
    job = world.jobs.start(SCOPE, ALICE, deployment_id, local_variables={"rows": "30"})
    assert job.local_variables == {"rows": "30"}


def test_unknown_variable_fails_at_start_before_flink(world: World) -> None:
    deployment_id = _start(world)  # ${rows} undefined: planning skipped at create
    calls = list(world.flink.calls)
    with pytest.raises(UnknownVariable, match="rows"):
        world.jobs.start(SCOPE, ALICE, deployment_id)
    assert world.flink.calls == calls  # nothing reached Flink
    assert not world.flink.jobs


def test_deployment_create_plans_sql_with_namespace_variables(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "rows", "10")
    _start(world)
    assert ("validate", SQL[:20]) in world.flink.calls


def test_deployment_create_skips_planning_while_a_variable_is_undefined(world: World) -> None:
    _start(world)
    assert not [call for call in world.flink.calls if call[0] == "validate"]


def test_encrypted_values_are_not_stored_with_the_job(world: World) -> None:
    world.variables.create(SCOPE, ALICE, "pw", "hunter2", kind=VariableKind.ENCRYPTED)
    world.variables.create(SCOPE, ALICE, "rows", "10")
    deployment_id = _start(world, flink_conf={"secret.key": "${pw}", "rows": "${rows}"})
    job = world.jobs.start(SCOPE, ALICE, deployment_id)
    assert job.local_variables == {"rows": "10"}
    assert job.flink_conf["secret.key"] == "${pw}"
    assert job.flink_conf["rows"] == "10"
    assert "hunter2" not in repr(job)
