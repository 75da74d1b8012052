"""The documents service's blob stores for the tests: the local folder, and S3 on moto's
standalone server (a real S3-compatible server over HTTP, started here as a process).

``blob_store`` is ``"local"`` unless a test parametrizes it (``["local", "s3"]``);
``blobs`` is that store, with its settings and a way to list what it holds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jalin_documents.blobs import BlobStore, blob_store
from jalin_documents.settings import DocumentsSettings
from obstore.store import S3Store

from jalin_s3 import create_bucket, moto_server

S3_KEYS = {"s3_region": "us-east-1", "s3_access_key_id": "testing", "s3_secret_access_key": "testing"}
S3_PREFIX = "jalin/documents"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on a free port, until the session ends."""
    try:
        with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def blob_store_kind() -> str:
    """Which store the test's app and ``blobs`` use; parametrize it to run both."""
    return "local"


@dataclass
class Blobs:
    """A blob store of the test, the settings naming it, and what it holds."""

    kind: str
    settings: dict[str, Any]
    store: BlobStore
    root: Path | None = None  # local: the folder
    bucket: S3Store | None = None  # s3: the whole bucket, prefix included

    def names(self, contains: str = "") -> list[str]:
        """Every blob as ``<tenant>/<key>``, sorted (the local folder's unfinished temporary
        files excluded); on S3 the objects must all be under the prefix."""
        if self.root is not None:
            found = [p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                     if p.is_file() and not p.name.startswith(".tmp-")]
        else:
            assert self.bucket is not None
            paths = [m["path"] for batch in self.bucket.list() for m in batch]
            assert all(p.startswith(f"{S3_PREFIX}/") for p in paths), paths
            found = [p.removeprefix(f"{S3_PREFIX}/") for p in paths]
        return sorted(n for n in found if contains in n)

    def temp_files(self) -> list[Path]:
        """The local folder's temporary files (an S3 upload is atomic: it has none)."""
        return [] if self.root is None else list(self.root.rglob(".tmp-*"))


@pytest.fixture
def blobs(blob_store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Blobs:
    if blob_store_kind == "local":
        settings: dict[str, Any] = {"blob_store": "local", "blob_root": tmp_path / "blobs"}
        store = blob_store(DocumentsSettings(environment="test", jwt_secret="blobs", **settings))
        return Blobs("local", settings, store, root=(tmp_path / "blobs").resolve())
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = create_bucket(endpoint)
    settings = {"blob_store": "s3", "s3_bucket": bucket, "s3_endpoint_url": endpoint, "s3_allow_http": True,
                "s3_prefix": S3_PREFIX, **S3_KEYS}
    store = blob_store(DocumentsSettings(environment="test", jwt_secret="blobs", **settings))
    raw = S3Store(bucket, config={"endpoint": endpoint, "region": "us-east-1", "access_key_id": "testing",
                                  "secret_access_key": "testing"}, client_options={"allow_http": True})
    return Blobs("s3", settings, store, bucket=raw)
