"""Artifact routes of the native dialect: upload, list, download, delete files per
namespace, and ``GetPreSignedUrlForPutObject`` exactly as the official SDK calls it.

    POST   /api/v2/namespaces/{ns}/artifacts            multipart field ``file``
    PUT    /api/v2/namespaces/{ns}/artifacts/{name}     raw body
    GET    /api/v2/namespaces/{ns}/artifacts            list
    GET    /api/v2/namespaces/{ns}/artifacts/{name}     download (the file's bytes)
    DELETE /api/v2/namespaces/{ns}/artifacts/{name}
    GET    /artifacts/v2/namespaces/{ns}/getPreSignedUrlForPutObject?fileName=…
           -> data {jarUrl, preSignedUrl}  (SDK model GetPreSignedUrlForObjectResult)
    PUT    /artifacts/v2/upload/{ws}/{ns}/{name}?expires=…&signature=…
           the pre-signed URL: a plain PUT, no other credentials

Uploads are streamed (the multipart body is parsed chunk by chunk straight into the
store's temporary file), so a file is never held whole in memory and the size limit is
enforced while it arrives. Every answer but a download is the native envelope.
Issuing an upload URL is a write (operation table), whatever its method; the pre-signed
PUT has no caller (its query signature is the credential), so it runs no guard.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Guard, RequestContext, binding_of
from millstream.api.native.errors import ok_response
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.artifact_ports import ArtifactUpload, StoredArtifact
from millstream.control.context import Scope
from millstream.control.services.artifacts import PRESIGNED_UPLOAD_PREFIX, ArtifactService
from millstream.domain.errors import InvalidInput

__all__ = ["build_artifacts_router", "router"]

router = native_router()

_PATH = "/api/v2/namespaces/{namespace}/artifacts"
_FILE_FIELD = "file"
_MAX_FIELD_BYTES = 4096  # small form fields (fileName) are kept in memory, files never

Name = Annotated[str, Path(min_length=1, max_length=1024)]


def _wire(artifact: StoredArtifact) -> dict[str, Any]:
    return {
        "name": artifact.name,
        "namespace": artifact.namespace,
        "size": artifact.size,
        "uri": artifact.uri,
        "modifiedAt": (
            int(artifact.modified_at.timestamp() * 1000) if artifact.modified_at else None
        ),
    }


def _artifacts(ctx: RequestContext) -> ArtifactService:
    if ctx.services.artifacts is None:
        raise not_enabled("artifacts")
    return ctx.services.artifacts


@router.post(_PATH, name="UploadArtifact")
async def upload_artifact(
    ctx: Ctx,
    request: Request,
    file_name: Annotated[str | None, Query(alias="fileName")] = None,
) -> JSONResponse:
    artifacts, scope, actor = _artifacts(ctx), ctx.scope, ctx.actor
    stored = await _receive_multipart(
        request, lambda name: artifacts.begin_upload(scope, actor, file_name or name)
    )
    return ok(ctx, _wire(stored))


@router.put(_PATH + "/{name:path}", name="PutArtifact")
async def put_artifact(ctx: Ctx, request: Request, name: Name) -> JSONResponse:
    upload = await run_in_threadpool(_artifacts(ctx).begin_upload, ctx.scope, ctx.actor, name)
    return ok(ctx, _wire(await _receive_raw(request, upload)))


@router.get(_PATH, name="ListArtifacts")
def list_artifacts(ctx: Ctx) -> JSONResponse:
    found = _artifacts(ctx).list(ctx.scope)
    return ok(ctx, [_wire(a) for a in found], totalSize=len(found))


@router.get(_PATH + "/{name:path}", name="DownloadArtifact")
def download_artifact(ctx: Ctx, name: Name) -> StreamingResponse:
    found, chunks = _artifacts(ctx).download(ctx.scope, name)
    file_name = found.name.rsplit("/", 1)[-1]
    return StreamingResponse(
        chunks,
        media_type="application/octet-stream",
        headers={
            "content-length": str(found.size),
            "content-disposition": f"attachment; filename*=UTF-8''{quote(file_name)}",
        },
    )


@router.delete(_PATH + "/{name:path}", name="DeleteArtifact")
def delete_artifact(ctx: Ctx, name: Name) -> JSONResponse:
    _artifacts(ctx).delete(ctx.scope, ctx.actor, name)
    return ok(ctx)


@router.get(
    "/artifacts/v2/namespaces/{namespace}/getPreSignedUrlForPutObject",
    name="GetPreSignedUrlForPutObject",
)
def get_pre_signed_url_for_put_object(
    ctx: Ctx,
    request: Request,
    file_name: Annotated[str | None, Query(alias="fileName")] = None,
) -> JSONResponse:
    if not file_name:
        raise InvalidInput("fileName is required")
    presigned = _artifacts(ctx).presign_upload(ctx.scope, file_name)
    base = (ctx.public_url or str(request.base_url)).rstrip("/")
    return ok(ctx, {"jarUrl": presigned.uri, "preSignedUrl": base + presigned.path})


@router.put(
    PRESIGNED_UPLOAD_PREFIX + "/{workspace}/{namespace}/{name:path}", name="PutPreSignedObject"
)
async def put_presigned(
    request: Request,
    workspace: Annotated[str, Path(min_length=1, max_length=128)],
    namespace: Annotated[str, Path(min_length=1, max_length=128)],
    name: Name,
    expires: Annotated[str, Query()] = "",
    signature: Annotated[str, Query()] = "",
) -> JSONResponse:
    """The pre-signed URL: a plain PUT whose query signature is the only credential, so
    no guard runs (and no caller is audited)."""
    artifacts = binding_of(request).services.artifacts
    if artifacts is None:
        raise not_enabled("artifacts")
    upload = await run_in_threadpool(
        artifacts.begin_presigned_upload,
        Scope(workspace=workspace, namespace=namespace),
        name,
        expires=expires,
        signature=signature,
    )
    stored = await _receive_raw(request, upload)
    return ok_response(request.state.request_id, _wire(stored))


def build_artifacts_router(
    artifacts: ArtifactService,
    authenticate: Guard,
    *,
    default_workspace: str,
    public_url: str | None = None,
) -> APIRouter:
    """The artifact routes alone, over one service (tests and tools; the server serves
    them as part of the native dialect)."""
    from millstream.api.native.standalone import standalone_router

    return standalone_router(
        [router], authenticate, default_workspace, public_url=public_url, artifacts=artifacts
    )


async def _receive_raw(request: Request, upload: ArtifactUpload) -> StoredArtifact:
    """Stream the request body into ``upload``; abort it on any failure."""
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(upload.write, chunk)
        return await run_in_threadpool(upload.commit)
    except BaseException:
        await run_in_threadpool(upload.abort)
        raise


class _MultipartSink:
    """Callbacks of python-multipart's streaming parser: the ``file`` part goes into an
    upload as it is parsed, other parts are ignored (bounded), nothing is buffered."""

    def __init__(self, begin: Callable[[str], ArtifactUpload]) -> None:
        self._begin = begin
        self._header_field = b""
        self._header_value = b""
        self._disposition = b""
        self._current: ArtifactUpload | None = None
        self.uploads: list[ArtifactUpload] = []
        self.stored: StoredArtifact | None = None

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._disposition = b""
        self._current = None

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]
        if len(self._header_field) > _MAX_FIELD_BYTES:
            raise InvalidInput("a multipart header is too long")

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > _MAX_FIELD_BYTES:
            raise InvalidInput("a multipart header is too long")

    def _header_end(self) -> None:
        if self._header_field.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if options.get(b"name", b"").decode("utf-8", "replace") != _FILE_FIELD:
            return
        if self.stored is not None or self.uploads:
            raise InvalidInput("send one file per upload (one multipart field 'file')")
        # Taken as sent: a name with a path in it is refused by the store's name rules
        # rather than silently shortened.
        # (An empty one is fine when the caller passed ?fileName=.)
        name = options.get(b"filename", b"").decode("utf-8", "replace")
        self._current = self._begin(name)
        self.uploads.append(self._current)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is not None:
            self._current.write(data[start:end])

    def _part_end(self) -> None:
        if self._current is not None:
            self.stored = self._current.commit()
            self._current = None


async def _receive_multipart(
    request: Request, begin: Callable[[str], ArtifactUpload]
) -> StoredArtifact:
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInput(
            "upload with Content-Type multipart/form-data and the file in field 'file' "
            "(or PUT the raw bytes to .../artifacts/{name})"
        )
    sink = _MultipartSink(begin)
    parser = MultipartParser(boundary, sink.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            if chunk:
                # The callbacks write to the store: keep that file I/O off the event loop.
                await run_in_threadpool(parser.write, chunk)
        await run_in_threadpool(parser.finalize)
    except BaseException:
        for upload in sink.uploads:
            await run_in_threadpool(upload.abort)
        raise
    if sink.stored is None:
        for upload in sink.uploads:
            await run_in_threadpool(upload.abort)
        raise InvalidInput("the multipart body has no complete 'file' field")
    return sink.stored
