"""HTTP routes under /v1/documents."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from jalin_kit.auth import CurrentPrincipal
from jalin_kit.db import get_scoped
from jalin_kit.http import IdQuery, ObjectId, TenantReadSession, not_found
from jalin_kit.openapi import GONE, NOT_FOUND
from sqlmodel import col, select

from jalin_documents import access
from jalin_documents.blobs.response import blob_response
from jalin_documents.deps import AppDeps
from jalin_documents.models import Document, DocumentPublic
from jalin_documents.render import DOCX_MEDIA_TYPE

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.get("", response_model=list[DocumentPublic])
async def list_documents(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    proposal_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DocumentPublic]:
    access.require("document.read", principal)
    query = select(Document).order_by(col(Document.created_at).desc()).limit(limit)
    if proposal_id is not None:
        query = query.where(Document.proposal_id == proposal_id)
    return [DocumentPublic.of(d) for d in (await session.exec(query)).all()]


@router.get("/{document_id}", response_model=DocumentPublic, responses=NOT_FOUND)
async def get_document(document_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession) -> DocumentPublic:
    access.require("document.read", principal)
    document = await get_scoped(session, Document, document_id)
    if document is None:
        raise not_found("document")
    return DocumentPublic.of(document)


@router.get(
    "/{document_id}/content",
    response_class=Response,
    responses={200: {"description": "The file (its media type is the document's: DOCX for KB drafts).",
                     "content": {DOCX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
               **NOT_FOUND, **GONE},
)
async def document_content(
    document_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession, deps: AppDeps
) -> Response:
    """The file itself (DOCX for drafts)."""
    access.require("document.read", principal)
    document = await get_scoped(session, Document, document_id)
    if document is None:
        raise not_found("document")
    return await blob_response(
        deps.blobs,
        document.tenant_id,
        document.blob_key,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
            "ETag": f'"{document.sha256}"',
        },
        missing="the document's file is missing from the blob store",
    )
