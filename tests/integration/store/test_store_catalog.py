"""The catalog services (folders, packages, tags) over the SQL store, on SQLite and
PostgreSQL: the folder tree's rules, package registrations merged with stored files,
and tags set, filtered and removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from millstream.control.context import Actor, Scope
from millstream.control.services.artifacts import ArtifactService
from millstream.control.services.folders import FolderService
from millstream.control.services.packages import PackagePatch, PackageService
from millstream.control.services.tags import TagService
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from millstream.domain.folders import ROOT_ID
from millstream.domain.packages import PackageKind
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.store import SqlStore
from millstream.store.catalog import SqlCatalogStore
from tests.factories import make_namespace

SCOPE = Scope("ws", "ns")
OTHER = Scope("ws", "other")
ALICE = Actor(id="u-alice", name="alice")


@pytest.fixture
def folders(store: SqlStore) -> FolderService:
    return FolderService(SqlCatalogStore(store.engine))


def test_folders_form_a_tree_with_stable_ids(folders: FolderService) -> None:
    a = folders.create(SCOPE, ALICE, "/a")
    b = folders.create(SCOPE, ALICE, "/a/b/")
    assert a.id != b.id
    assert a.id > ROOT_ID
    assert b.path == "/a/b"
    assert folders.get(SCOPE, "/a/b").id == b.id
    assert folders.get(SCOPE, "/").id == ROOT_ID
    assert [f.path for f in folders.children(SCOPE, "/")] == ["/a"]
    assert [f.path for f in folders.children(SCOPE, "/a")] == ["/a/b"]
    assert folders.get_by_id(SCOPE, b.id).path == "/a/b"
    # Another namespace sees neither the paths nor the ids.
    with pytest.raises(NotFound):
        folders.get(OTHER, "/a")
    with pytest.raises(NotFound):
        folders.get_by_id(OTHER, b.id)


def test_a_folder_needs_its_parent_and_a_free_path(folders: FolderService) -> None:
    with pytest.raises(NotFound, match="parent folder '/x'"):
        folders.create(SCOPE, ALICE, "/x/y")
    folders.create(SCOPE, ALICE, "/x")
    with pytest.raises(Conflict, match="already exists"):
        folders.create(SCOPE, ALICE, "/x")
    with pytest.raises(Conflict):
        folders.create(SCOPE, ALICE, "/")
    with pytest.raises(InvalidInput):
        folders.create(SCOPE, ALICE, "x")


def test_moving_a_folder_moves_everything_below_and_keeps_ids(folders: FolderService) -> None:
    a = folders.create(SCOPE, ALICE, "/a")
    b = folders.create(SCOPE, ALICE, "/a/b")
    c = folders.create(SCOPE, ALICE, "/a/b/c")
    folders.create(SCOPE, ALICE, "/z")
    moved = folders.move(SCOPE, ALICE, "/a", "/z/a2")
    assert (moved.id, moved.path) == (a.id, "/z/a2")
    assert folders.get(SCOPE, "/z/a2/b").id == b.id
    assert folders.get(SCOPE, "/z/a2/b/c").id == c.id
    with pytest.raises(NotFound):
        folders.get(SCOPE, "/a")


def test_moves_that_break_the_tree_are_refused(folders: FolderService) -> None:
    folders.create(SCOPE, ALICE, "/a")
    folders.create(SCOPE, ALICE, "/a/b")
    folders.create(SCOPE, ALICE, "/c")
    with pytest.raises(InvalidInput, match="into itself"):
        folders.move(SCOPE, ALICE, "/a", "/a/b/x")
    with pytest.raises(Conflict, match="already exists"):
        folders.move(SCOPE, ALICE, "/a", "/c")
    with pytest.raises(NotFound, match="parent"):
        folders.move(SCOPE, ALICE, "/a", "/nowhere/a")
    with pytest.raises(InvalidInput):
        folders.move(SCOPE, ALICE, "/", "/r")
    with pytest.raises(NotFound):
        folders.move(SCOPE, ALICE, "/missing", "/m")


def test_only_empty_folders_are_deleted(folders: FolderService) -> None:
    a = folders.create(SCOPE, ALICE, "/a")
    folders.create(SCOPE, ALICE, "/a/b")
    with pytest.raises(Conflict, match="sub-folders"):
        folders.delete(SCOPE, ALICE, "/a")
    folders.delete(SCOPE, ALICE, "/a/b")
    with pytest.raises(Conflict, match="holds 2 job"):
        folders.delete(SCOPE, ALICE, "/a", holds=lambda f: 2 if f.id == a.id else 0)
    folders.delete(SCOPE, ALICE, "/a", holds=lambda _: 0)
    with pytest.raises(NotFound):
        folders.get(SCOPE, "/a")
    with pytest.raises(InvalidInput):
        folders.delete(SCOPE, ALICE, "/")


@pytest.fixture
def artifacts(store: SqlStore, tmp_path: Path) -> ArtifactService:
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace(workspace="ws", name="ns"))
    return ArtifactService(
        store, FsspecArtifactStore(str(tmp_path / "artifacts")), signing_key=b"k" * 32
    )


@pytest.fixture
def packages(store: SqlStore, artifacts: ArtifactService) -> PackageService:
    return PackageService(SqlCatalogStore(store.engine), artifacts)


def _upload(artifacts: ArtifactService, name: str, content: bytes = b"PK") -> None:
    upload = artifacts.begin_upload(SCOPE, ALICE, name)
    upload.write(content)
    upload.commit()


def test_packages_are_registered_updated_and_listed_with_stored_files(
    packages: PackageService, artifacts: ArtifactService
) -> None:
    registered = packages.register(
        SCOPE,
        ALICE,
        "udf.jar",
        PackagePatch(
            kind=PackageKind.JAR,
            location="oss://bucket/path/udf.jar",
            md5="3F7468C153E529B141C326332DF15D05",
            tag='{"function":"x"}',
            attributes={"ossBucket": "bucket"},
        ),
    )
    assert registered.md5 == "3f7468c153e529b141c326332df15d05"
    with pytest.raises(Conflict):
        packages.register(SCOPE, ALICE, "udf.jar", PackagePatch(kind=PackageKind.JAR))
    updated = packages.update(
        SCOPE, ALICE, "udf.jar", PackagePatch(description="v2", attributes={"ossOwner": "me"})
    )
    assert (updated.description, updated.location) == ("v2", "oss://bucket/path/udf.jar")
    assert updated.attributes == {"ossBucket": "bucket", "ossOwner": "me"}
    assert packages.get(SCOPE, "udf.jar").description == "v2"

    _upload(artifacts, "words.txt")
    listed = {p.name: p for p in packages.list(SCOPE)}
    assert set(listed) == {"udf.jar", "words.txt"}
    assert listed["words.txt"].kind is PackageKind.DICTIONARY
    assert listed["words.txt"].location == "artifacts://ws/ns/words.txt"
    # Updating a stored file registers it.
    packages.update(SCOPE, ALICE, "words.txt", PackagePatch(description="stop words"))
    assert packages.get(SCOPE, "words.txt").creator == ALICE.id


def test_deleting_a_package_removes_entry_and_file_unless_used(
    packages: PackageService, artifacts: ArtifactService
) -> None:
    _upload(artifacts, "lib.jar")
    packages.register(SCOPE, ALICE, "lib.jar", PackagePatch(kind=PackageKind.JAR))
    with pytest.raises(Conflict, match="used by 1 job"):
        packages.delete(SCOPE, ALICE, "lib.jar", users=lambda _: ["etl"])
    packages.delete(SCOPE, ALICE, "lib.jar", users=lambda _: [])
    with pytest.raises(NotFound) as caught:
        packages.get(SCOPE, "lib.jar")
    assert caught.value.code is ErrorCode.ARTIFACT_NOT_FOUND
    assert packages.list(SCOPE) == []


def test_package_fields_are_checked(packages: PackageService) -> None:
    with pytest.raises(InvalidInput, match="md5"):
        packages.register(SCOPE, ALICE, "a.jar", PackagePatch(md5="nope"))
    with pytest.raises(InvalidInput, match="package name"):
        packages.register(SCOPE, ALICE, "../a.jar", PackagePatch())


def test_tags_are_set_filtered_and_removed(store: SqlStore) -> None:
    tags = TagService(SqlCatalogStore(store.engine))
    tags.tag("ws", "cluster", ["c1", "c2"], {"team": "a", "env": "prod"})
    tags.tag("ws", "cluster", ["c2"], {"env": "dev"})
    listed = [(t.resource_id, t.key, t.value) for t in tags.list("ws", "cluster")]
    assert listed == [
        ("c1", "env", "prod"),
        ("c1", "team", "a"),
        ("c2", "env", "dev"),
        ("c2", "team", "a"),
    ]
    assert {t.resource_id for t in tags.list("ws", "cluster", having={"env": "prod"})} == {"c1"}
    assert [t.key for t in tags.list("ws", "cluster", ["c2"])] == ["env", "team"]
    assert tags.list("other-ws", "cluster") == []
    assert tags.untag("ws", "cluster", ["c1"], ["team"]) == 1
    assert tags.untag("ws", "cluster", ["c2"], None) == 2
    assert [(t.resource_id, t.key) for t in tags.list("ws", "cluster")] == [("c1", "env")]


def test_a_resource_has_at_most_twenty_tags(store: SqlStore) -> None:
    tags = TagService(SqlCatalogStore(store.engine))
    tags.tag("ws", "cluster", ["c"], {f"k{i}": "v" for i in range(20)})
    tags.tag("ws", "cluster", ["c"], {"k0": "changed"})  # replacing is fine
    with pytest.raises(InvalidInput, match="more than 20"):
        tags.tag("ws", "cluster", ["c"], {"k20": "v"})
