"""``upload_artifact``, sync and async: pre-signed URL, then a streamed, unsigned PUT."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from millstream.client import (
    ApiError,
    AsyncMillstreamClient,
    AuthError,
    ClientConfig,
    MillstreamClient,
    TransportError,
)
from millstream.client.uploads import CHUNK_SIZE

CONFIG = ClientConfig(
    url="http://ms.test:8080", access_key_id="AK", access_key_secret="SK", namespace="ns1"
)
SIZE = 2 * 1024 * 1024 + 123  # not a multiple of the chunk size


def _envelope(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"success": True, "requestId": "r", "data": data})


class _Upload:
    """The server side of an upload: records what arrives and how it arrives."""

    def __init__(
        self,
        *,
        pre_signed_url: str = "http://ms.test:8080/artifacts/v2/upload/ws/ns1/app.jar?s=1",
        answer: httpx.Response | None = None,
    ) -> None:
        self.pre_signed_url = pre_signed_url
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.chunks: list[int] = []
        self.streamed_before_read = False

    def presign(self, request: httpx.Request) -> httpx.Response:
        name = parse_qs(request.url.query.decode())["fileName"][0]
        return _envelope(
            {"jarUrl": f"artifacts://ws/ns1/{name}", "preSignedUrl": self.pre_signed_url}
        )

    def put_started(self, request: httpx.Request) -> None:
        self.requests.append(request)
        try:
            request.content  # noqa: B018 - raises while the body is still a stream
        except httpx.RequestNotRead:
            self.streamed_before_read = True

    def put_done(self) -> httpx.Response:
        if self.answer is not None:
            return self.answer
        return _envelope({"name": "app.jar", "size": sum(self.chunks), "uri": "artifacts://x"})


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, upload: _Upload) -> None:
        self.upload = upload

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.upload.requests.append(request)
            return self.upload.presign(request)
        self.upload.put_started(request)
        assert isinstance(request.stream, httpx.SyncByteStream)
        for chunk in request.stream:
            self.upload.chunks.append(len(chunk))
        return self.upload.put_done()


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, upload: _Upload) -> None:
        self.upload = upload

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.upload.requests.append(request)
            return self.upload.presign(request)
        self.upload.put_started(request)
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            self.upload.chunks.append(len(chunk))
        return self.upload.put_done()


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "app.jar"
    path.write_bytes(os.urandom(SIZE))
    return path


def _never_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path) -> bytes:
        raise AssertionError(f"the upload read {path} whole")

    monkeypatch.setattr(Path, "read_bytes", refuse)


def test_upload_streams_the_file_in_chunks_to_the_pre_signed_url(
    big_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _never_whole(monkeypatch)
    upload = _Upload()
    with MillstreamClient(CONFIG, transport=_SyncTransport(upload)) as client:
        stored = client.upload_artifact(big_file, "libs/app.jar")
    assert stored.uri == "artifacts://x"
    presign, put = upload.requests
    assert presign.url.raw_path == (
        b"/artifacts/v2/namespaces/ns1/getPreSignedUrlForPutObject?fileName=libs%2Fapp.jar"
    )
    assert presign.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=AK,")
    assert str(put.url) == upload.pre_signed_url
    assert "authorization" not in put.headers  # the URL is the credential
    assert put.headers["content-length"] == str(SIZE)
    assert "transfer-encoding" not in put.headers
    assert upload.streamed_before_read
    assert sum(upload.chunks) == SIZE
    assert len(upload.chunks) >= SIZE // CHUNK_SIZE
    assert max(upload.chunks) <= CHUNK_SIZE


async def test_async_upload_streams_the_same_way(
    big_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _never_whole(monkeypatch)
    upload = _Upload()
    async with AsyncMillstreamClient(CONFIG, transport=_AsyncTransport(upload)) as client:
        stored = await client.upload_artifact(big_file)
    assert stored.uri == "artifacts://x"
    assert b"fileName=app.jar" in upload.requests[0].url.raw_path
    assert upload.streamed_before_read
    assert sum(upload.chunks) == SIZE
    assert max(upload.chunks) <= CHUNK_SIZE


def test_upload_falls_back_to_the_pre_signed_uri_and_joins_relative_urls(
    tmp_path: Path,
) -> None:
    path = tmp_path / "job.py"
    path.write_text("print(1)\n")
    upload = _Upload(
        pre_signed_url="/artifacts/v2/upload/ws/ns1/job.py?s=1",
        answer=_envelope({"name": "job.py", "size": 9}),
    )
    with MillstreamClient(CONFIG, transport=_SyncTransport(upload)) as client:
        stored = client.upload_artifact(path)
    assert stored.uri == "artifacts://ws/ns1/job.py"
    assert (
        str(upload.requests[1].url) == "http://ms.test:8080/artifacts/v2/upload/ws/ns1/job.py?s=1"
    )


def test_upload_errors_map_like_every_other_answer(tmp_path: Path) -> None:
    path = tmp_path / "a.jar"
    path.write_bytes(b"PK")
    expired = httpx.Response(
        403,
        json={"success": False, "errorCode": "SignatureExpired", "errorMessage": "expired"},
    )
    with (
        MillstreamClient(CONFIG, transport=_SyncTransport(_Upload(answer=expired))) as client,
        pytest.raises(AuthError, match="SignatureExpired"),
    ):
        client.upload_artifact(path)
    too_big = httpx.Response(413, text="Request Entity Too Large")
    with (
        MillstreamClient(CONFIG, transport=_SyncTransport(_Upload(answer=too_big))) as client,
        pytest.raises(ApiError, match="413"),
    ):
        client.upload_artifact(path)


def test_upload_transport_failure_is_a_transport_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jar"
    path.write_bytes(b"PK")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return _envelope({"jarUrl": "artifacts://a", "preSignedUrl": "http://ms.test/u"})
        raise httpx.ConnectError("refused", request=request)

    with (
        MillstreamClient(CONFIG, transport=httpx.MockTransport(handler)) as client,
        pytest.raises(TransportError, match="cannot reach Millstream"),
    ):
        client.upload_artifact(path)


def test_upload_of_a_missing_file_asks_for_nothing(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _envelope({})

    with (
        MillstreamClient(CONFIG, transport=httpx.MockTransport(handler)) as client,
        pytest.raises(FileNotFoundError),
    ):
        client.upload_artifact(tmp_path / "missing.jar")
    assert not seen


def test_a_server_without_pre_signed_urls_is_an_api_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jar"
    path.write_bytes(b"PK")

    def handler(request: httpx.Request) -> httpx.Response:  # noqa: ARG001
        return _envelope({"jarUrl": "artifacts://a"})

    with (
        MillstreamClient(CONFIG, transport=httpx.MockTransport(handler)) as client,
        pytest.raises(ApiError, match="no preSignedUrl"),
    ):
        client.upload_artifact(path)
