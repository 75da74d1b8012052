"""What an upload must be before anything is stored: a bounded body from a caller allowed
to upload, a file whose bytes (not its name or declared type) say PDF, DOCX, PNG or JPEG,
and a file name safe to hand back in a Content-Disposition header."""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from jalin_kit.auth import current_principal
from starlette.types import Message

from jalin_documents import access
from jalin_documents.render import DOCX_MEDIA_TYPE

MULTIPART_ALLOWANCE = 64 * 1024
"""Bytes of a request body beyond the file itself: boundaries, part headers, the other fields."""


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the file is larger than the upload limit of {megabytes(limit)}")


_bearer = HTTPBearer(auto_error=False)


class UploadRoute(APIRoute):
    """A route whose multipart body is read only from a caller allowed to upload, and only
    up to the configured limit: FastAPI parses a form before it solves any dependency, so
    without this an anonymous client could make the service spool any amount to disk.
    A declared Content-Length over the limit is refused before a byte is read; a chunked
    body is counted as it streams and refused when it passes the limit."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            principal = await current_principal(request, await _bearer(request))
            access.require("attachment.upload", principal)
            limit = request.app.state.runtime.settings.max_upload_bytes
            ceiling = limit + MULTIPART_ALLOWANCE
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > ceiling:
                raise too_large(limit)
            received = 0
            receive = request.receive

            async def counting() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > ceiling:
                        raise too_large(limit)
                return message

            return await handler(Request(request.scope, counting))

        return bounded


@dataclass(frozen=True)
class FileType:
    media_type: str
    extensions: tuple[str, ...]
    label: str

    @property
    def is_image_or_pdf(self) -> bool:
        return self.label != "DOCX"


PDF = FileType("application/pdf", (".pdf",), "PDF")
DOCX = FileType(DOCX_MEDIA_TYPE, (".docx",), "DOCX")
PNG = FileType("image/png", (".png",), "PNG")
JPEG = FileType("image/jpeg", (".jpg", ".jpeg"), "JPEG")
ALLOWED = (PDF, DOCX, PNG, JPEG)
ALLOWED_LABELS = "PDF, DOCX, PNG or JPEG"


class UnsupportedFile(ValueError):
    """The content is none of the allowed types; the message says why."""


def sniff(f: BinaryIO) -> FileType:
    """The file's type from its first bytes (and, for a zip, its entries)."""
    f.seek(0)
    head = f.read(8)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as z:  # reads the central directory only: nothing is extracted
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UnsupportedFile(f"the file is a damaged zip archive, not a {ALLOWED_LABELS} file") from exc
        if "word/document.xml" not in names:
            raise UnsupportedFile(f"the file is a zip archive but not a Word document; allowed: {ALLOWED_LABELS}")
        if "word/vbaProject.bin" in names:
            raise UnsupportedFile("macro-enabled Word documents are not accepted; save it as a plain .docx")
        return DOCX
    raise UnsupportedFile(
        f"the file's content is not {ALLOWED_LABELS} (the type is read from the bytes, not the name)"
    )


def sha256_and_size(f: BinaryIO) -> tuple[str, int]:
    f.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := f.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def inspect(f: BinaryIO) -> tuple[FileType, str, int]:
    """Type, SHA-256 and size of an uploaded file (blocking: run it in a thread)."""
    file_type = sniff(f)
    digest, size = sha256_and_size(f)
    return file_type, digest, size


def safe_filename(name: str | None, file_type: FileType, fallback: str = "attachment") -> str:
    """The client's file name without directories, control characters or leading dots,
    at most 200 characters, ending in an extension that matches the content."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    base = " ".join(base.split()).lstrip(".").strip()[:200] or fallback
    stem, dot, ext = base.rpartition(".")
    if not (dot and stem and f".{ext.lower()}" in file_type.extensions):
        base = f"{base}{file_type.extensions[0]}"
    return base


def clean_text(text: str | None) -> str | None:
    """A one-line text without control characters (PostgreSQL refuses NUL), or None if blank."""
    if text is None:
        return None
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t\n\r")
    return " ".join(kept.split()) or None


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 one (RFC 6266)."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
