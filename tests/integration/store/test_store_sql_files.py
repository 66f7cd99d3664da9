"""SQL files over the SQL store, on SQLite and PostgreSQL: created in existing folders,
unique names per folder (also when the database decides), updates, moves, deletes, and
the count folder deletion asks for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from millstream.control.context import Actor, Scope
from millstream.control.services.folders import FolderService
from millstream.control.services.sql_files import SqlFileDraft, SqlFilePatch, SqlFileService
from millstream.domain.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from millstream.domain.folders import ROOT_ID, Folder
from millstream.domain.sql_files import MAX_SCRIPT_BYTES, SqlFile
from millstream.store import SqlStore
from millstream.store.catalog import SqlCatalogStore
from millstream.store.namespaces import SqlNamespaceStore
from millstream.store.sql_files import SqlFileStore

SCOPE = Scope("ws", "ns")
OTHER = Scope("ws", "other")
ALICE = Actor(id="u-alice", name="alice")
BOB = Actor(id="u-bob", name="bob")
SCRIPT = "SELECT 1;"


@pytest.fixture
def folders(store: SqlStore) -> FolderService:
    return FolderService(SqlCatalogStore(store.engine))


@pytest.fixture
def sql_files(store: SqlStore, folders: FolderService) -> SqlFileService:
    return SqlFileService(SqlFileStore(store.engine), folders)


def _draft(name: str = "report.sql", folder_id: int = ROOT_ID, **extra: object) -> SqlFileDraft:
    return SqlFileDraft(name=name, folder_id=folder_id, script=SCRIPT, **extra)  # type: ignore[arg-type]


def test_a_sql_file_round_trips_with_its_author_and_times(sql_files: SqlFileService) -> None:
    created = sql_files.create(
        SCOPE,
        ALICE,
        _draft(description="daily", session_cluster="sc-1", batch=True),
    )
    read = sql_files.get(SCOPE, created.id)
    assert read == created
    assert read.script == SCRIPT
    assert (read.creator, read.modifier) == ("u-alice", "u-alice")
    assert read.created_at is not None
    assert read.created_at.tzinfo is not None
    assert (read.description, read.session_cluster, read.batch) == ("daily", "sc-1", True)
    # Another namespace does not see it.
    with pytest.raises(NotFound):
        sql_files.get(OTHER, created.id)


def test_a_sql_file_needs_an_existing_folder(
    sql_files: SqlFileService, folders: FolderService
) -> None:
    with pytest.raises(NotFound, match="folder 42"):
        sql_files.create(SCOPE, ALICE, _draft(folder_id=42))
    folder = folders.create(SCOPE, ALICE, "/drafts")
    created = sql_files.create(SCOPE, ALICE, _draft(folder_id=folder.id))
    assert created.folder_id == folder.id
    # A folder of another namespace is not a folder here.
    with pytest.raises(NotFound):
        sql_files.create(OTHER, ALICE, _draft(folder_id=folder.id))


def test_names_are_unique_per_folder(sql_files: SqlFileService, folders: FolderService) -> None:
    folder = folders.create(SCOPE, ALICE, "/a")
    sql_files.create(SCOPE, ALICE, _draft("q.sql"))
    with pytest.raises(Conflict, match=r"already has a SQL file named 'q\.sql'"):
        sql_files.create(SCOPE, ALICE, _draft("q.sql"))
    # The same name in another folder or namespace is fine.
    sql_files.create(SCOPE, ALICE, _draft("q.sql", folder.id))
    sql_files.create(OTHER, ALICE, _draft("q.sql"))


def test_the_database_refuses_a_duplicate_the_service_did_not_see(store: SqlStore) -> None:
    repo_store = SqlFileStore(store.engine)
    now = datetime.now(UTC)

    def row(file_id: str) -> SqlFile:
        return SqlFile(
            id=file_id,
            workspace="ws",
            namespace="ns",
            folder_id=0,
            name="same.sql",
            script=SCRIPT,
            created_at=now,
            modified_at=now,
        )

    with repo_store.transaction() as repos:
        repos.create_sql_file(sql_file=row("one"))
    with pytest.raises(Conflict), repo_store.transaction() as repos:
        repos.create_sql_file(sql_file=row("two"))
    with repo_store.transaction() as repos:
        assert repos.read_sql_file(workspace="ws", namespace="ns", sql_file_id="two") is None


def test_bad_input_is_refused_before_anything_is_stored(sql_files: SqlFileService) -> None:
    with pytest.raises(InvalidInput):
        sql_files.create(SCOPE, ALICE, _draft("a/b"))
    with pytest.raises(PayloadTooLarge):
        sql_files.create(
            SCOPE,
            ALICE,
            SqlFileDraft(name="big.sql", folder_id=ROOT_ID, script="x" * (MAX_SCRIPT_BYTES + 1)),
        )
    assert sql_files.count_in_folder(SCOPE, ROOT_ID) == 0


def test_update_changes_only_what_it_is_given_and_moves_and_renames(
    sql_files: SqlFileService, folders: FolderService
) -> None:
    folder = folders.create(SCOPE, ALICE, "/b")
    created = sql_files.create(SCOPE, ALICE, _draft("old.sql", description="keep"))
    updated = sql_files.update(SCOPE, BOB, created.id, SqlFilePatch(script="SELECT 2;"))
    assert (updated.script, updated.description, updated.name) == ("SELECT 2;", "keep", "old.sql")
    assert (updated.creator, updated.modifier) == ("u-alice", "u-bob")
    moved = sql_files.update(
        SCOPE, BOB, created.id, SqlFilePatch(name="new.sql", folder_id=folder.id)
    )
    assert (moved.name, moved.folder_id) == ("new.sql", folder.id)
    assert sql_files.get(SCOPE, created.id).name == "new.sql"
    assert sql_files.count_in_folder(SCOPE, folder.id) == 1
    assert sql_files.count_in_folder(SCOPE, ROOT_ID) == 0


def test_update_refuses_a_taken_name_a_missing_folder_and_a_missing_file(
    sql_files: SqlFileService,
) -> None:
    sql_files.create(SCOPE, ALICE, _draft("taken.sql"))
    other = sql_files.create(SCOPE, ALICE, _draft("other.sql"))
    with pytest.raises(Conflict):
        sql_files.update(SCOPE, BOB, other.id, SqlFilePatch(name="taken.sql"))
    with pytest.raises(NotFound):
        sql_files.update(SCOPE, BOB, other.id, SqlFilePatch(folder_id=999))
    with pytest.raises(NotFound):
        sql_files.update(SCOPE, BOB, "missing", SqlFilePatch(script="x"))
    with pytest.raises(PayloadTooLarge):
        sql_files.update(SCOPE, BOB, other.id, SqlFilePatch(script="x" * (MAX_SCRIPT_BYTES + 1)))
    assert sql_files.get(SCOPE, other.id).name == "other.sql"


def test_delete_removes_the_file_once(sql_files: SqlFileService) -> None:
    created = sql_files.create(SCOPE, ALICE, _draft())
    assert sql_files.delete(SCOPE, ALICE, created.id).id == created.id
    with pytest.raises(NotFound):
        sql_files.get(SCOPE, created.id)
    with pytest.raises(NotFound):
        sql_files.delete(SCOPE, ALICE, created.id)


def test_a_folder_holding_sql_files_cannot_be_deleted(
    sql_files: SqlFileService, folders: FolderService
) -> None:
    folder = folders.create(SCOPE, ALICE, "/c")
    created = sql_files.create(SCOPE, ALICE, _draft(folder_id=folder.id))

    def holds(candidate: Folder) -> int:
        return sql_files.count_in_folder(SCOPE, candidate.id)

    with pytest.raises(Conflict):
        folders.delete(SCOPE, ALICE, "/c", holds=holds)
    sql_files.delete(SCOPE, ALICE, created.id)
    folders.delete(SCOPE, ALICE, "/c", holds=holds)
    with pytest.raises(NotFound):
        folders.get(SCOPE, "/c")


def test_deleting_a_namespace_deletes_its_sql_files(
    store: SqlStore, sql_files: SqlFileService
) -> None:
    mine = sql_files.create(SCOPE, ALICE, _draft())
    kept = sql_files.create(OTHER, ALICE, _draft())
    with SqlNamespaceStore(store.engine).transaction() as repos:
        repos.delete_namespace(workspace="ws", name="ns")
    with pytest.raises(NotFound):
        sql_files.get(SCOPE, mine.id)
    assert sql_files.get(OTHER, kept.id).id == kept.id
