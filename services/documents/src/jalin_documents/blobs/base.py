"""The blob store's interface: files kept per tenant under ``<tenant>/<key>``, written from
a file object, read back as a stream of chunks; never a whole upload or download in memory."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import BinaryIO

SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""Each part of a key, and the tenant: no empty part, no ``..``, no hidden name, no control character."""

CHUNK_SIZE = 256 * 1024
"""Bytes handed to an HTTP response at a time when a blob is streamed."""


class BlobNotFound(FileNotFoundError):
    """No blob under this key."""

    def __init__(self, tenant: str, key: str) -> None:
        super().__init__(f"no blob {tenant}/{key} in the blob store")
        self.tenant, self.key = tenant, key


def blob_name(tenant: str, key: str) -> str:
    """``<tenant>/<key>``, or ValueError for a tenant or key that is not safe as a path."""
    if not SAFE_PART.fullmatch(tenant) or not all(SAFE_PART.fullmatch(p) for p in key.split("/")):
        raise ValueError(f"unsafe blob key {tenant!r}/{key!r}")
    return f"{tenant}/{key}"


class Blob(ABC):
    """An open blob: its size, and its bytes once, as an async iterator of chunks of about
    ``CHUNK_SIZE``. Iterating to the end (or being cancelled) releases it; ``aclose`` releases
    one that is not read."""

    size: int

    @abstractmethod
    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None:  # noqa: B027 - nothing to release by default
        """Release the blob without reading it."""


class BlobStore(ABC):
    """Where the service keeps its files, one folder (key prefix) per tenant.

    Every method is a coroutine: the local folder does its file I/O in a thread, S3 speaks
    HTTP asynchronously. Keys are ``/``-separated parts, each matching ``SAFE_PART``; anything
    else is refused with ValueError before the store is touched."""

    @abstractmethod
    async def put(self, tenant: str, key: str, data: bytes) -> None:
        """Store ``data`` under ``<tenant>/<key>``, atomically (a reader never sees half of it)."""

    @abstractmethod
    async def put_file(self, tenant: str, key: str, source: BinaryIO) -> None:
        """Store a file object's content (from its start) atomically, read in chunks."""

    @abstractmethod
    async def open(self, tenant: str, key: str) -> Blob:
        """The blob, to be streamed; BlobNotFound when there is none."""

    async def get(self, tenant: str, key: str) -> bytes:
        """The whole blob (for small files); BlobNotFound when there is none."""
        blob = await self.open(tenant, key)
        return b"".join([chunk async for chunk in blob])

    @abstractmethod
    async def delete(self, tenant: str, key: str) -> None:
        """Remove a blob; a missing one is not an error."""
