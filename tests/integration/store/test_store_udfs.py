"""UDF artifacts, functions and custom connectors over the SQL store (SQLite and
PostgreSQL), through ``UdfService`` with a fake jar scanner: what is stored, colliding
and missing classes, connector replacement and refusals, and what a job is given."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from millstream.control.context import Actor, Scope
from millstream.control.services.udfs import UdfService
from millstream.control.udf_ports import ConnectorFactory
from millstream.domain.errors import Conflict, InvalidArtifact, InvalidInput, NotFound
from millstream.domain.namespaces import Namespace
from millstream.domain.udfs import ConnectorOption, UdfClass, UdfKind
from millstream.store import SqlStore
from millstream.store.udfs import SqlUdfStore

SCOPE = Scope("ws", "ns")
ALICE = Actor(id="u-alice", name="alice")
UPPER = UdfClass("a.Upper", UdfKind.SCALAR)
SPLIT = UdfClass("a.Split", UdfKind.TABLE)
SUM = UdfClass("b.Sum", UdfKind.AGGREGATE)


class FakeScanner:
    """Jar URI -> what a scan finds (the real one runs a JVM: tests/compat covers it)."""

    def __init__(self) -> None:
        self.functions: dict[str, list[UdfClass]] = {}
        self.connectors: dict[str, list[ConnectorFactory]] = {}

    def scan_functions(
        self, jar_uri: str, dependency_uris: Sequence[str], *, workspace: str, namespace: str
    ) -> list[UdfClass]:
        assert (workspace, namespace) == (SCOPE.workspace, SCOPE.namespace)
        assert all(uri.startswith("artifacts://") for uri in dependency_uris)
        return self.functions.get(jar_uri, [])

    def scan_connectors(
        self, jar_uri: str, dependency_uris: Sequence[str], *, workspace: str, namespace: str
    ) -> list[ConnectorFactory]:
        assert (workspace, namespace, dependency_uris) == (SCOPE.workspace, SCOPE.namespace, ())
        return self.connectors.get(jar_uri, [])


def _uri(name: str) -> str:
    return f"artifacts://ws/ns/{name}"


@pytest.fixture
def scanner() -> FakeScanner:
    fake = FakeScanner()
    fake.functions = {_uri("a.jar"): [SPLIT, UPPER], _uri("b.jar"): [SUM], _uri("a2.jar"): [SPLIT]}
    fake.connectors = {
        _uri("c.jar"): [
            ConnectorFactory("seq", "c.Seq", True, False, (ConnectorOption("end", required=True),))
        ],
        _uri("builtin.jar"): [ConnectorFactory("datagen", "c.Gen", True, False, builtin=True)],
        _uri("c2.jar"): [ConnectorFactory("seq", "c.Seq2", True, True)],
    }
    return fake


@pytest.fixture
def udfs(store: SqlStore, scanner: FakeScanner) -> UdfService:
    with store.transaction() as repos:
        repos.create_namespace(
            namespace=Namespace(
                id=str(uuid.uuid4()), workspace="ws", name="ns", created_at=datetime.now(UTC)
            )
        )
    return UdfService(SqlUdfStore(store.engine), scanner, store)


def test_an_artifact_is_stored_with_its_classes_and_plain_names_become_uris(
    udfs: UdfService,
) -> None:
    change = udfs.create_artifact(SCOPE, ALICE, "strings", "a.jar", ["dep.jar"])
    assert change.ok
    [stored] = udfs.artifacts(SCOPE, "strings")
    assert stored.jar_uri == _uri("a.jar")
    assert stored.dependency_uris == (_uri("dep.jar"),)
    assert {c.class_name for c in stored.classes} == {"a.Upper", "a.Split"}
    assert stored.creator == "u-alice"
    with pytest.raises(Conflict):
        udfs.create_artifact(SCOPE, ALICE, "strings", "b.jar")


def test_colliding_classes_store_nothing(udfs: UdfService) -> None:
    udfs.create_artifact(SCOPE, ALICE, "strings", _uri("a.jar"))
    change = udfs.create_artifact(SCOPE, ALICE, "again", _uri("a2.jar"))
    assert not change.ok
    assert change.colliding == (SPLIT,)
    assert [a.name for a in udfs.artifacts(SCOPE)] == ["strings"]


def test_a_jar_without_functions_or_a_missing_namespace_is_refused(udfs: UdfService) -> None:
    with pytest.raises(InvalidArtifact, match="no function classes"):
        udfs.create_artifact(SCOPE, ALICE, "empty", _uri("c.jar"))
    with pytest.raises(NotFound):
        udfs.create_artifact(Scope("ws", "nope"), ALICE, "x", _uri("a.jar"))
    with pytest.raises(InvalidInput):
        udfs.create_artifact(SCOPE, ALICE, "x", "  ")


def test_an_update_keeps_classes_that_have_functions(udfs: UdfService) -> None:
    udfs.create_artifact(SCOPE, ALICE, "strings", _uri("a.jar"))
    function = udfs.register_function(
        SCOPE, ALICE, artifact_name="strings", class_name="a.Upper", function_name=None
    )
    assert function.name == "upper"
    refused = udfs.update_artifact(SCOPE, ALICE, "strings", _uri("a2.jar"))
    assert not refused.ok
    assert refused.missing == (UPPER,)
    assert udfs.artifacts(SCOPE, "strings")[0].jar_uri == _uri("a.jar")  # unchanged
    udfs.delete_function(SCOPE, ALICE, "upper")
    assert udfs.update_artifact(SCOPE, ALICE, "strings", _uri("a2.jar")).ok
    assert udfs.artifacts(SCOPE, "strings")[0].classes == (SPLIT,)


def test_functions_are_unique_and_bound_to_the_artifacts_classes(udfs: UdfService) -> None:
    udfs.create_artifact(SCOPE, ALICE, "strings", _uri("a.jar"))
    udfs.register_function(
        SCOPE, ALICE, artifact_name="strings", class_name="a.Upper", function_name="up"
    )
    with pytest.raises(Conflict):
        udfs.register_function(
            SCOPE, ALICE, artifact_name="strings", class_name="a.Split", function_name="UP"
        )
    with pytest.raises(NotFound, match="not a function class"):
        udfs.register_function(SCOPE, ALICE, artifact_name="strings", class_name="b.Sum")
    with pytest.raises(NotFound):
        udfs.register_function(SCOPE, ALICE, artifact_name="nope", class_name="a.Upper")
    with pytest.raises(NotFound):
        udfs.delete_function(SCOPE, ALICE, "up", artifact_name="other")
    # deleting the artifact deletes its functions
    assert [f.name for f in udfs.delete_artifact(SCOPE, ALICE, "strings")] == ["up"]
    assert udfs.functions(SCOPE) == []


def test_connectors_are_registered_replaced_by_their_jar_and_refused_otherwise(
    udfs: UdfService,
) -> None:
    [seq] = udfs.register_connectors(SCOPE, ALICE, _uri("c.jar"))
    assert (seq.name, seq.options[0].key, seq.options[0].required) == ("seq", "end", True)
    [again] = udfs.register_connectors(SCOPE, ALICE, _uri("c.jar"))  # the same jar: replaced
    assert again.created_at == seq.created_at
    with pytest.raises(Conflict, match="already registered"):
        udfs.register_connectors(SCOPE, ALICE, _uri("c2.jar"))
    with pytest.raises(Conflict, match="Flink already has"):
        udfs.register_connectors(SCOPE, ALICE, _uri("builtin.jar"))
    with pytest.raises(InvalidArtifact, match="no table source or sink factory"):
        udfs.register_connectors(SCOPE, ALICE, _uri("a.jar"))
    assert [c.name for c in udfs.connectors(SCOPE)] == ["seq"]
    udfs.delete_connector(SCOPE, ALICE, "seq")
    assert udfs.connectors(SCOPE) == []
    with pytest.raises(NotFound):
        udfs.delete_connector(SCOPE, ALICE, "seq")


def test_a_job_gets_what_its_script_uses(udfs: UdfService) -> None:
    udfs.create_artifact(SCOPE, ALICE, "strings", _uri("a.jar"), ["dep.jar"])
    udfs.register_function(
        SCOPE, ALICE, artifact_name="strings", class_name="a.Upper", function_name="up"
    )
    udfs.register_connectors(SCOPE, ALICE, _uri("c.jar"))
    libraries = udfs.libraries_for(
        SCOPE,
        "CREATE TABLE s (a STRING) WITH ('connector' = 'seq', 'end' = '3');\n"
        "INSERT INTO t SELECT up(a) FROM s;",
    )
    assert libraries.jars == (_uri("a.jar"), _uri("dep.jar"), _uri("c.jar"))
    assert libraries.statements == (
        "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS `up` AS 'a.Upper' LANGUAGE JAVA",
    )
    assert not udfs.libraries_for(SCOPE, "INSERT INTO t SELECT a FROM s")
    assert not udfs.libraries_for(Scope("ws", "other"), "INSERT INTO t SELECT up(a) FROM s")
