from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from jalin_kit.settings import ServiceSettings
from pydantic import Field, model_validator

from jalin_documents.blobs.base import SAFE_PART

ENV = "JALIN_DOCUMENTS_"


class DocumentsSettings(ServiceSettings):
    """Environment: ``JALIN_DOCUMENTS_*``, falling back to ``JALIN_*``."""

    service_name: ClassVar[str] = "documents"
    default_port: ClassVar[int] = 8102
    # Redacted by public(), and readable from a file (JALIN_DOCUMENTS_S3_SECRET_ACCESS_KEY_FILE).
    secret_fields: ClassVar[tuple[str, ...]] = (*ServiceSettings.secret_fields, "s3_secret_access_key")

    templates_dir: Path | None = None  # default: the service's templates/
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Largest attachment accepted (bytes).")

    # Blobs (generated documents, attachments): a local folder, or S3-compatible object storage.
    blob_store: Literal["local", "s3"] = "local"
    blob_root: Path | None = None  # the local folder; default: <data_dir>/blobs/documents
    s3_bucket: str | None = None
    s3_prefix: str | None = Field(None, description="Keys are <prefix>/<tenant>/...; none: <tenant>/...")
    s3_endpoint_url: str | None = Field(None, description="MinIO, Ceph, ...; none: AWS S3 of the region.")
    s3_region: str | None = None  # none: AWS_REGION, else us-east-1
    s3_access_key_id: str | None = None  # none (with the secret): the AWS environment's credentials
    s3_secret_access_key: str | None = None
    s3_allow_http: bool = False  # plain HTTP to the endpoint (a local test server)

    @model_validator(mode="after")
    def _blob_store_settings(self) -> DocumentsSettings:
        if self.blob_store == "s3":
            if not self.s3_bucket:
                raise ValueError(f"{ENV}BLOB_STORE=s3 needs a bucket: set {ENV}S3_BUCKET")
            if bool(self.s3_access_key_id) != bool(self.s3_secret_access_key):
                raise ValueError(
                    f"set both {ENV}S3_ACCESS_KEY_ID and {ENV}S3_SECRET_ACCESS_KEY, or neither "
                    "(then the AWS environment's credentials are used)"
                )
            if self.s3_prefix and not all(SAFE_PART.fullmatch(p) for p in self.s3_prefix.split("/")):
                raise ValueError(
                    f"{ENV}S3_PREFIX ({self.s3_prefix!r}) must be '/'-separated parts of A-Z a-z 0-9 . _ -, "
                    "each starting with a letter or digit"
                )
            endpoint = (self.s3_endpoint_url or "").lower()
            if endpoint and not endpoint.startswith(("https://", "http://")):
                raise ValueError(f"{ENV}S3_ENDPOINT_URL must be an http(s):// URL")
            if endpoint.startswith("http://") and not self.s3_allow_http:
                raise ValueError(
                    f"{ENV}S3_ENDPOINT_URL is plain HTTP: use https://, or set {ENV}S3_ALLOW_HTTP=true "
                    "(a local test server)"
                )
        elif self.environment == "production":
            raise ValueError(
                f"blobs in a local folder cannot be shared by replicas: set {ENV}BLOB_STORE=s3 and {ENV}S3_*"
            )
        return self

    def blob_path(self) -> Path:
        return (self.blob_root or self.blob_dir).resolve()
