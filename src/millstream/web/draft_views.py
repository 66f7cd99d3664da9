"""What the console's draft pages show, computed from domain values: the diff a deploy
would make (``spec_diff``: a unified diff of the SQL and the settings that change), who
holds a draft's lock (``lock_note``) and the folder tree with its drafts (``folder_tree``).

Pure, so ``tests/unit/web/test_draft_views.py`` covers it; ``routes/drafts.py`` calls it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from millstream.domain.drafts import DeploymentDraft, DraftLock, DraftSpec
from millstream.domain.folders import ROOT, ROOT_ID, Folder, parent_path

__all__ = [
    "DiffLine",
    "FolderNode",
    "LockNote",
    "SettingChange",
    "SpecDiff",
    "folder_tree",
    "lock_note",
    "spec_diff",
]


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a unified diff: ``kind`` is add, del, hunk, head or context."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class SettingChange:
    setting: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class SpecDiff:
    """What deploying a draft changes on its deployment (everything, for a new one)."""

    new_deployment: bool
    sql: tuple[DiffLine, ...]
    settings: tuple[SettingChange, ...]

    @property
    def unchanged(self) -> bool:
        return not self.sql and not self.settings

    @property
    def added(self) -> int:
        return sum(1 for line in self.sql if line.kind == "add")

    @property
    def removed(self) -> int:
        return sum(1 for line in self.sql if line.kind == "del")


def _sql(spec: DraftSpec | None) -> str:
    if spec is None or spec.artifact is None:
        return ""
    return spec.artifact.sql_script or ""


def _kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "head"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "context"


def _pairs(values: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items())) or "(none)"


def _settings(before: DraftSpec | None, after: DraftSpec) -> Iterable[SettingChange]:
    def shown(value: object) -> str:
        return "(none)" if value is None or value == "" else str(value)

    old: dict[str, str] = {}
    if before is not None:
        old = {
            "name": shown(before.name),
            "artifact": shown(before.artifact.kind if before.artifact else None),
            "execution mode": shown(before.execution_mode),
            "engine version": shown(before.engine_version or "default"),
            "labels": _pairs(before.labels),
            "variables": _pairs(before.variables),
        }
    new = {
        "name": shown(after.name),
        "artifact": shown(after.artifact.kind if after.artifact else None),
        "execution mode": shown(after.execution_mode),
        "engine version": shown(after.engine_version or "default"),
        "labels": _pairs(after.labels),
        "variables": _pairs(after.variables),
    }
    for setting, value in new.items():
        was = old.get(setting, "(new)")
        if was != value:
            yield SettingChange(setting, was, value)


def spec_diff(
    before: DraftSpec | None, after: DraftSpec, *, context: int = 3, name: str = "script.sql"
) -> SpecDiff:
    """The draft (``after``) against the deployment's current spec (``before``; None when
    the deploy creates the deployment)."""
    old, new = _sql(before), _sql(after)
    lines = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        fromfile=f"deployed/{name}" if before is not None else "/dev/null",
        tofile=f"draft/{name}",
        n=context,
        lineterm="",
    )
    return SpecDiff(
        new_deployment=before is None,
        sql=tuple(DiffLine(_kind(line), line) for line in lines),
        settings=tuple(_settings(before, after)),
    )


@dataclass(frozen=True, slots=True)
class LockNote:
    """A draft's lock as the page words it; ``mine`` or someone else's (``blocks``)."""

    holder: str
    until: str
    mine: bool
    blocks: bool

    @property
    def text(self) -> str:
        who = "you" if self.mine else self.holder
        return f"Locked by {who} until {self.until}"


def lock_note(lock: DraftLock | None, actor_id: str, now: datetime) -> LockNote | None:
    """None while nobody holds an unexpired lock."""
    if lock is None or lock.expires_at <= now:
        return None
    mine = lock.holder_id == actor_id
    return LockNote(
        holder=lock.holder_name or lock.holder_id,
        until=lock.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        mine=mine,
        blocks=not mine,
    )


@dataclass(slots=True)
class FolderNode:
    """A folder with its sub-folders and the drafts filed directly in it."""

    id: int
    path: str
    name: str
    depth: int
    children: list[FolderNode] = field(default_factory=list)
    drafts: list[DeploymentDraft] = field(default_factory=list)

    def walk(self) -> Iterable[FolderNode]:
        yield self
        for child in self.children:
            yield from child.walk()


def folder_tree(folders: Sequence[Folder], drafts: Sequence[DeploymentDraft]) -> FolderNode:
    """The root with every folder below it (by path) and each draft in its folder; a
    draft whose folder is gone is shown at the root rather than lost."""
    root = FolderNode(id=ROOT_ID, path=ROOT, name="/", depth=0)
    nodes: dict[str, FolderNode] = {ROOT: root}
    for folder in sorted(folders, key=lambda f: (f.path.count("/"), f.path)):
        if folder.path == ROOT:
            continue
        parent = nodes.get(parent_path(folder.path), root)
        node = FolderNode(
            id=folder.id,
            path=folder.path,
            name=folder.path.rsplit("/", 1)[-1],
            depth=parent.depth + 1,
        )
        parent.children.append(node)
        nodes[folder.path] = node
    by_id = {node.id: node for node in nodes.values()}
    for draft in sorted(drafts, key=lambda d: d.spec.name.lower()):
        by_id.get(draft.folder_id, root).drafts.append(draft)
    return root
