"""A namespace resolves only its own artifacts, and learns nothing about other
namespaces' files: the refusal is the same whether the file exists or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from millstream.domain.errors import InvalidArtifact
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.engine.uris import ArtifactResolver


@pytest.fixture
def resolver(tmp_path: Path) -> ArtifactResolver:
    store = FsspecArtifactStore(str(tmp_path / "store"))
    for namespace in ("mine", "theirs"):
        upload = store.begin_upload(workspace="ws", namespace=namespace, name="lib.jar")
        upload.write(b"jar")
        upload.commit()
    return ArtifactResolver(
        store, cache_dir=tmp_path / "cache", scheme_map={"oss://shared": "ws/theirs"}
    )


def _refusal(resolver: ArtifactResolver, uri: str, name: str) -> str:
    with pytest.raises(InvalidArtifact) as refused:
        resolver.resolve(uri, workspace="ws", namespace="mine")
    return str(refused.value).replace(name, "<file>")


def test_own_artifacts_resolve(resolver: ArtifactResolver) -> None:
    path = resolver.resolve("artifacts://ws/mine/lib.jar", workspace="ws", namespace="mine")
    assert path.read_bytes() == b"jar"
    assert resolver.resolve("lib.jar", workspace="ws", namespace="mine") == path


@pytest.mark.parametrize("template", ["artifacts://ws/theirs/{}", "artifacts://other/mine/{}"])
def test_other_namespaces_are_refused_alike(resolver: ArtifactResolver, template: str) -> None:
    existing = _refusal(resolver, template.format("lib.jar"), "lib.jar")
    missing = _refusal(resolver, template.format("nope.jar"), "nope.jar")
    assert existing == missing
    assert "own namespace" in existing


def test_file_uris_into_other_namespaces_are_refused_alike(resolver: ArtifactResolver) -> None:
    root = resolver.store.local_root
    assert root is not None
    uris = [(root / "ws" / "theirs" / name).as_uri() for name in ("lib.jar", "nope.jar")]
    refusals = {_refusal(resolver, uri, uri) for uri in uris}
    assert len(refusals) == 1
    own = (root / "ws" / "mine" / "lib.jar").as_uri()
    assert resolver.resolve(own, workspace="ws", namespace="mine").read_bytes() == b"jar"


def test_operator_mapped_cloud_uris_stay_shared(resolver: ArtifactResolver) -> None:
    path = resolver.resolve("oss://shared/lib.jar", workspace="ws", namespace="mine")
    assert path.read_bytes() == b"jar"
