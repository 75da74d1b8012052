"""S3-compatible object storage (AWS S3, MinIO, Ceph, ...) through obstore's async API:
``[<prefix>/]<tenant>/<key>`` in one bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, BinaryIO

from obstore.store import S3Store

from jalin_documents.blobs.base import CHUNK_SIZE, Blob, BlobNotFound, BlobStore, blob_name

if TYPE_CHECKING:
    from obstore import GetResult
    from obstore.store import ClientConfig, S3Config

PART_SIZE = 5 * 1024 * 1024
"""S3's smallest multipart part: a file up to this size is one PUT, a larger one is sent in parts."""
PARTS_IN_FLIGHT = 2
"""Parts uploaded at once: an upload holds about (this + 2) × PART_SIZE, whatever the file's size."""
REQUEST_TIMEOUT = timedelta(minutes=10)
"""The whole request, body included: a download streamed to a slow client must outlast it."""


class S3Blob(Blob):
    def __init__(self, result: GetResult) -> None:
        self._result = result
        self.size = int(result.meta["size"])

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._result.stream(min_chunk_size=CHUNK_SIZE)


class S3BlobStore(BlobStore):
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        allow_http: bool = False,
    ) -> None:
        """Credentials and region not given here come from the usual AWS environment
        (``AWS_*`` variables, web identity, instance metadata), as obstore reads it."""
        config: S3Config = {}
        if endpoint_url:
            config["endpoint"] = endpoint_url
        if region:
            config["region"] = region
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        client: ClientConfig = {"allow_http": allow_http, "timeout": REQUEST_TIMEOUT}
        self.bucket, self.prefix = bucket, prefix or None
        self._store = S3Store(bucket, prefix=self.prefix, config=config, client_options=client)

    async def put(self, tenant: str, key: str, data: bytes) -> None:
        await self._store.put_async(blob_name(tenant, key), data, chunk_size=PART_SIZE,
                                    max_concurrency=PARTS_IN_FLIGHT)

    async def put_file(self, tenant: str, key: str, source: BinaryIO) -> None:
        name = blob_name(tenant, key)
        source.seek(0)
        # obstore reads the file object itself, PART_SIZE at a time, off the event loop.
        await self._store.put_async(name, source, chunk_size=PART_SIZE, max_concurrency=PARTS_IN_FLIGHT)

    async def open(self, tenant: str, key: str) -> Blob:
        try:
            return S3Blob(await self._store.get_async(blob_name(tenant, key)))
        except FileNotFoundError:  # obstore's not-found
            raise BlobNotFound(tenant, key) from None

    async def get(self, tenant: str, key: str) -> bytes:
        try:
            result = await self._store.get_async(blob_name(tenant, key))
        except FileNotFoundError:
            raise BlobNotFound(tenant, key) from None
        return bytes(await result.bytes_async())

    async def delete(self, tenant: str, key: str) -> None:
        try:
            await self._store.delete_async(blob_name(tenant, key))
        except FileNotFoundError:  # S3 answers a missing key with success; some compatible stores do not
            pass
