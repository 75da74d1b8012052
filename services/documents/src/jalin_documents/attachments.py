"""HTTP routes under /v1/attachments: uploads kept per tenant, shared with the partner
region of the cooperation, and the signed scan that locks a generated document."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Form, HTTPException, Query, Response, UploadFile, status
from jalin_kit.auth import CurrentPrincipal, Principal
from jalin_kit.db import get_scoped, utcnow
from jalin_kit.events import DocumentLocked
from jalin_kit.http import OBJECT_ID, IdQuery, ObjectId, Runtime, TenantReadSession, TenantSession, not_found
from jalin_kit.openapi import CONFLICT, GONE, NOT_FOUND, UNSUPPORTED, error, file_too_large
from jalin_kit.outbox import record_event
from jalin_kit.text import Text
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_documents import access
from jalin_documents.blobs import BlobStore
from jalin_documents.blobs.response import blob_response
from jalin_documents.deps import AppDeps
from jalin_documents.models import Attachment, AttachmentKind, AttachmentPublic, Document
from jalin_documents.render import DOCX_MEDIA_TYPE
from jalin_documents.sharing import counterpart, known_proposal
from jalin_documents.uploads import (
    ALLOWED,
    ALLOWED_LABELS,
    UnsupportedFile,
    UploadRoute,
    clean_text,
    content_disposition,
    inspect,
    safe_filename,
    too_large,
)

log = structlog.get_logger(__name__)

SOURCE = "/jalin/documents"
ACCEPTED_MEDIA_TYPES = f"application/pdf, {DOCX_MEDIA_TYPE}, image/png, image/jpeg"

router = APIRouter(prefix="/v1/attachments", tags=["attachments"])
limits_router = APIRouter(prefix="/v1/attachment-limits", tags=["attachments"])
upload_router = APIRouter(prefix="/v1/attachments", tags=["attachments"], route_class=UploadRoute)


async def locked_ids(session: AsyncSession, attachments: Sequence[Attachment]) -> set[str]:
    """The attachments that can no longer be deleted: signed scans, and whatever was uploaded
    before a document of the same proposal was locked (as far as ``session`` sees it)."""
    proposals = {a.proposal_id for a in attachments}
    locks: dict[str, list[datetime]] = {}
    if proposals:
        query = select(Document).where(col(Document.proposal_id).in_(proposals), col(Document.locked_at).is_not(None))
        for d in (await session.exec(query)).all():
            assert d.locked_at is not None
            locks.setdefault(d.proposal_id, []).append(d.locked_at)
    return {
        a.id
        for a in attachments
        if a.kind == AttachmentKind.SIGNED_SCAN or any(a.created_at <= t for t in locks.get(a.proposal_id, ()))
    }


async def public(session: AsyncSession, attachments: Sequence[Attachment], principal: Principal) -> list[AttachmentPublic]:
    locked = await locked_ids(session, attachments)
    may_delete = access.allowed("attachment.delete", principal)
    return [AttachmentPublic.of(a, a.id in locked, may_delete and a.tenant_id == principal.tenant_id) for a in attachments]


def _signed_scan_rules(schema: dict[str, Any]) -> None:
    """A signed scan names the document it locks (and is a PDF or an image: its bytes say, 415)."""
    schema["allOf"] = [{
        "if": {"properties": {"kind": {"const": AttachmentKind.SIGNED_SCAN.value}}, "required": ["kind"]},
        "then": {"required": ["document_id"], "properties": {"document_id": {"type": "string"}}},
    }]


class UploadForm(BaseModel):
    """The multipart form of an upload. A ``signed_scan`` needs ``document_id``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_signed_scan_rules)

    proposal_id: str = PydField(pattern=OBJECT_ID.schema, description="The proposal the file belongs to.")
    kind: AttachmentKind
    file: UploadFile = PydField(description=f"{ALLOWED_LABELS}; the type is read from the content.")
    document_id: str | None = PydField(
        None, pattern=OBJECT_ID.schema, description="The generated document (required for a signed_scan, which locks it)."
    )
    title: Text | None = PydField(None, max_length=200)


@upload_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentPublic,
    responses={
        **NOT_FOUND,
        409: error("The document is already locked by a signed scan."),
        **file_too_large("file"),
        **UNSUPPORTED,
    },
    # The accepted formats, as the file part's media types (the content decides, not the part's header).
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {
        "encoding": {"file": {"contentType": ACCEPTED_MEDIA_TYPES}}}}}},
)
async def upload_attachment(
    principal: CurrentPrincipal,
    runtime: Runtime,
    reader: TenantReadSession,
    session: TenantSession,
    deps: AppDeps,
    form: Annotated[UploadForm, Form(media_type="multipart/form-data")],
) -> AttachmentPublic:
    """Upload a KAK, feasibility study, letter, DPRD decision, signed scan or other file.

    A ``signed_scan`` of a generated document (KB, PKS) locks that document: no new version
    of it is generated, and the proposal's earlier attachments can no longer be deleted.
    """
    access.require("attachment.upload", principal)
    proposal_id, kind, file, document_id, title = form.proposal_id, form.kind, form.file, form.document_id, form.title
    # Files only for a proposal this service knows and the caller sees (its unit's, for an OPD).
    party = await known_proposal(reader, proposal_id)
    if party is None:
        raise not_found("proposal")
    limit = runtime.settings.max_upload_bytes  # type: ignore[attr-defined]
    try:
        file_type, sha256, size = await asyncio.to_thread(inspect, file.file)
    except UnsupportedFile as exc:
        if file.size == 0:
            raise HTTPException(422, "the file is empty") from exc
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from exc
    if size > limit:
        raise too_large(limit)
    if kind is AttachmentKind.SIGNED_SCAN and not file_type.is_image_or_pdf:
        raise HTTPException(415, "a signed scan must be a PDF, PNG or JPEG")

    document: Document | None = None
    if kind is AttachmentKind.SIGNED_SCAN and document_id is None:  # the schema's if/then, in words
        raise HTTPException(422, "a signed_scan needs document_id: the generated document whose signed text it is")
    if document_id is not None:
        document = await get_scoped(reader, Document, document_id)
        # Only the owner locks its document; to anyone else it is a foreign id.
        if document is None or (kind is AttachmentKind.SIGNED_SCAN and document.tenant_id != principal.tenant_id):
            raise not_found("document")
        if document.proposal_id != proposal_id:
            raise HTTPException(422, f"document {document_id} belongs to another proposal")
        if kind is AttachmentKind.SIGNED_SCAN and document.locked_at is not None:
            raise HTTPException(409, f"document {document_id} is already locked by a signed scan")

    attachment = Attachment(
        tenant_id=principal.tenant_id,
        shared_with=await counterpart(reader, proposal_id, principal.tenant_id),
        proposal_id=proposal_id,
        unit=party.unit if party.tenant_id == principal.tenant_id else None,  # the partner's own uploads: its section's
        document_id=document_id,
        kind=kind.value,
        title=clean_text(title),
        filename=safe_filename(file.filename, file_type, fallback=kind.value),
        media_type=file_type.media_type,
        size=size,
        sha256=sha256,
        blob_key="",
        uploaded_by=principal.user_id,
    )
    attachment.blob_key = f"{proposal_id}/att-{attachment.id}{file_type.extensions[0]}"
    await deps.blobs.put_file(attachment.tenant_id, attachment.blob_key, file.file)
    try:
        session.add(attachment)
        if document is not None and kind is AttachmentKind.SIGNED_SCAN:
            await lock(session, document, attachment)
        await session.commit()
    except BaseException:
        await session.rollback()
        await discard(deps.blobs, attachment)  # nothing half-stored
        raise
    log.info("attachment.uploaded", attachment_id=attachment.id, kind=attachment.kind, size=size)
    return AttachmentPublic.of(attachment, locked=kind is AttachmentKind.SIGNED_SCAN,
                               deletable=access.allowed("attachment.delete", principal))


async def discard(blobs: BlobStore, attachment: Attachment) -> None:
    """Remove an attachment's file; a failure (the store unreachable) leaves an orphan, logged."""
    try:
        await blobs.delete(attachment.tenant_id, attachment.blob_key)
    except Exception:  # noqa: BLE001 - the row's fate is decided; a stray file is harmless
        log.warning("attachment.blob_not_deleted", attachment_id=attachment.id, exc_info=True)


async def lock(session: AsyncSession, document: Document, scan: Attachment) -> None:
    """Lock the document with its signed scan and record ``document.locked``, in the
    caller's transaction. 409 when another scan locked it first."""
    now = utcnow()
    result = await session.exec(
        update(Document)
        .where(col(Document.id) == document.id, col(Document.locked_at).is_(None))
        .values(locked_at=now, locked_by=scan.uploaded_by, locked_by_attachment_id=scan.id)
    )
    if result.rowcount != 1:
        raise HTTPException(409, f"document {document.id} is already locked by a signed scan")
    record_event(
        session,
        DocumentLocked(
            document_id=document.id,
            tenant=document.tenant_id,
            proposal_id=document.proposal_id,
            kind=document.kind,
            version=document.version,
            attachment_id=scan.id,
            scan_sha256=scan.sha256,
            scan_media_type=scan.media_type,
            partner_tenant=document.shared_with,
            locked_by=scan.uploaded_by,
            locked_at=now,
        ),
        tenant_id=document.tenant_id,
        source=SOURCE,
        correlation_id=document.proposal_id,
    )


class UploadLimits(BaseModel):
    """What an upload must be, for a client to say so before the upload."""

    max_bytes: int = PydField(description="The largest file accepted (bytes).")
    media_types: list[str] = PydField(description="The accepted types, read from the content.")
    extensions: list[str] = PydField(description="Their usual file name extensions.")
    kinds: list[AttachmentKind]
    signed_scan_media_types: list[str] = PydField(description="A signed scan: a PDF or an image.")


@limits_router.get("", response_model=UploadLimits)
async def upload_limits(principal: CurrentPrincipal, runtime: Runtime) -> UploadLimits:
    """The size limit, accepted types and kinds of an upload (``POST /v1/attachments``)."""
    access.require("attachment.read", principal)
    return UploadLimits(
        max_bytes=runtime.settings.max_upload_bytes,  # type: ignore[attr-defined]
        media_types=[t.media_type for t in ALLOWED],
        extensions=[e for t in ALLOWED for e in t.extensions],
        kinds=list(AttachmentKind),
        signed_scan_media_types=[t.media_type for t in ALLOWED if t.is_image_or_pdf],
    )


@router.get("", response_model=list[AttachmentPublic])
async def list_attachments(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    proposal_id: IdQuery = None,
    kind: AttachmentKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AttachmentPublic]:
    """The attachments the caller's region uploaded or that the partner region shares with it."""
    access.require("attachment.read", principal)
    query = select(Attachment).order_by(col(Attachment.created_at).desc(), col(Attachment.id)).limit(limit)
    if proposal_id is not None:
        query = query.where(Attachment.proposal_id == proposal_id)
    if kind is not None:
        query = query.where(Attachment.kind == kind.value)
    return await public(session, (await session.exec(query)).all(), principal)


@router.get("/{attachment_id}", response_model=AttachmentPublic, responses=NOT_FOUND)
async def get_attachment(attachment_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession) -> AttachmentPublic:
    access.require("attachment.read", principal)
    attachment = await get_scoped(session, Attachment, attachment_id)
    if attachment is None:
        raise not_found("attachment")
    return (await public(session, [attachment], principal))[0]


@router.get(
    "/{attachment_id}/content",
    response_class=Response,
    responses={200: {"description": "The file as uploaded, with its detected media type.",
                     "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                 for t in ACCEPTED_MEDIA_TYPES.split(", ")}},
               **NOT_FOUND, **GONE},
)
async def attachment_content(
    attachment_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession, deps: AppDeps
) -> Response:
    """The file as uploaded, with its detected media type."""
    access.require("attachment.read", principal)
    attachment = await get_scoped(session, Attachment, attachment_id)
    if attachment is None:
        raise not_found("attachment")
    return await blob_response(
        deps.blobs,
        attachment.tenant_id,
        attachment.blob_key,
        media_type=attachment.media_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "ETag": f'"{attachment.sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
        missing="the attachment's file is missing from the blob store",
    )


@router.delete("/{attachment_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=NOT_FOUND | CONFLICT)
async def delete_attachment(
    attachment_id: ObjectId, principal: CurrentPrincipal, session: TenantSession, deps: AppDeps
) -> Response:
    """Only the region that uploaded it, and not once it is locked or a signed scan."""
    access.require("attachment.delete", principal)
    attachment = await get_scoped(session, Attachment, attachment_id)
    if attachment is None:
        raise not_found("attachment")
    if attachment.tenant_id != principal.tenant_id:
        raise HTTPException(403, "only the region that uploaded an attachment may delete it")
    if attachment.kind == AttachmentKind.SIGNED_SCAN:
        raise HTTPException(409, "a signed scan is the record of a signature and cannot be deleted")
    if attachment.id in await locked_ids(session, [attachment]):
        raise HTTPException(409, "the attachment was uploaded before the proposal's document was signed and is kept")
    await session.delete(attachment)
    await session.commit()
    await discard(deps.blobs, attachment)  # the row is gone; an orphan file is harmless and logged
    return Response(status_code=status.HTTP_204_NO_CONTENT)
