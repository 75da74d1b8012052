"""A blob store that counts its failures on the app's metrics: ``jalin_blob_errors_total``
by operation (``put``, ``put_file``, ``open``, ``get``, ``delete``): any exception the store
raised, a missing blob included (a row whose file is gone). A failure while a download streams
is the HTTP response's, not counted here."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import BinaryIO, TypeVar

from prometheus_client import CollectorRegistry, Counter

from jalin_documents.blobs.base import Blob, BlobStore

T = TypeVar("T")


class CountedBlobStore(BlobStore):
    """``store``, each operation that raised counted on ``registry``."""

    def __init__(self, store: BlobStore, registry: CollectorRegistry, service: str = "documents") -> None:
        self.store = store
        self.service = service
        self.errors = Counter(
            "jalin_blob_errors", "Blob store operations that raised (the store unreachable, a missing file...).",
            ["service", "operation"], registry=registry,
        )

    async def _counted(self, operation: str, step: Awaitable[T]) -> T:
        try:
            return await step
        except Exception:
            self.errors.labels(self.service, operation).inc()
            raise

    async def put(self, tenant: str, key: str, data: bytes) -> None:
        await self._counted("put", self.store.put(tenant, key, data))

    async def put_file(self, tenant: str, key: str, source: BinaryIO) -> None:
        await self._counted("put_file", self.store.put_file(tenant, key, source))

    async def open(self, tenant: str, key: str) -> Blob:
        return await self._counted("open", self.store.open(tenant, key))

    async def get(self, tenant: str, key: str) -> bytes:
        return await self._counted("get", self.store.get(tenant, key))

    async def delete(self, tenant: str, key: str) -> None:
        await self._counted("delete", self.store.delete(tenant, key))
