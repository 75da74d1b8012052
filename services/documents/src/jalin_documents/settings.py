from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from jalin_kit.settings import ServiceSettings
from pydantic import Field


class DocumentsSettings(ServiceSettings):
    """Environment: ``JALIN_DOCUMENTS_*``, falling back to ``JALIN_*``."""

    service_name: ClassVar[str] = "documents"
    default_port: ClassVar[int] = 8102

    blob_root: Path | None = None  # default: <data_dir>/blobs/documents
    templates_dir: Path | None = None  # default: the service's templates/
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Largest attachment accepted (bytes).")

    def blob_path(self) -> Path:
        return (self.blob_root or self.blob_dir).resolve()
