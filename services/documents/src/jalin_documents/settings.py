from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from jalin_kit.settings import ServiceSettings


class DocumentsSettings(ServiceSettings):
    """Environment: ``JALIN_DOCUMENTS_*``, falling back to ``JALIN_*``."""

    service_name: ClassVar[str] = "documents"
    default_port: ClassVar[int] = 8102

    blob_root: Path | None = None  # default: <data_dir>/blobs/documents
    templates_dir: Path | None = None  # default: the service's templates/

    def blob_path(self) -> Path:
        return (self.blob_root or self.blob_dir).resolve()
