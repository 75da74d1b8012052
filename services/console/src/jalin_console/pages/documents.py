"""Dokumen: the region's generated documents and attachments; a cooperation's documents
(versions with SHA-256, download) and its attachments, with the upload (limits shown before
it) of a KAK, a study, a letter, a DPRD decision or the signed scan that locks a document."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile
from starlette.responses import Response

from jalin_console.backend import Refused
from jalin_console.files import passthrough, safe_name
from jalin_console.i18n import Translator
from jalin_console.web import CurrentUser, User, backend_of, object_id, render, require_can, translator_of

router = APIRouter()
LIST_LIMIT = 100
TITLE_MAX = 200


@router.get("/dokumen")
async def documents_page(request: Request, user: CurrentUser) -> Response:
    backend = backend_of(request)
    documents, attachments = await asyncio.gather(
        backend.get("documents", "/v1/documents", user.token, limit=LIST_LIMIT),
        backend.get("documents", "/v1/attachments", user.token, limit=LIST_LIMIT),
    )
    return render(request, "documents.html", documents=documents, attachments=attachments)


async def _cooperation(request: Request, user: User, proposal_id: str) -> dict[str, Any]:
    backend = backend_of(request)
    proposal, documents, attachments, limits = await asyncio.gather(
        backend.get("proposals", f"/v1/proposals/{proposal_id}", user.token),
        backend.get("documents", "/v1/documents", user.token, proposal_id=proposal_id, limit=500),
        backend.get("documents", "/v1/attachments", user.token, proposal_id=proposal_id, limit=500),
        backend.get("documents", "/v1/attachment-limits", user.token),
    )
    return {"p": proposal, "documents": documents, "attachments": attachments, "limits": limits,
            "values": {}, "problems": []}


@router.get("/usulan/{proposal_id}/dokumen")
async def cooperation_documents(request: Request, user: CurrentUser, proposal_id: str, ok: str = "") -> Response:
    context = await _cooperation(request, user, object_id(proposal_id))
    notice = {"uploaded": "documents.uploaded", "deleted": "documents.deleted"}.get(ok)
    return render(request, "documents_cooperation.html", notice=notice, **context)


def _problem(exc: Refused, t: Translator) -> list[str]:
    if exc.status == 413:
        return [t("documents.too_large")]
    if exc.status == 415:
        return [t("documents.unsupported")]
    if exc.status == 409:
        return [t("documents.locked_already")]
    return [t.message(str(e.get("message", ""))) for e in exc.errors] or [t.message(exc.detail)]


@router.post("/unggah")
async def upload(request: Request, user: CurrentUser) -> Response:
    """The upload form (multipart), passed on to the documents service as it came."""
    require_can(request, "attachment.upload")
    form = await request.form()
    try:  # the spooled upload is closed whatever happens
        proposal_id = object_id(str(form.get("proposal_id", "")))
        kind, title, document_id = (str(form.get(k, "")).strip() for k in ("kind", "title", "document_id"))
        file = form.get("file")
        t = translator_of(request)
        data = {"proposal_id": proposal_id, "kind": kind[:64]}
        if title:
            data["title"] = title[:TITLE_MAX]
        if document_id:
            data["document_id"] = object_id(document_id)
        problems: list[str] = []
        if not isinstance(file, UploadFile) or not file.filename:
            problems = [t("documents.no_file")]
        else:
            try:
                await backend_of(request).request(
                    "POST", "documents", "/v1/attachments", user.token, data=data,
                    files={"file": (safe_name(file.filename, "lampiran"), file.file, "application/octet-stream")},
                )
            except Refused as exc:
                problems = _problem(exc, t)
    finally:
        await form.close()
    if problems:
        context = await _cooperation(request, user, proposal_id)
        context.update(values={"kind": kind, "title": title, "document_id": document_id}, problems=problems)
        return render(request, "documents_cooperation.html", status_code=422, notice=None, **context)
    return RedirectResponse(f"/usulan/{proposal_id}/dokumen?ok=uploaded", status_code=303)


@router.post("/lampiran/{attachment_id}/hapus")
async def delete(request: Request, user: CurrentUser, attachment_id: str) -> Response:
    backend = backend_of(request)
    attachment = await backend.get("documents", f"/v1/attachments/{object_id(attachment_id)}", user.token)
    try:
        await backend.request("DELETE", "documents", f"/v1/attachments/{attachment_id}", user.token)
    except Refused as exc:
        context = await _cooperation(request, user, attachment["proposal_id"])
        context["problems"] = _problem(exc, translator_of(request))
        return render(request, "documents_cooperation.html", status_code=exc.status, notice=None, **context)
    return RedirectResponse(f"/usulan/{attachment['proposal_id']}/dokumen?ok=deleted", status_code=303)


@router.get("/dokumen/{document_id}/unduh")
async def download_document(request: Request, user: CurrentUser, document_id: str) -> Response:
    return await passthrough(backend_of(request), "documents", f"/v1/documents/{object_id(document_id)}/content",
                             user.token, "dokumen")


@router.get("/lampiran/{attachment_id}/unduh")
async def download_attachment(request: Request, user: CurrentUser, attachment_id: str) -> Response:
    return await passthrough(backend_of(request), "documents", f"/v1/attachments/{object_id(attachment_id)}/content",
                             user.token, "lampiran")
