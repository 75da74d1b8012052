"""The local folder: the embedded default, ``<root>/<tenant>/<key>``. File I/O runs in a thread."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from jalin_documents.blobs.base import CHUNK_SIZE, Blob, BlobNotFound, BlobStore, blob_name

COPY_CHUNK = 1024 * 1024


class LocalBlob(Blob):
    def __init__(self, file: BinaryIO, size: int) -> None:
        self._file = file
        self.size = size

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(self._file.read, CHUNK_SIZE):
                yield chunk
        finally:
            self._file.close()

    async def aclose(self) -> None:
        self._file.close()


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, tenant: str, key: str) -> Path:
        """Where the blob is (or would be) on disk."""
        return self.root.joinpath(*blob_name(tenant, key).split("/"))

    async def put(self, tenant: str, key: str, data: bytes) -> None:
        await self.put_file(tenant, key, io.BytesIO(data))

    async def put_file(self, tenant: str, key: str, source: BinaryIO) -> None:
        await asyncio.to_thread(self._write, self.path(tenant, key), source)

    @staticmethod
    def _write(path: Path, source: BinaryIO) -> None:
        """Into a temporary file beside the target, synced, then renamed over it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            source.seek(0)
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(source, f, COPY_CHUNK)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def open(self, tenant: str, key: str) -> Blob:
        path = self.path(tenant, key)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(tenant, key) from None
        return LocalBlob(file, os.fstat(file.fileno()).st_size)

    async def get(self, tenant: str, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(tenant, key).read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(tenant, key) from None

    async def delete(self, tenant: str, key: str) -> None:
        await asyncio.to_thread(self.path(tenant, key).unlink, missing_ok=True)
