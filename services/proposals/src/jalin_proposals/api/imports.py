"""Legacy import of a region's existing agreements (``docs/import.md``).

The upload is read with a bound: a body larger than ``max_upload_bytes`` (plus the
multipart envelope) is refused with 413 as soon as it passes the bound, before it is
parsed. Reading and checking the file (:mod:`jalin_proposals.imports`) run in a worker
thread; the rows are then stored by :func:`jalin_proposals.imports.store`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import date
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from jalin_kit.auth import CurrentPrincipal
from jalin_kit.db import utcnow
from jalin_kit.http import Runtime
from jalin_kit.openapi import ValidationErrorBody, error, file_too_large
from jalin_kit.tenants import TenantInfo
from pydantic import Field as PydField
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from jalin_proposals import access, imports
from jalin_proposals.api.common import actor_of
from jalin_proposals.settings import ProposalsSettings

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/imports", tags=["imports"])

MULTIPART_ENVELOPE = 64 * 1024
"""What the multipart framing may add to the file's own size."""

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportRefused(ValidationErrorBody):
    """422 of the import: the request's fields, or a file that cannot be imported at all."""

    missing_columns: list[str] = PydField(default_factory=list, description="Required columns the file lacks.")


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                # The formats read, as the file part's media types (the content decides, not the part's header).
                "encoding": {"file": {"contentType": f"text/csv, {XLSX_MEDIA_TYPE}"}},
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The register: CSV (UTF-8, comma or semicolon) or XLSX (first sheet).",
                        }
                    },
                }
            }
        },
    }
}


class _TooLarge(Exception):
    pass


async def _bounded(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge
        yield chunk


def _too_large(limit: int) -> HTTPException:
    size = f"{limit / (1024 * 1024):.1f} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return HTTPException(413, f"the file is larger than the import's limit of {size}: split the register")


async def read_upload(request: Request, limit: int) -> tuple[str | None, bytes]:
    """The multipart field ``file``: its name and bytes, reading at most ``limit`` bytes of it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise HTTPException(415, "send the file as multipart/form-data, in the field 'file'")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_ENVELOPE:
        raise _too_large(limit)
    parser = MultiPartParser(
        request.headers, _bounded(request.stream(), limit + MULTIPART_ENVELOPE), max_files=1, max_fields=5,
        max_part_size=64 * 1024,
    )
    try:
        form = await parser.parse()
    except _TooLarge:
        raise _too_large(limit) from None
    except MultiPartException as exc:
        raise HTTPException(400, exc.message) from exc
    try:
        unknown = sorted(set(form.keys()) - {"file"})
        if unknown:
            raise HTTPException(422, f"unknown multipart field(s) {', '.join(unknown)}: send the file alone, in the field 'file'")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "no file: send it in the multipart field 'file'")
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise _too_large(limit)
        return upload.filename, data
    finally:
        await form.close()


def _settings(runtime: Runtime) -> ProposalsSettings:
    settings = runtime.settings
    assert isinstance(settings, ProposalsSettings)
    return settings


def _read_and_check(data: bytes, name: str | None, tenant: TenantInfo, today: date,
                    is_region: Callable[[str], bool]) -> tuple[imports.Table, imports.Validation]:
    table = imports.read_table(data, name)
    return table, imports.validate(table, tenant, today, is_region)


@router.post(
    "/agreements",
    response_model=imports.ImportReport,
    openapi_extra=UPLOAD_BODY,
    response_model_exclude_none=True,
    responses={
        400: error("The multipart body could not be parsed (or has more parts than an import takes)."),
        **file_too_large("file"),
        415: error("Not a multipart body, or a file that is neither CSV (UTF-8) nor XLSX."),
        422: error("No file, an unknown field, or a file that cannot be imported at all (a required column "
                   "missing, more than 5,000 rows, an unreadable sheet). Bad rows are reported with 200.", ImportRefused),
    },
)
async def import_agreements(
    request: Request,
    principal: CurrentPrincipal,
    runtime: Runtime,
    dry_run: Annotated[bool, Query(description="Check the file and report, import nothing.")] = False,
) -> imports.ImportReport | JSONResponse:
    """Import existing agreements from a legacy register (CSV or XLSX, multipart field ``file``).

    The answer is a report: 200 even when rows are bad (each bad cell listed with its row and
    column). Rows whose ``nomor`` this region already imported are counted, not added again.
    The whole file is refused for an unknown format (415), a missing required column or more
    than 5,000 rows (422), or a size above the limit (413).
    """
    access.require("agreement.import", principal)
    settings = _settings(runtime)
    name, data = await read_upload(request, settings.max_upload_bytes)
    file_name = imports.safe_file_name(name)
    tenant = runtime.tenants.get(principal.tenant_id)
    today = settings.today or utcnow().date()
    try:
        table, checked = await run_in_threadpool(_read_and_check, data, name, tenant, today, runtime.tenants.is_active)
    except imports.FileRefused as exc:
        content: dict[str, Any] = {"detail": str(exc)}
        if exc.missing:
            content["missing_columns"] = exc.missing
        return JSONResponse(status_code=exc.status, content=content)
    report = imports.ImportReport(
        file=file_name, format=table.format, dry_run=dry_run, rows=len(table.rows), imported=0, already_imported=0,
        would_import=None, bad_rows=checked.bad_rows, errors=checked.errors, ignored_columns=table.ignored,
    )
    if dry_run:
        known = await imports.existing_keys(runtime.db, tenant.id, [r.key for r in checked.valid])
        report.already_imported = sum(1 for r in checked.valid if r.key in known)
        report.would_import = len(checked.valid) - report.already_imported
        return report
    stored = await imports.store(runtime.db, tenant, actor_of(principal), checked.valid, file_name=file_name, today=today)
    report.imported, report.already_imported = stored.imported, stored.already_imported
    log.info("agreements.imported", tenant=tenant.id, file=file_name, rows=report.rows, imported=stored.imported,
             already_imported=stored.already_imported, bad_rows=report.bad_rows)
    return report


@router.get("/agreements/template.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "Header row and one example row."}})
async def import_template(
    principal: CurrentPrincipal,
    runtime: Runtime,
    delimiter: Annotated[Literal["comma", "semicolon"], Query(
        description="semicolon suits Excel with Indonesian regional settings")] = "comma",
) -> Response:
    """A CSV to fill in: the columns of the import and one example row (UTF-8 with BOM, for Excel)."""
    access.require("agreement.import", principal)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if delimiter == "semicolon" else ",", lineterminator="\r\n")
    writer.writerows(imports.template_rows(runtime.tenants.get(principal.tenant_id)))
    return Response(
        content="\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="jalin-impor-perjanjian.csv"'},
    )
