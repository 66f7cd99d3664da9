"""Savepoint import accepts only the caller's own places and only real Flink savepoints,
and copies them into the deployment's savepoint directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from millstream.domain.errors import InvalidInput
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.engine.savepoint_imports import METADATA_MAGIC, SavepointImports
from millstream.engine.uris import ArtifactResolver

METADATA = METADATA_MAGIC + b"\x00\x00\x00\x03rest of the metadata"
STATE = b"operator state bytes"


def _upload(store: FsspecArtifactStore, namespace: str, name: str, data: bytes) -> None:
    upload = store.begin_upload(workspace="ws", namespace=namespace, name=name)
    upload.write(data)
    upload.commit()


@pytest.fixture
def state_root(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def imports(tmp_path: Path, state_root: Path) -> SavepointImports:
    store = FsspecArtifactStore(str(tmp_path / "store"))
    for namespace in ("mine", "theirs"):
        _upload(store, namespace, "sp/_metadata", METADATA)
        _upload(store, namespace, "sp/0f1e2d3c-state", STATE)
    _upload(store, "mine", "not-a-savepoint/_metadata", b"PK\x03\x04 a zip, not metadata")
    _upload(store, "mine", "no-metadata/file", STATE)
    resolver = ArtifactResolver(
        store,
        cache_dir=tmp_path / "cache",
        scheme_map={"obs://bucket": "ws/mine", "obs://shared": "ws/theirs"},
    )
    return SavepointImports(resolver, state_root=state_root)


def _import(imports: SavepointImports, state_root: Path, location: str) -> Path:
    uri = imports.import_savepoint(
        location,
        workspace="ws",
        namespace="mine",
        owns_deployment=lambda deployment: deployment == "dep-mine",
        target_directory=(state_root / "savepoints" / "dep-b").as_uri(),
    )
    assert uri.startswith((state_root / "savepoints" / "dep-b").resolve().as_uri() + "/imported-")
    return Path(uri.removeprefix("file://"))


@pytest.mark.parametrize(
    "location", ["obs://bucket/sp/", "obs://bucket/sp", "obs://bucket/sp/_metadata", "sp"]
)
def test_own_store_savepoints_are_copied(
    imports: SavepointImports, state_root: Path, location: str
) -> None:
    copy = _import(imports, state_root, location)
    assert (copy / "_metadata").read_bytes() == METADATA
    assert (copy / "0f1e2d3c-state").read_bytes() == STATE


def _refusal(imports: SavepointImports, state_root: Path, location: str) -> str:
    with pytest.raises(InvalidInput) as refused:
        _import(imports, state_root, location)
    return str(refused.value).replace(repr(location), "<path>")


def test_other_namespaces_and_machine_paths_are_refused_alike(
    imports: SavepointImports, state_root: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "_metadata").write_bytes(METADATA)
    theirs = state_root / "savepoints" / "dep-theirs" / "savepoint-1"
    theirs.mkdir(parents=True)
    (theirs / "_metadata").write_bytes(METADATA)
    refusals = {
        _refusal(imports, state_root, location)
        for location in [
            "obs://shared/sp/",  # mapped, but into another namespace
            "obs://shared/nothing-here/",
            "artifacts://ws/theirs/sp",
            "artifacts://ws/theirs/nothing",
            elsewhere.as_uri(),
            str(elsewhere),
            "file:///etc",
            theirs.as_uri(),  # a savepoint of another namespace's deployment
            (state_root / "savepoints" / "dep-mine").as_uri(),  # a whole deployment dir
            (state_root / "savepoints" / "dep-mine" / ".." / "dep-theirs" / "savepoint-1").as_uri(),
            "https://example.com/sp/",
            "s3://unmapped/sp/",
            "file:///tmp/a\x00b",
            "/tmp/a\x00b",
            "file://[/x",
            "artifacts://[ws/mine/sp",
        ]
    }
    assert len(refusals) == 1, refusals
    assert not (state_root / "savepoints" / "dep-b").exists() or not any(
        (state_root / "savepoints" / "dep-b").iterdir()
    )


def test_own_state_directory_savepoints_are_copied(
    imports: SavepointImports, state_root: Path
) -> None:
    own = state_root / "savepoints" / "dep-mine" / "savepoint-7"
    (own / "sub").mkdir(parents=True)
    (own / "_metadata").write_bytes(METADATA)
    (own / "sub" / "state").write_bytes(STATE)
    copy = _import(imports, state_root, "file:" + str(own))  # Flink's "file:/path" form
    assert (copy / "sub" / "state").read_bytes() == STATE
    assert (own / "_metadata").is_file()  # the source stays


@pytest.mark.parametrize("location", ["obs://bucket/not-a-savepoint", "obs://bucket/no-metadata/"])
def test_places_without_flink_metadata_are_refused(
    imports: SavepointImports, state_root: Path, location: str
) -> None:
    with pytest.raises(InvalidInput, match="is not a Flink savepoint"):
        _import(imports, state_root, location)


def test_symbolic_links_in_a_savepoint_are_refused(
    imports: SavepointImports, state_root: Path
) -> None:
    own = state_root / "savepoints" / "dep-mine" / "savepoint-8"
    own.mkdir(parents=True)
    (own / "_metadata").write_bytes(METADATA)
    (own / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(InvalidInput, match="symbolic link"):
        _import(imports, state_root, own.as_uri())
    assert not list((state_root / "savepoints" / "dep-b").glob("imported-*"))
