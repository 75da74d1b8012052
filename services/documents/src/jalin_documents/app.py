"""Wiring: settings, runtime, HTTP app. ``python -m jalin_documents`` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jalin_kit.http import create_app
from jalin_kit.runtime import ServiceRuntime

from jalin_documents import access, attachments
from jalin_documents.api import router
from jalin_documents.blobs import blob_store
from jalin_documents.handlers import consumers, deps
from jalin_documents.settings import DocumentsSettings

SERVICE_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = SERVICE_ROOT / "migrations"
TEMPLATES = SERVICE_ROOT / "templates"


def build(settings: DocumentsSettings | None = None) -> FastAPI:
    settings = settings or DocumentsSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, consumers=consumers)
    deps.blobs = blob_store(settings)
    deps.templates = settings.templates_dir or TEMPLATES
    deps.tenants = runtime.tenants
    return create_app(
        runtime,
        title="Jalin documents",
        description=(
            "Agreement texts rendered from templates (DOCX), versioned and stored; attachments "
            "(KAK, feasibility study, letters, signed scans) kept per tenant and shared with the partner region."
        ),
        routers=[router, attachments.upload_router, attachments.limits_router, attachments.router],
        operations=access.OPERATIONS,
        own_body_limits=["/v1/attachments"],  # UploadRoute bounds the file by max_upload_bytes
    )
