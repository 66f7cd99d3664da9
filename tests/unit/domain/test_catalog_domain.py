"""Folder paths, package names and kinds, and tag rules (``domain.folders``,
``domain.packages``, ``domain.tags``)."""

from __future__ import annotations

import pytest

from millstream.domain.errors import InvalidInput
from millstream.domain.folders import (
    MAX_DEPTH,
    ROOT,
    moved_path,
    normalize_folder_path,
    parent_path,
    within,
)
from millstream.domain.packages import (
    Package,
    PackageKind,
    kind_of_file,
    validate_md5,
    validate_package_name,
)
from millstream.domain.tags import MAX_KEY, validate_resource_id, validate_tag


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("/", "/"), ("/a", "/a"), ("/a/b/", "/a/b"), ("  /a/b  ", "/a/b"), ("/a b/c", "/a b/c")],
)
def test_folder_paths_have_one_spelling(raw: str, normal: str) -> None:
    assert normalize_folder_path(raw) == normal


@pytest.mark.parametrize("raw", ["", "a/b", "/a//b", "/a/./b", "/a/../b", "/a\tb"])
def test_bad_folder_paths_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_folder_path(raw)


def test_folder_paths_have_a_depth_limit() -> None:
    normalize_folder_path("/x" * MAX_DEPTH)
    with pytest.raises(InvalidInput, match="levels"):
        normalize_folder_path("/x" * (MAX_DEPTH + 1))


def test_parents_and_containment() -> None:
    assert parent_path("/a/b") == "/a"
    assert parent_path("/a") == ROOT
    assert within("/a/b", "/a")
    assert within("/a", "/a")
    assert not within("/ab", "/a")
    assert within("/anything", ROOT)


def test_moving_rewrites_the_moved_prefix_only() -> None:
    assert moved_path("/a", "/a", "/z") == "/z"
    assert moved_path("/a/b/c", "/a", "/z/y") == "/z/y/b/c"
    with pytest.raises(InvalidInput):
        moved_path("/ab", "/a", "/z")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("udf.jar", PackageKind.JAR),
        ("lib.ZIP", PackageKind.PYTHON),
        ("job.py", PackageKind.PYTHON),
        ("init.sql", PackageKind.SCRIPT),
        ("words.txt", PackageKind.DICTIONARY),
    ],
)
def test_a_files_name_suggests_its_kind(name: str, kind: PackageKind) -> None:
    assert kind_of_file(name) is kind


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "x" * 129, "a\nb"])
def test_bad_package_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        validate_package_name(name)


def test_md5_is_32_hex_digits_kept_lower_case() -> None:
    assert validate_md5("3F7468C153E529B141C326332DF15D05") == "3f7468c153e529b141c326332df15d05"
    with pytest.raises(InvalidInput, match="md5"):
        validate_md5("not-an-md5")
    package = Package(
        workspace="w", namespace="n", name="a.jar", kind=PackageKind.JAR, md5="AB" * 16
    )
    package.validate()
    assert package.md5 == "ab" * 16


@pytest.mark.parametrize(
    ("key", "value"), [("", "v"), ("k" * (MAX_KEY + 1), "v"), ("acs:x", "v"), ("k", "v\n")]
)
def test_bad_tags_are_refused(key: str, value: str) -> None:
    with pytest.raises(InvalidInput):
        validate_tag(key, value)


def test_good_tags_pass() -> None:
    validate_tag("team", "")
    validate_tag("cost-center", "42")


@pytest.mark.parametrize(
    "fields",
    [{"description": "a\x00b"}, {"attributes": {"ossPath": "\x00"}}, {"origin_name": "x" * 513}],
)
def test_package_fields_the_store_cannot_keep_are_refused(fields: dict[str, object]) -> None:
    package = Package(workspace="w", namespace="n", name="a.jar", kind=PackageKind.JAR)
    for name, value in fields.items():
        setattr(package, name, value)
    with pytest.raises(InvalidInput):
        package.validate()


@pytest.mark.parametrize("resource_id", ["", "x" * 129, "a\x00b"])
def test_bad_resource_ids_are_refused(resource_id: str) -> None:
    with pytest.raises(InvalidInput):
        validate_resource_id(resource_id)
