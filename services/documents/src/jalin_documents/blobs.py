"""The blob store: a local folder by default, one sub-folder per tenant."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, tenant: str, key: str) -> Path:
        parts = key.split("/")
        if not _SAFE.match(tenant) or not all(_SAFE.match(p) for p in parts):
            raise ValueError(f"unsafe blob key {tenant}/{key}")
        return self.root.joinpath(tenant, *parts)

    def put(self, tenant: str, key: str, data: bytes) -> Path:
        """Write atomically: a reader never sees half a file."""
        path = self._path(tenant, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def get(self, tenant: str, key: str) -> bytes:
        return self._path(tenant, key).read_bytes()

    def path(self, tenant: str, key: str) -> Path:
        return self._path(tenant, key)
