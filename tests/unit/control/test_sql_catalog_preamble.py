"""The namespace catalog's DDL reaches Flink wherever a SQL script is planned or run:
DeploymentService validation and planning, and the reconciler's submission (through
``with_catalog`` around the registered functions' statements)."""

from __future__ import annotations

from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.services import DeploymentService
from millstream.control.services.deployments import DeploymentPatch
from millstream.control.services.sql_catalog import with_catalog
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.domain.sql_libraries import SqlLibraries
from tests.fakes import FakeEngine, FakeFlink, InMemoryStore

SCOPE = Scope("ws", "ns")
PREAMBLE = ["CREATE CATALOG `vvp` WITH (...)", "USE CATALOG `vvp`", "CREATE TABLE `vvp`..."]


def _service(preamble: list[str]) -> tuple[DeploymentService, FakeFlink]:
    store, flink = InMemoryStore(), FakeFlink()
    ensure_defaults(
        store, workspace="ws", namespace="ns", cluster_kind=ClusterKind.EXTERNAL,
        rest_url=flink.rest_url,
    )  # fmt: skip
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    seen: list[Scope] = []

    def catalog(scope: Scope) -> list[str]:
        seen.append(scope)
        return preamble

    return DeploymentService(store, FakeEngine(flink), versions, catalog=catalog), flink


def test_validation_planning_and_creation_run_the_catalog_ddl_first() -> None:
    service, flink = _service(PREAMBLE)
    service.validate_sql(SCOPE, "INSERT INTO snk SELECT * FROM src")
    service.plan_sql(SCOPE, "INSERT INTO snk SELECT * FROM src")
    service.create(
        SCOPE,
        Actor(id="u", name="u"),
        DeploymentPatch(
            name="d",
            artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script="INSERT INTO snk SELECT 1"),
        ),
    )
    assert flink.preambles == [tuple(PREAMBLE)] * 3


def test_an_empty_catalog_adds_nothing() -> None:
    service, flink = _service([])
    service.validate_sql(SCOPE, "INSERT INTO snk SELECT 1")
    assert flink.preambles == [()]


class _Catalog:
    def __init__(self, preamble: list[str]) -> None:
        self._preamble = preamble

    def preamble(self, scope: Scope) -> list[str]:  # noqa: ARG002
        return self._preamble


def test_a_submission_gets_registered_functions_then_the_catalog() -> None:
    def udfs(scope: Scope, script: str) -> SqlLibraries:  # noqa: ARG001
        return SqlLibraries(statements=("CREATE TEMPORARY SYSTEM FUNCTION f AS 'F'",), jars=("j",))

    libraries = with_catalog(_Catalog(PREAMBLE), udfs)(SCOPE, "INSERT ...")  # type: ignore[arg-type]
    assert libraries.statements == ("CREATE TEMPORARY SYSTEM FUNCTION f AS 'F'", *PREAMBLE)
    assert libraries.jars == ("j",)
    assert with_catalog(_Catalog([]), None)(SCOPE, "x") == SqlLibraries()  # type: ignore[arg-type]


def test_connectors_and_functions_the_catalog_uses_count_as_used() -> None:
    seen: list[str] = []

    def udfs(scope: Scope, script: str) -> SqlLibraries:  # noqa: ARG001
        seen.append(script)
        return SqlLibraries(jars=("seq.jar",) if "'ms-sequence'" in script else ())

    catalog = _Catalog(
        ["CREATE TABLE `vvp`.`default`.`t` (x INT) WITH ('connector' = 'ms-sequence')"]
    )
    libraries = with_catalog(catalog, udfs)(SCOPE, "INSERT INTO snk SELECT x FROM t")  # type: ignore[arg-type]
    assert libraries.jars == ("seq.jar",)
    assert seen[-1].endswith("INSERT INTO snk SELECT x FROM t")
