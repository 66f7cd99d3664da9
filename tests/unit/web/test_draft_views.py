"""The draft pages' view helpers: the diff a deploy shows, the lock note and the
folder tree (``web/draft_views.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.drafts import DeploymentDraft, DraftLock, DraftSpec
from millstream.domain.folders import Folder
from millstream.web.draft_views import folder_tree, lock_note, spec_diff

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def _spec(sql: str, **kw: object) -> DraftSpec:
    return DraftSpec(
        name=str(kw.pop("name", "orders")),
        artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=sql),
        **kw,  # type: ignore[arg-type]
    )


def test_diff_against_the_deployment_shows_changed_sql_lines_and_settings() -> None:
    before = _spec("SELECT 1;\nSELECT 2;\n", labels={"team": "a"})
    after = _spec(
        "SELECT 1;\nSELECT 3;\n", labels={"team": "b"}, execution_mode=ExecutionMode.BATCH
    )
    diff = spec_diff(before, after)
    kinds = [(line.kind, line.text) for line in diff.sql]
    assert kinds[0] == ("head", "--- deployed/script.sql")
    assert kinds[1] == ("head", "+++ draft/script.sql")
    assert ("del", "-SELECT 2;") in kinds
    assert ("add", "+SELECT 3;") in kinds
    assert ("context", " SELECT 1;") in kinds
    assert (diff.added, diff.removed) == (1, 1)
    changed = {c.setting: (c.before, c.after) for c in diff.settings}
    assert changed == {
        "execution mode": ("STREAMING", "BATCH"),
        "labels": ("team=a", "team=b"),
    }
    assert not diff.new_deployment
    assert not diff.unchanged


def test_diff_for_a_new_deployment_adds_every_line_and_setting() -> None:
    diff = spec_diff(None, _spec("SELECT 1;\nSELECT 2;"))
    assert diff.new_deployment
    assert diff.sql[0].text == "--- /dev/null"
    assert [line.text for line in diff.sql if line.kind == "add"] == ["+SELECT 1;", "+SELECT 2;"]
    assert {c.setting for c in diff.settings} >= {"name", "execution mode", "artifact"}
    assert all(c.before == "(new)" for c in diff.settings)


def test_identical_specs_have_no_diff() -> None:
    diff = spec_diff(_spec("SELECT 1;"), _spec("SELECT 1;"))
    assert diff.unchanged
    assert diff.sql == ()


def test_lock_note_names_the_holder_until_it_expires() -> None:
    lock = DraftLock("l1", "u-bob", "bob", NOW + timedelta(minutes=30))
    theirs = lock_note(lock, "u-alice", NOW)
    assert theirs is not None
    assert theirs.blocks
    assert not theirs.mine
    assert theirs.text == "Locked by bob until 2026-12-05 02:30 UTC"
    mine = lock_note(lock, "u-bob", NOW)
    assert mine is not None
    assert mine.mine
    assert not mine.blocks
    assert mine.text.startswith("Locked by you")
    assert lock_note(lock, "u-alice", NOW + timedelta(hours=1)) is None  # expired
    assert lock_note(None, "u-alice", NOW) is None


def _folder(path: str, folder_id: int) -> Folder:
    return Folder(workspace="w", namespace="n", path=path, id=folder_id)


def _draft(name: str, folder_id: int) -> DeploymentDraft:
    return DeploymentDraft(
        id=name, workspace="w", namespace="n", folder_id=folder_id, spec=_spec("", name=name)
    )


def test_folder_tree_nests_folders_and_files_drafts_in_theirs() -> None:
    folders = [_folder("/a/b", 2), _folder("/a", 1), _folder("/c", 3)]
    drafts = [_draft("zeta", 2), _draft("Alpha", 2), _draft("top", 0), _draft("lost", 99)]
    root = folder_tree(folders, drafts)
    assert [c.path for c in root.children] == ["/a", "/c"]
    b = root.children[0].children[0]
    assert (b.path, b.name, b.depth) == ("/a/b", "b", 2)
    assert [d.spec.name for d in b.drafts] == ["Alpha", "zeta"]
    assert [d.spec.name for d in root.drafts] == ["lost", "top"]  # a gone folder: at the root
    assert [n.path for n in root.walk()] == ["/", "/a", "/a/b", "/c"]
