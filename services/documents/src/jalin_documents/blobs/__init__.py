"""The blob store: a local folder by default (the embedded default), or S3-compatible object
storage (``JALIN_DOCUMENTS_BLOB_STORE=s3``), which replicas can share. Keys are ``<tenant>/<key>``
either way: every file sits under the folder (prefix) of the region that owns it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jalin_documents.blobs.base import CHUNK_SIZE, SAFE_PART, Blob, BlobNotFound, BlobStore, blob_name
from jalin_documents.blobs.local import LocalBlobStore

if TYPE_CHECKING:
    from jalin_documents.settings import DocumentsSettings

__all__ = [
    "CHUNK_SIZE", "SAFE_PART", "Blob", "BlobNotFound", "BlobStore", "LocalBlobStore", "blob_name", "blob_store",
]


def blob_store(settings: DocumentsSettings) -> BlobStore:
    """The store the settings name."""
    if settings.blob_store == "local":
        return LocalBlobStore(settings.blob_path())
    from jalin_documents.blobs.s3 import S3BlobStore  # obstore only where S3 is used

    assert settings.s3_bucket  # checked by the settings
    return S3BlobStore(
        settings.s3_bucket,
        prefix=settings.s3_prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        allow_http=settings.s3_allow_http,
    )
