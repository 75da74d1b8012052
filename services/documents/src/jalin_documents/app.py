"""Wiring: settings, runtime, HTTP app. ``python -m jalin_documents`` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jalin_kit.http import create_app
from jalin_kit.runtime import ServiceRuntime

from jalin_documents import access, attachments
from jalin_documents.api import router
from jalin_documents.blobs import blob_store
from jalin_documents.blobs.counted import CountedBlobStore
from jalin_documents.deps import Deps
from jalin_documents.handlers import build_consumers
from jalin_documents.settings import DocumentsSettings

SERVICE_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = SERVICE_ROOT / "migrations"
TEMPLATES = SERVICE_ROOT / "templates"


def build(settings: DocumentsSettings | None = None) -> FastAPI:
    """One app with its own consumers, store, blob store and metrics: two in one process share nothing."""
    settings = settings or DocumentsSettings()
    consumers = build_consumers()
    runtime = ServiceRuntime(settings, MIGRATIONS, consumers=consumers)
    # The runtime makes the tenant directory and the metrics registry the dependencies hold,
    # so they are handed to the consumers once it exists (before anything runs).
    deps = Deps(
        blobs=CountedBlobStore(blob_store(settings), runtime.metrics.registry),
        templates=settings.templates_dir or TEMPLATES,
        tenants=runtime.tenants,
    )
    consumers.deps = deps
    runtime.on_stopped.append(lambda: deps.renderer.shutdown(wait=True))  # after the consumers
    app = create_app(
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
    app.state.deps = deps  # the routes' (deps.AppDeps)
    return app
