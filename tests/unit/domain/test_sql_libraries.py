"""Which registered functions and custom connectors a script uses, and what its job gets."""

from __future__ import annotations

import pytest

from millstream.domain.errors import InvalidInput
from millstream.domain.sql_libraries import (
    connectors_used,
    function_statement,
    functions_called,
    libraries_for,
)
from millstream.domain.udfs import (
    CustomConnector,
    UdfArtifact,
    UdfClass,
    UdfFunction,
    UdfKind,
    check_class_name,
    check_function_name,
    check_udf_artifact_name,
    default_function_name,
)

WS, NS = "w", "n"


def _function(name: str, artifact: str = "udfs", cls: str = "a.Upper") -> UdfFunction:
    return UdfFunction(
        workspace=WS, namespace=NS, name=name, artifact_name=artifact, class_name=cls
    )


def _artifact(name: str, jar: str, *deps: str) -> UdfArtifact:
    return UdfArtifact(
        id=name,
        workspace=WS,
        namespace=NS,
        name=name,
        jar_uri=jar,
        dependency_uris=deps,
        classes=(UdfClass("a.Upper", UdfKind.SCALAR),),
    )


def _connector(name: str, jar: str) -> CustomConnector:
    return CustomConnector(
        workspace=WS, namespace=NS, name=name, factory_class="c.F", jar_uri=jar, source=True
    )


@pytest.mark.parametrize(
    ("script", "called"),
    [
        ("INSERT INTO t SELECT my_upper(name) FROM s", {"my_upper"}),
        ("INSERT INTO t SELECT MY_UPPER (name) FROM s", {"my_upper"}),
        ("INSERT INTO t SELECT w FROM s, LATERAL TABLE(split(s.x)) AS w", {"split"}),
        ("INSERT INTO t SELECT not_my_upper(name) FROM s", set()),
        ("INSERT INTO t SELECT my_upper FROM s", set()),  # a column, not a call
        ("INSERT INTO t SELECT x.my_upper(name) FROM s", set()),  # another catalog's
        ("INSERT INTO t SELECT `my_upper`(name) FROM s", {"my_upper"}),
        ("INSERT INTO t SELECT x.`my_upper`(name) FROM s", set()),
    ],
)
def test_functions_called_are_calls_of_the_name(script: str, called: set[str]) -> None:
    assert functions_called(script, ["my_upper", "split"]) == called


def test_connectors_used_are_named_in_with_clauses() -> None:
    script = "CREATE TABLE s (a INT) WITH ('connector' = 'ms-sequence', 'end' = '3');"
    assert connectors_used(script, ["ms-sequence", "other"]) == {"ms-sequence"}
    assert connectors_used("CREATE TABLE s (a INT) WITH ('connector'='datagen')", ["x"]) == set()


def test_libraries_for_gives_statements_and_each_jar_once() -> None:
    script = (
        "CREATE TABLE s (a STRING) WITH ('connector' = 'seq');\n"
        "INSERT INTO t SELECT my_upper(a), my_lower(a) FROM s;"
    )
    libraries = libraries_for(
        script,
        functions=[
            _function("my_upper"),
            _function("my_lower", cls="a.Lower"),
            _function("unused"),
        ],
        artifacts={"udfs": _artifact("udfs", "u.jar", "dep.jar")},
        connectors=[_connector("seq", "c.jar"), _connector("other", "o.jar")],
    )
    assert libraries.functions == ("my_lower", "my_upper")
    assert libraries.connectors == ("seq",)
    assert libraries.jars == ("u.jar", "dep.jar", "c.jar")
    assert libraries.statements == (
        "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS `my_lower` AS 'a.Lower' LANGUAGE JAVA",
        "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS `my_upper` AS 'a.Upper' LANGUAGE JAVA",
    )


def test_a_function_the_script_declares_keeps_its_declaration_but_gets_the_jar() -> None:
    script = (
        "CREATE TEMPORARY FUNCTION my_upper AS 'a.Upper';\nINSERT INTO t SELECT my_upper(a) FROM s;"
    )
    libraries = libraries_for(
        script,
        functions=[_function("my_upper")],
        artifacts={"udfs": _artifact("udfs", "u.jar")},
        connectors=[],
    )
    assert libraries.statements == ()
    assert libraries.jars == ("u.jar",)


def test_nothing_used_needs_nothing() -> None:
    libraries = libraries_for(
        "INSERT INTO t SELECT a FROM s",
        functions=[_function("my_upper")],
        artifacts={"udfs": _artifact("udfs", "u.jar")},
        connectors=[_connector("seq", "c.jar")],
    )
    assert not libraries


def test_function_statement_quotes_the_class_name() -> None:
    statement = function_statement(_function("f", cls="a.B"))
    assert statement.endswith("AS 'a.B' LANGUAGE JAVA")


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [("com.x.PrefixUpper", "prefix_upper"), ("Split", "split"), ("a.B$Inner", "inner")],
)
def test_default_function_name_is_the_simple_name_in_snake_case(
    class_name: str, expected: str
) -> None:
    assert default_function_name(class_name) == expected


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a b", "x" * 129, "a;drop"])
def test_bad_function_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_function_name(name)


@pytest.mark.parametrize("name", ["", "a b", "a..b", "1a.B", "a.B;", "a.B'"])
def test_bad_class_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_class_name(name)


@pytest.mark.parametrize("name", ["", " x", "a/b", "../x", "x" * 129])
def test_bad_artifact_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_udf_artifact_name(name)
