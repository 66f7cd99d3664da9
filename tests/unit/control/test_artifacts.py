"""ArtifactService: pre-signed upload URLs (signing, expiry, tampering) and the
create-time artifact check, over an in-memory store and a fake artifact store."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from millstream.control.artifact_ports import StoredArtifact
from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.services.artifacts import ArtifactService
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import ErrorCode, InvalidArtifact, NotFound, PermissionDenied
from millstream.engine.artifacts import FsspecArtifactStore
from tests.fakes import InMemoryStore

SCOPE = Scope("ws", "ns")
ALICE = Actor("alice-id", "alice")
KEY = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class RecordingChecker:
    def __init__(self) -> None:
        self.seen: list[tuple[Artifact, str, str]] = []

    def check_artifact(self, artifact: Artifact, *, workspace: str, namespace: str) -> None:
        self.seen.append((artifact, workspace, namespace))
        if artifact.jar_uri == "missing.jar":
            raise InvalidArtifact("artifact 'missing.jar' not found")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> ArtifactService:
    store = InMemoryStore()
    ensure_defaults(
        store,
        workspace="ws",
        namespace="ns",
        cluster_kind=ClusterKind.EMBEDDED,
        rest_url="http://f",
    )
    artifacts = FsspecArtifactStore(f"memory://svc-{uuid.uuid4().hex}", max_upload_bytes=100)
    return ArtifactService(
        store, artifacts, checker=RecordingChecker(), signing_key=KEY, presign_ttl=60, clock=clock
    )


def _parts(path: str) -> tuple[str, str, str]:
    url = urlsplit(path)
    query = parse_qs(url.query)
    return unquote(url.path.rsplit("/", 1)[-1]), query["expires"][0], query["signature"][0]


def upload_with(
    service: ArtifactService, name: str, expires: str, signature: str
) -> StoredArtifact:
    upload = service.begin_presigned_upload(SCOPE, name, expires=expires, signature=signature)
    upload.write(b"bytes")
    return upload.commit()


def test_presigned_url_accepts_one_put_until_it_expires(service: ArtifactService) -> None:
    presigned = service.presign_upload(SCOPE, "app.jar")
    assert presigned.path.startswith("/artifacts/v2/upload/ws/ns/app.jar?")
    assert presigned.uri == "artifacts://ws/ns/app.jar"
    name, expires, signature = _parts(presigned.path)
    stored = upload_with(service, name, expires, signature)
    assert stored.uri == presigned.uri
    assert [a.name for a in service.list(SCOPE)] == ["app.jar"]


def test_expired_presigned_url_is_refused(service: ArtifactService, clock: Clock) -> None:
    name, expires, signature = _parts(service.presign_upload(SCOPE, "app.jar").path)
    clock.now += 61
    with pytest.raises(PermissionDenied, match="expired") as caught:
        upload_with(service, name, expires, signature)
    assert caught.value.code == ErrorCode.PRESIGNED_URL_EXPIRED


@pytest.mark.parametrize("field", ["name", "expires", "signature"])
def test_tampered_presigned_url_is_refused(service: ArtifactService, field: str) -> None:
    name, expires, signature = _parts(service.presign_upload(SCOPE, "app.jar").path)
    if field == "name":
        name = "other.jar"
    elif field == "expires":
        expires = str(int(expires) + 3600)
    else:
        signature = "0" * len(signature)
    with pytest.raises(PermissionDenied, match="signature") as caught:
        upload_with(service, name, expires, signature)
    assert caught.value.code == ErrorCode.PRESIGNED_URL_INVALID
    assert service.list(SCOPE) == []


def test_presigned_url_of_another_key_is_refused(clock: Clock) -> None:
    store = InMemoryStore()
    ensure_defaults(
        store,
        workspace="ws",
        namespace="ns",
        cluster_kind=ClusterKind.EMBEDDED,
        rest_url="http://f",
    )
    artifacts = FsspecArtifactStore(f"memory://keys-{uuid.uuid4().hex}")
    ours = ArtifactService(store, artifacts, signing_key=KEY, clock=clock)
    theirs = ArtifactService(store, artifacts, signing_key=b"o" * 32, clock=clock)
    name, expires, signature = _parts(theirs.presign_upload(SCOPE, "a.jar").path)
    with pytest.raises(PermissionDenied, match="signature"):
        upload_with(ours, name, expires, signature)


def test_presigning_a_bad_name_is_refused_at_once(service: ArtifactService) -> None:
    with pytest.raises(InvalidArtifact):
        service.presign_upload(SCOPE, "../escape.jar")


def test_unknown_namespace_is_not_found(service: ArtifactService) -> None:
    with pytest.raises(NotFound):
        service.presign_upload(Scope("ws", "nope"), "a.jar")
    with pytest.raises(NotFound):
        service.list(Scope("ws", "nope"))


def test_check_artifact_delegates_with_the_scope(service: ArtifactService) -> None:
    service.check_artifact(SCOPE, Artifact(kind=ArtifactKind.JAR, jar_uri="ok.jar"))
    with pytest.raises(InvalidArtifact, match="not found"):
        service.check_artifact(SCOPE, Artifact(kind=ArtifactKind.JAR, jar_uri="missing.jar"))


def test_short_signing_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        ArtifactService(InMemoryStore(), FsspecArtifactStore("memory://y"), signing_key=b"short")
