"""The apply planner (``cli/apply_plan.py``) and file reader (``cli/apply_documents.py``):
pure functions, with hypothesis over random desired and current states."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.cli.apply_documents import (
    MANAGED_BY,
    ApplyFileError,
    DesiredDeployment,
    parse_documents,
)
from millstream.cli.apply_plan import Action, Plan, field_changes, make_plan

_WHOLE = ("flinkConf", "labels")
_ids = itertools.count()


def _merge(have: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The server's update: given fields replace; objects merge, maps and lists replace."""
    merged = dict(have)
    for key, value in spec.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and key not in _WHOLE:
            merged[key] = _merge(old, value)
        else:
            merged[key] = value
    return merged


def _carry_out(current: list[dict[str, Any]], plan: Plan) -> list[dict[str, Any]]:
    """A model of the server doing the plan; it adds defaults of its own on create."""
    by_name = {dep["name"]: dep for dep in current}
    for change in plan.changes:
        if change.action is Action.CREATE:
            defaults = {"deploymentId": f"id-{next(_ids)}", "executionMode": "STREAMING"}
            by_name[change.name] = _merge(defaults, change.spec or {})
        elif change.action is Action.UPDATE:
            by_name[change.name] = _merge(by_name[change.name], change.spec or {})
        elif change.action is Action.DELETE:
            del by_name[change.name]
    return list(by_name.values())


names = st.sampled_from(["a", "b", "c", "d", "e"])
small_maps = st.dictionaries(st.sampled_from(["k1", "k2", "team"]), st.sampled_from(["x", "y"]))


@st.composite
def specs(draw: st.DrawFn, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "artifact": {
            "kind": "SQLSCRIPT",
            "sqlArtifact": {"sqlScript": draw(st.sampled_from(["s1", "s2"]))},
        },
    }
    if draw(st.booleans()):
        spec["flinkConf"] = draw(small_maps)
    if draw(st.booleans()):
        spec["labels"] = draw(small_maps)
    if draw(st.booleans()):
        parallelism = draw(st.integers(1, 4))
        spec["streamingResourceSetting"] = {"basicResourceSetting": {"parallelism": parallelism}}
    return spec


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[DesiredDeployment], list[dict[str, Any]]]:
    wanted = draw(st.lists(names, unique=True))
    present = draw(st.lists(names, unique=True))
    desired = [
        DesiredDeployment(n, draw(specs(n)), f"f.yaml, document {i}") for i, n in enumerate(wanted)
    ]
    current = []
    for n in present:
        dep = {"deploymentId": f"id-{n}", "resourceVersion": 1, **draw(specs(n))}
        if draw(st.booleans()):  # applied before
            dep["labels"] = {**dep.get("labels", {}), MANAGED_BY: "apply"}
        current.append(dep)
    return desired, current


@given(worlds(), st.booleans(), st.sampled_from([{}, {"team": "x"}]))
def test_planning_again_after_carrying_out_the_plan_changes_nothing(
    world: tuple[list[DesiredDeployment], list[dict[str, Any]]],
    prune: bool,
    selector: dict[str, str],
) -> None:
    desired, current = world
    plan = make_plan(desired, current, prune=prune, selector=selector)
    after = _carry_out(current, plan)
    again = make_plan(desired, after, prune=prune, selector=selector)
    assert again.changed == 0, again


@given(worlds())
def test_prune_deletes_only_managed_deployments_absent_from_the_file(
    world: tuple[list[DesiredDeployment], list[dict[str, Any]]],
) -> None:
    desired, current = world
    plan = make_plan(desired, current, prune=True)
    wanted = {item.name for item in desired}
    managed = {dep["name"] for dep in current if dep.get("labels", {}).get(MANAGED_BY) == "apply"}
    deleted = {change.name for change in plan.changes if change.action is Action.DELETE}
    assert deleted == managed - wanted
    assert make_plan(desired, current).count(Action.DELETE) == 0  # never without --prune


def test_field_changes_compare_only_given_fields_and_maps_whole() -> None:
    want = {"a": {"b": 1}, "flinkConf": {"x": "1"}}
    have = {"a": {"b": 1, "c": 2}, "flinkConf": {"x": "1", "y": "2"}, "other": 3}
    assert [(c.path, c.old, c.new) for c in field_changes(want, have)] == [
        ("flinkConf", {"x": "1", "y": "2"}, {"x": "1"})
    ]


def test_a_live_job_blocks_its_deployments_deletion() -> None:
    current = [{"name": "old", "deploymentId": "1", "labels": {MANAGED_BY: "apply"}}]
    plan = make_plan([], current, prune=True, live_jobs={"old": ["j1 (RUNNING)"]})
    assert [c.name for c in plan.blocked] == ["old"]


def test_a_name_given_twice_is_an_error_naming_both_places() -> None:
    spec = {"name": "a"}
    twice = [
        DesiredDeployment("a", spec, "f.yaml, document 1"),
        DesiredDeployment("a", spec, "f.yaml, document 3"),
    ]
    with pytest.raises(ApplyFileError, match=r"document 3.*also defined in f\.yaml, document 1"):
        make_plan(twice, [])


def _parse(text: str, files: dict[str, str] | None = None) -> list[DesiredDeployment]:
    def read_text(name: str) -> str:
        if files is None or name not in files:
            raise FileNotFoundError(2, "No such file or directory")
        return files[name]

    return parse_documents(text, file="d.yaml", namespace="ns", read_text=read_text)


SQL_ART = "artifact: {kind: SQLSCRIPT, sqlArtifact: {sqlScript: 'SELECT 1'}}"


def test_documents_lists_and_shorthands_are_read() -> None:
    text = (
        f"name: a\nparallelism: 2\nflinkConf: {{x: 4, y: true}}\n{SQL_ART}\n---\n"
        "- name: b\n  artifact: {kind: SQLSCRIPT, sqlArtifact: {sqlScriptFile: b.sql}}\n"
        "  deploymentId: ignored\n---\n"
    )
    a, b = _parse(text, {"b.sql": "INSERT 1"})
    assert a.spec["streamingResourceSetting"] == {
        "resourceSettingMode": "BASIC",
        "basicResourceSetting": {"parallelism": 2},
    }
    assert a.spec["flinkConf"] == {"x": "4", "y": "true"}
    assert b.spec["artifact"]["sqlArtifact"] == {"sqlScript": "INSERT 1"}
    assert "deploymentId" not in b.spec
    assert b.source == "d.yaml, document 2, item 1 (b)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\n", r"document 1 \(a\): artifact is required"),
        (f"{SQL_ART}\n", r"document 1: name is required"),
        (f"name: a\n{SQL_ART}\nparalelism: 2\n", r"unknown field 'paralelism'"),
        (f"---\nname: a\n{SQL_ART}\nnamespace: other\n", r"document 1 \(a\): namespace 'other'"),
        ("name: a\nartifact: {kind: JAR, jarArtifact: {jarUri: x.jar}}\n", r"must be a URI"),
        ("name: a\nartifact: {kind: WASM}\n", r"artifact.kind must be SQLSCRIPT, JAR or PYTHON"),
        (f"name: a\n{SQL_ART}\nparallelism: 0\n", r"parallelism must be a whole number"),
        (f"name: a\n{SQL_ART}\nexecutionMode: LATER\n", r"executionMode must be"),
        (f"name: a\n{SQL_ART}\nflinkConf: [1]\n", r"flinkConf must be a mapping"),
        (
            "name: a\nartifact: {kind: SQLSCRIPT, sqlArtifact: {sqlScriptFile: no.sql}}\n",
            r"cannot read sqlScriptFile 'no.sql'",
        ),
        ("- 3\n", r"document 1, item 1: expected a deployment mapping"),
        ("name: [a\n", r"d.yaml: not valid YAML"),
    ],
)
def test_bad_documents_are_errors_naming_file_and_document(text: str, message: str) -> None:
    with pytest.raises(ApplyFileError, match=message):
        _parse(text)
