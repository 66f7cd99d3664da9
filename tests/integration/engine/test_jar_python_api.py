"""The artifact API (native dialect) through httpx ``ASGITransport`` with the real
``ArtifactService``, a real SQLite store and the real file-system artifact store:
upload (multipart and raw PUT), list, download, delete, the size limit, unsafe names,
and ``GetPreSignedUrlForPutObject`` with its pre-signed PUT."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from millstream.api.native.artifacts import build_artifacts_router
from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor
from millstream.control.services.artifacts import ArtifactService
from millstream.domain.clusters import ClusterKind
from millstream.engine.artifacts import FsspecArtifactStore, load_signing_key
from millstream.engine.uris import ArtifactResolver
from millstream.store import SqlStore, upgrade

WS, NS = "default", "default-namespace"
BASE = f"/api/v2/namespaces/{NS}/artifacts"
LIMIT = 64 * 1024
ADMIN = Actor("admin", "admin")


def authenticate_admin(request: Request) -> Actor:  # noqa: ARG001 (the auth layer's shape)
    return ADMIN


@pytest.fixture
def store(tmp_path: Path) -> FsspecArtifactStore:
    return FsspecArtifactStore(str(tmp_path / "artifacts"), max_upload_bytes=LIMIT)


@pytest.fixture
def service(tmp_path: Path, store: FsspecArtifactStore) -> ArtifactService:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    sql = SqlStore(url)
    ensure_defaults(
        sql, workspace=WS, namespace=NS, cluster_kind=ClusterKind.EMBEDDED, rest_url="http://f"
    )
    return ArtifactService(sql, store, signing_key=load_signing_key(tmp_path / "signing.key"))


@pytest.fixture
async def client(service: ArtifactService) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(build_artifacts_router(service, authenticate_admin, default_workspace=WS))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


def files_in(store: FsspecArtifactStore) -> list[Path]:
    root = store.local_root
    assert root is not None
    return sorted(p for p in root.rglob("*") if p.is_file())


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert body["success"] is False
    assert body["httpCode"] == status
    if code is not None:
        assert body["errorCode"] == code, body
    return body


async def test_upload_list_download_delete(
    client: httpx.AsyncClient, store: FsspecArtifactStore
) -> None:
    content = bytes(range(256)) * 100
    answer = await client.post(BASE, files={"file": ("app.jar", content, "application/java")})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["uri"] == f"artifacts://{WS}/{NS}/app.jar"
    assert data["size"] == len(content)

    listed = (await client.get(BASE)).json()
    assert [a["name"] for a in listed["data"]] == ["app.jar"]

    download = await client.get(f"{BASE}/app.jar")
    assert download.status_code == 200
    assert download.content == content

    assert (await client.delete(f"{BASE}/app.jar")).json()["success"] is True
    assert (await client.get(BASE)).json()["data"] == []
    assert files_in(store) == []
    assert_error(await client.get(f"{BASE}/app.jar"), 404, "ArtifactNotFound")


async def test_raw_put_upload_with_a_nested_name(client: httpx.AsyncClient) -> None:
    answer = await client.put(f"{BASE}/libs/word_count.py", content=b"print('hi')\n")
    assert answer.json()["data"]["uri"] == f"artifacts://{WS}/{NS}/libs/word_count.py"
    assert (await client.get(f"{BASE}/libs/word_count.py")).content == b"print('hi')\n"


async def test_multipart_file_name_can_come_from_the_query(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        BASE, params={"fileName": "renamed.jar"}, files={"file": ("x.jar", b"1")}
    )
    assert answer.json()["data"]["name"] == "renamed.jar"


@pytest.mark.parametrize("method", ["multipart", "put"])
async def test_oversized_upload_is_413_and_stores_nothing(
    client: httpx.AsyncClient, store: FsspecArtifactStore, method: str
) -> None:
    big = b"x" * (LIMIT + 1)
    if method == "multipart":
        answer = await client.post(BASE, files={"file": ("big.jar", big)})
    else:
        answer = await client.put(f"{BASE}/big.jar", content=big)
    body = assert_error(answer, 413, "PayloadTooLarge")
    assert str(LIMIT) in body["errorMessage"]
    assert files_in(store) == []


@pytest.mark.parametrize("name", ["../evil.jar", "..", "a/../../evil.jar", "/etc/passwd"])
async def test_path_traversal_file_name_is_400_and_stores_nothing(
    client: httpx.AsyncClient, store: FsspecArtifactStore, name: str
) -> None:
    answer = await client.post(BASE, files={"file": (name, b"evil")})
    assert_error(answer, 400, "InvalidArtifact")
    answer = await client.post(BASE, params={"fileName": name}, files={"file": ("a.jar", b"e")})
    assert_error(answer, 400, "InvalidArtifact")
    assert files_in(store) == []
    assert not (store.local_root or Path("/nonexistent")).parent.joinpath("evil.jar").exists()


async def test_upload_without_multipart_is_a_clear_400(client: httpx.AsyncClient) -> None:
    body = assert_error(await client.post(BASE, content=b"raw"), 400)
    assert "multipart/form-data" in body["errorMessage"]


async def test_unknown_namespace_is_404(client: httpx.AsyncClient) -> None:
    answer = await client.put("/api/v2/namespaces/nope/artifacts/a.jar", content=b"1")
    assert_error(answer, 404, "NamespaceNotFound")


async def test_presigned_url_takes_a_plain_put(
    client: httpx.AsyncClient, store: FsspecArtifactStore, tmp_path: Path
) -> None:
    answer = await client.get(
        f"/artifacts/v2/namespaces/{NS}/getPreSignedUrlForPutObject",
        params={"fileName": "job.jar"},
        headers={"workspace": WS},
    )
    data = answer.json()["data"]
    assert data["jarUrl"] == f"artifacts://{WS}/{NS}/job.jar"
    url = data["preSignedUrl"]
    assert url.startswith("http://millstream/artifacts/v2/upload/")

    tampered = url.replace("signature=", "signature=0")
    assert_error(await client.put(tampered, content=b"evil"), 403, "InvalidSignature")
    assert files_in(store) == []

    put = await client.put(url, content=b"jar bytes")
    assert put.status_code == 200, put.text
    # The jarUrl is what a deployment references: the resolver finds the uploaded file.
    resolver = ArtifactResolver(store, cache_dir=tmp_path / "cache")
    assert resolver.resolve(data["jarUrl"]).read_bytes() == b"jar bytes"


async def test_presigned_url_requires_a_file_name(client: httpx.AsyncClient) -> None:
    answer = await client.get(f"/artifacts/v2/namespaces/{NS}/getPreSignedUrlForPutObject")
    assert_error(answer, 400, "InvalidParameter")
