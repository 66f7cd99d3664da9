"""DLI gaps, the pure parts: ``dependency_files`` become the artifact's dependency files
(``control.user_files``), and configured project ids map onto namespaces."""

from __future__ import annotations

from typing import Any

import pytest

from millstream.api.dli.context import mapped_scope
from millstream.api.dli.mappers import JobKind, deployment_patch, spec_from
from millstream.api.dli.schemas import ImportSavepoint, JarJob
from millstream.control.context import Scope
from millstream.control.user_files import user_files, with_user_files
from millstream.domain.errors import NotFound

_JOB: dict[str, Any] = {"name": "j", "entrypoint": "app.jar"}


def test_dependency_files_become_the_artifacts_dependency_files() -> None:
    files = ["myGroup/test.csv", "obs://bucket/a/test1.csv"]
    spec = spec_from(JarJob.model_validate({**_JOB, "dependency_files": files}))
    artifact = deployment_patch(JobKind.JAR, spec).artifact
    assert artifact is not None
    assert user_files(artifact) == tuple(files)
    without = deployment_patch(JobKind.JAR, spec_from(JarJob.model_validate(_JOB))).artifact
    assert without is not None
    assert user_files(without) == ()


def test_user_files_in_extra_round_trip_and_clear() -> None:
    extra = with_user_files({"other": "kept"}, ["a.csv", " ", "b.csv"])
    assert extra["other"] == "kept"
    cleared = with_user_files(extra, [])
    assert cleared == {"other": "kept"}


@pytest.mark.parametrize(
    ("target", "scope"),
    [
        ("team-a", Scope("default", "team-a")),
        ("ws2/team-b", Scope("ws2", "team-b")),
        (" team-c ", Scope("default", "team-c")),
    ],
)
def test_a_configured_target_names_a_namespace(target: str, scope: Scope) -> None:
    assert mapped_scope(target, default_workspace="default") == scope


@pytest.mark.parametrize("target", ["", "a/b/c", "/ns", "ws/", "bad name", "ws/../x"])
def test_a_bad_configured_target_is_no_project(target: str) -> None:
    with pytest.raises(NotFound):
        mapped_scope(target, default_workspace="default")


def test_an_import_needs_a_savepoint_path() -> None:
    with pytest.raises(ValueError, match="savepoint_path"):
        ImportSavepoint.model_validate({"job_id": 1})
    assert ImportSavepoint.model_validate({"savepoint_path": "obs://b/sp/"}).job_id is None
