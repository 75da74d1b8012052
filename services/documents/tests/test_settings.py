"""The documents service's blob settings: the local folder outside production, S3 with what
it needs, each refusal naming the variable to set (and each shown passing once it is set)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jalin_documents.blobs import LocalBlobStore, blob_store
from jalin_documents.blobs.s3 import S3BlobStore
from jalin_documents.settings import DocumentsSettings

PRODUCTION: dict[str, Any] = {  # every other production setting given
    "environment": "production",
    "database_url": "postgresql+asyncpg://jalin:pw@db.internal/jalin",
    "jwt_jwks_url": "https://sso.sumbarprov.go.id/realms/jalin/protocol/openid-connect/certs",
    "jwt_issuer": "https://sso.sumbarprov.go.id/realms/jalin",
    "jwt_algorithms": ["RS256"],
    "nats_user": "documents",
    "nats_password": "a-bus-password",
}
TEST: dict[str, Any] = {"environment": "test", "jwt_secret": "a-test-secret-0123456789abcdef0123"}
S3: dict[str, Any] = {"blob_store": "s3", "s3_bucket": "jalin-documents"}
LOCAL_REFUSED = ("blobs in a local folder cannot be shared by replicas: set JALIN_DOCUMENTS_BLOB_STORE=s3 "
                 "and JALIN_DOCUMENTS_S3_*")


def test_the_local_folder_is_the_default_outside_production(tmp_path: Path) -> None:
    for environment in ("development", "test"):
        settings = DocumentsSettings(**{**TEST, "environment": environment}, data_dir=tmp_path)
        assert settings.blob_store == "local"
        assert settings.blob_path() == (tmp_path / "blobs" / "documents").resolve()
        store = blob_store(settings)
        assert isinstance(store, LocalBlobStore) and store.root == settings.blob_path()
    settings = DocumentsSettings(**TEST, blob_root=tmp_path / "elsewhere")
    assert blob_store(settings).root == (tmp_path / "elsewhere").resolve()  # type: ignore[attr-defined]


def test_production_refuses_the_local_folder() -> None:
    with pytest.raises(ValueError) as refused:
        DocumentsSettings(**PRODUCTION)
    assert LOCAL_REFUSED in str(refused.value)
    with pytest.raises(ValueError, match="cannot be shared by replicas"):
        DocumentsSettings(**PRODUCTION, blob_store="local", blob_root="/srv/jalin/blobs")
    settings = DocumentsSettings(**PRODUCTION, **S3)
    assert isinstance(blob_store(settings), S3BlobStore)


def test_s3_needs_a_bucket() -> None:
    for bucket in (None, ""):
        with pytest.raises(ValueError, match="JALIN_DOCUMENTS_BLOB_STORE=s3 needs a bucket: set JALIN_DOCUMENTS_S3_BUCKET"):
            DocumentsSettings(**TEST, blob_store="s3", s3_bucket=bucket)
    store = blob_store(DocumentsSettings(**TEST, **S3))
    assert isinstance(store, S3BlobStore) and (store.bucket, store.prefix) == ("jalin-documents", None)


def test_s3_keys_come_both_or_neither() -> None:
    for half in ({"s3_access_key_id": "AKIAJALIN"}, {"s3_secret_access_key": "rahasia-sekali"}):
        with pytest.raises(ValueError, match="set both JALIN_DOCUMENTS_S3_ACCESS_KEY_ID and "
                                             "JALIN_DOCUMENTS_S3_SECRET_ACCESS_KEY, or neither"):
            DocumentsSettings(**TEST, **S3, **half)
    DocumentsSettings(**TEST, **S3, s3_access_key_id="AKIAJALIN", s3_secret_access_key="rahasia-sekali")
    DocumentsSettings(**TEST, **S3)  # neither: the AWS environment's (web identity, instance role)


def test_a_plain_http_endpoint_must_be_allowed_and_only_http_urls_are_endpoints() -> None:
    with pytest.raises(ValueError, match="S3_ENDPOINT_URL is plain HTTP: use https://, or set "
                                         "JALIN_DOCUMENTS_S3_ALLOW_HTTP=true"):
        DocumentsSettings(**TEST, **S3, s3_endpoint_url="http://minio.internal:9000")
    DocumentsSettings(**TEST, **S3, s3_endpoint_url="http://minio.internal:9000", s3_allow_http=True)
    DocumentsSettings(**TEST, **S3, s3_endpoint_url="https://minio.internal:9000")
    with pytest.raises(ValueError, match="JALIN_DOCUMENTS_S3_ENDPOINT_URL must be an http"):
        DocumentsSettings(**TEST, **S3, s3_endpoint_url="minio.internal:9000", s3_allow_http=True)


@pytest.mark.parametrize("prefix", ["../x", "a//b", ".jalin", "-jalin", "a/", "/a", "a b", "a\n"])
def test_an_unsafe_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="JALIN_DOCUMENTS_S3_PREFIX"):
        DocumentsSettings(**TEST, **S3, s3_prefix=prefix)
    store = blob_store(DocumentsSettings(**TEST, **S3, s3_prefix="jalin/documents"))
    assert store.prefix == "jalin/documents"  # type: ignore[attr-defined]
    assert blob_store(DocumentsSettings(**TEST, **S3, s3_prefix="")).prefix is None  # type: ignore[attr-defined]


def test_s3_from_the_environment_with_the_secret_from_a_file_and_hidden_from_logs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "s3-secret"
    secret.write_text("rahasia-sekali-0123\n")
    for name, value in {
        "JALIN_ENVIRONMENT": "test",
        "JALIN_JWT_SECRET": TEST["jwt_secret"],
        "JALIN_DOCUMENTS_BLOB_STORE": "s3",
        "JALIN_DOCUMENTS_S3_BUCKET": "jalin-prod-documents",
        "JALIN_DOCUMENTS_S3_PREFIX": "jalin",
        "JALIN_DOCUMENTS_S3_ENDPOINT_URL": "http://minio.internal:9000",
        "JALIN_DOCUMENTS_S3_ALLOW_HTTP": "true",
        "JALIN_DOCUMENTS_S3_REGION": "ap-southeast-3",
        "JALIN_DOCUMENTS_S3_ACCESS_KEY_ID": "AKIAJALIN",
        "JALIN_DOCUMENTS_S3_SECRET_ACCESS_KEY_FILE": str(secret),
    }.items():
        monkeypatch.setenv(name, value)
    settings = DocumentsSettings()
    assert (settings.blob_store, settings.s3_bucket, settings.s3_prefix, settings.s3_region) == (
        "s3", "jalin-prod-documents", "jalin", "ap-southeast-3")
    assert (settings.s3_endpoint_url, settings.s3_allow_http) == ("http://minio.internal:9000", True)
    assert (settings.s3_access_key_id, settings.s3_secret_access_key) == ("AKIAJALIN", "rahasia-sekali-0123")
    public = settings.public()
    assert public["s3_secret_access_key"] == "***" and public["s3_bucket"] == "jalin-prod-documents"
    assert "rahasia" not in str(public)
    monkeypatch.delenv("JALIN_DOCUMENTS_BLOB_STORE")
    assert DocumentsSettings().blob_store == "local"  # the S3_* settings alone choose nothing
