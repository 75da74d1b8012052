"""The blob store: a local folder by default, one sub-folder per tenant."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, tenant: str, key: str) -> Path:
        parts = key.split("/")
        if not _SAFE.fullmatch(tenant) or not all(_SAFE.fullmatch(p) for p in parts):
            raise ValueError(f"unsafe blob key {tenant}/{key}")
        return self.root.joinpath(tenant, *parts)

    def put(self, tenant: str, key: str, data: bytes) -> Path:
        """Write atomically: a reader never sees half a file."""
        return self.put_file(tenant, key, io.BytesIO(data))

    def put_file(self, tenant: str, key: str, source: BinaryIO) -> Path:
        """Copy a file object (from its start) atomically, in chunks: uploads are never held in memory."""
        path = self._path(tenant, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            source.seek(0)
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(source, f, 1024 * 1024)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def delete(self, tenant: str, key: str) -> None:
        """Remove a blob; a missing one is not an error."""
        self._path(tenant, key).unlink(missing_ok=True)

    def get(self, tenant: str, key: str) -> bytes:
        return self._path(tenant, key).read_bytes()

    def path(self, tenant: str, key: str) -> Path:
        return self._path(tenant, key)
