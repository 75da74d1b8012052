"""Event handlers: an approved proposal becomes a Kesepakatan Bersama draft, shared with
the partner region when it is a tenant; a locked (signed) KB gets no new version."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from dataclasses import dataclass

import structlog
from jalin_kit.consumers import EventConsumers, EventContext
from jalin_kit.db import utcnow
from jalin_kit.events import (
    STEP_EVENTS,
    CloudEvent,
    CooperationStep,
    DocumentGenerated,
    ProposalApproved,
    ProposalDrafted,
)
from jalin_kit.tenants import follow_registry
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_documents.deps import Deps
from jalin_documents.models import Document
from jalin_documents.render import DOCX_MEDIA_TYPE, kb_context, render_docx
from jalin_documents.sharing import know_proposal, partner_tenant, record_parties

log = structlog.get_logger(__name__)

SERVICE, SOURCE = "documents", "/jalin/documents"

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "dokumen"


@dataclass(frozen=True)
class RenderedDraft:
    document_id: str
    blob_key: str
    data: bytes


async def locked_document(session: AsyncSession, proposal_id: str, kind: str) -> Document | None:
    """The signed (locked) document of this kind of the proposal, if there is one."""
    query = select(Document).where(
        Document.proposal_id == proposal_id, Document.kind == kind, col(Document.locked_at).is_not(None)
    )
    return (await session.exec(query)).first()


async def render_draft(consumers: EventConsumers, envelope: CloudEvent, event: ProposalApproved) -> RenderedDraft | None:
    """Render and store the file before the transaction opens (it takes tens of ms of CPU).
    None when the proposal's KB is already signed: nothing to render."""
    deps = Deps.of(consumers.deps)
    async with consumers.database().tenant_session(envelope.tenant_id, readonly=True) as session:
        if await locked_document(session, event.proposal_id, "kb") is not None:
            return None
    # The registry's records of both regions (a copy lagging the owner's is waited for, not guessed).
    proposer = await deps.tenants.require(event.tenant)
    partner = await deps.tenants.require(event.partner.tenant) if event.partner.tenant else None
    context = kb_context(event, proposer, partner)
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(deps.renderer, render_docx, deps.templates / "kesepakatan_bersama.docx", context)
    doc_id = str(uuid.uuid4())
    key = f"{event.proposal_id}/kb-{doc_id}.docx"
    # Written before the commit: a crash between leaves an orphan file, never a row without one.
    await deps.blobs.put(event.tenant, key, data)
    return RenderedDraft(doc_id, key, data)


async def draft_kesepakatan_bersama(ctx: EventContext, event: ProposalApproved) -> None:
    """Render the Kesepakatan Bersama (KB) draft of an approved proposal."""
    partner = partner_tenant(event)
    await record_parties(ctx.session, event.proposal_id, event.tenant, partner, event.proposer_unit)
    draft: RenderedDraft | None = ctx.prepared
    if draft is not None and await locked_document(ctx.session, event.proposal_id, "kb") is not None:
        # Signed while this draft was rendering: the file is nobody's.
        await Deps.of(ctx.deps).blobs.delete(event.tenant, draft.blob_key)
        draft = None
    if draft is None:
        log.info("document.locked_not_rendered", proposal_id=event.proposal_id, kind="kb")
        return
    latest = await ctx.session.exec(
        select(func.max(Document.version)).where(
            Document.tenant_id == event.tenant, Document.proposal_id == event.proposal_id, Document.kind == "kb"
        )
    )
    version = (latest.one() or 0) + 1
    document = Document(
        id=draft.document_id,
        tenant_id=event.tenant,
        shared_with=partner,
        proposal_id=event.proposal_id,
        unit=event.proposer_unit,
        kind="kb",
        version=version,
        filename=f"kesepakatan-bersama-{_slug(event.title)}-v{version}.docx",
        media_type=DOCX_MEDIA_TYPE,
        size=len(draft.data),
        sha256=hashlib.sha256(draft.data).hexdigest(),
        blob_key=draft.blob_key,
        source_event_id=ctx.envelope.id,
    )
    ctx.session.add(document)
    ctx.emit(
        DocumentGenerated(
            document_id=document.id,
            tenant=event.tenant,
            proposal_id=event.proposal_id,
            proposal_title=event.title,
            proposer_unit=event.proposer_unit,
            kind="kb",
            version=version,
            sha256=document.sha256,
            size=document.size,
            media_type=DOCX_MEDIA_TYPE,
            generated_at=utcnow(),
            shared_with=partner,
        )
    )


async def know_a_drafted_proposal(ctx: EventContext, event: ProposalDrafted) -> None:
    """A new proposal: files may now be attached to it, by its unit (OPD) or its region's section."""
    await know_proposal(ctx.session, event.proposal_id, event.tenant, event.proposer_unit)


async def know_an_imported_cooperation(ctx: EventContext, event: CooperationStep) -> None:
    """A cooperation entered from a legacy register: its signed scans may now be attached."""
    await know_proposal(ctx.session, event.proposal_id, event.tenant, event.proposer_unit)


async def stop_sharing_a_revised_proposal(ctx: EventContext, event: CooperationStep) -> None:
    """A revised proposal is a draft again: the former partner no longer sees its documents
    (they are shared again when it is offered again)."""
    await record_parties(ctx.session, event.proposal_id, event.tenant, None)


def build_consumers(deps: Deps | None = None) -> EventConsumers:
    """This service's event handlers, fresh for one app. ``deps`` reach them as ``ctx.deps``;
    without (None), the registrations alone: the AsyncAPI document, the list of durables."""
    consumers = EventConsumers(service=SERVICE, source=SOURCE, deps=deps)
    consumers.on(ProposalApproved, prepare=render_draft)(draft_kesepakatan_bersama)
    consumers.on(ProposalDrafted)(know_a_drafted_proposal)
    consumers.on(STEP_EVENTS[("agreement", "imported")], "agreement-imported")(know_an_imported_cooperation)
    consumers.on(STEP_EVENTS[("proposal", "revised")])(stop_sharing_a_revised_proposal)
    follow_registry(consumers)  # this service's copy of the tenant registry
    return consumers
