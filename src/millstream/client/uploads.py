"""Streaming a local file to a pre-signed upload URL, for ``upload_artifact``.

The file goes up in ``CHUNK_SIZE`` pieces as httpx sends them, never read whole, with
its size as ``Content-Length`` (no chunked encoding). A pre-signed URL carries its own
authorization, so the request is not ACS-signed. Both clients use this module; they
differ only in the chunk iterator (``file_chunks`` or ``async_file_chunks``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx

from millstream import __version__
from millstream.client.config import ClientConfig
from millstream.client.errors import ApiError
from millstream.client.models import PreSignedUrl

__all__ = ["CHUNK_SIZE", "async_file_chunks", "build_upload_request", "file_chunks", "target_url"]

CHUNK_SIZE = 256 * 1024
_USER_AGENT = f"millstream-client/{__version__}"


def file_chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes, one chunk at a time (the file is open only while iterated)."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


async def async_file_chunks(path: Path) -> AsyncIterator[bytes]:
    """``file_chunks`` for the event loop: each blocking read runs in a thread."""
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
            yield chunk
    finally:
        handle.close()


def target_url(config: ClientConfig, presigned: PreSignedUrl) -> str:
    """The absolute URL to PUT to (a server may answer a path relative to its own URL)."""
    if not presigned.pre_signed_url:
        raise ApiError(
            200,
            "InvalidResponse",
            "GetPreSignedUrlForPutObject answered no preSignedUrl; is the artifact store on?",
        )
    return urljoin(config.url + "/", presigned.pre_signed_url)


def build_upload_request(
    http: httpx.Client | httpx.AsyncClient,
    url: str,
    content: Iterator[bytes] | AsyncIterator[bytes],
    size: int,
) -> httpx.Request:
    """A plain PUT of ``size`` bytes streamed from ``content``."""
    headers = {
        "accept": "application/json",
        "user-agent": _USER_AGENT,
        "content-type": "application/octet-stream",
        "content-length": str(size),
    }
    return http.build_request("PUT", url, content=content, headers=headers)
