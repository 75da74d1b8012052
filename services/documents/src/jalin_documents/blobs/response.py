"""A blob as an HTTP response, streamed from the store chunk by chunk."""

from __future__ import annotations

from fastapi import HTTPException, status
from starlette.responses import StreamingResponse

from jalin_documents.blobs.base import BlobNotFound, BlobStore


async def blob_response(
    store: BlobStore, tenant: str, key: str, *, media_type: str, headers: dict[str, str], missing: str
) -> StreamingResponse:
    """200 with the blob's bytes, or 410 with ``missing`` when the row's file is gone."""
    try:
        blob = await store.open(tenant, key)
    except BlobNotFound as exc:
        raise HTTPException(status.HTTP_410_GONE, missing) from exc
    return StreamingResponse(blob, media_type=media_type, headers={**headers, "Content-Length": str(blob.size)})
