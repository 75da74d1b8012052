"""The ProposalApproved handler through the consumer pipeline (inbox, handler, outbox) on a real DB."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import docx
import pytest
from jalin_documents.app import TEMPLATES
from jalin_documents.handlers import build_consumers
from jalin_documents.models import Document
from jalin_documents.render import DOCX_MEDIA_TYPE
from jalin_kit.events import DocumentGenerated, Party, ProposalApproved
from jalin_kit.inbox import ProcessedEvent
from jalin_kit.outbox import OutboxMessage
from jalin_kit.testing import envelope_for
from sqlmodel import select

from services.documents.tests.conftest import Pipeline, approval

CONSUMER = "documents-proposal-approved"


async def test_handler_is_registered_for_proposal_approved() -> None:
    reg = build_consumers().registrations[CONSUMER]
    assert reg.event_cls is ProposalApproved
    assert ProposalApproved.subject_pattern() == "jalin.*.proposal.approved"


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_approval_stores_one_document_whose_sha256_matches_the_blob(pipeline: Pipeline) -> None:
    event = approval("p-1")
    envelope = envelope_for(event)
    assert await pipeline.process(envelope, event) is True

    docs = await pipeline.rows(Document)
    assert len(docs) == 1
    doc = docs[0]
    assert (doc.tenant_id, doc.proposal_id, doc.kind, doc.version) == ("sumbar", "p-1", "kb", 1)
    assert doc.media_type == DOCX_MEDIA_TYPE
    assert doc.source_event_id == envelope.id
    assert doc.filename == "kesepakatan-bersama-jalan-jembatan-tahap-1-v1.docx"
    data = await pipeline.blobs.store.get("sumbar", doc.blob_key)
    assert pipeline.blob_files() == [f"sumbar/{doc.blob_key}"]
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.size == len(data)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "JALAN & JEMBATAN <TAHAP 1>" in text
    assert "24 (dua puluh empat) bulan" in text


async def test_approval_records_one_document_generated_outbox_row_in_the_same_transaction(pipeline: Pipeline) -> None:
    event = approval("p-1")
    envelope = envelope_for(event)
    await pipeline.process(envelope, event)

    [doc] = await pipeline.rows(Document)
    rows = await pipeline.rows(OutboxMessage)
    assert len(rows) == 1
    row = rows[0]
    assert row.type == "id.jalin.document.generated.v1"
    assert row.subject == "jalin.sumbar.document.generated"
    assert (row.tenant_id, row.source, row.correlation_id) == ("sumbar", "/jalin/documents", "p-1")
    assert row.sent_at is None
    generated = DocumentGenerated.model_validate_json(row.data)
    assert generated.document_id == doc.id
    assert (generated.sha256, generated.size, generated.version) == (doc.sha256, doc.size, 1)
    assert (generated.proposal_title, generated.proposer_unit) == ("Jalan & Jembatan <Tahap 1>", "dpupr")
    assert [(p.consumer, p.event_id) for p in await pipeline.rows(ProcessedEvent)] == [(CONSUMER, envelope.id)]


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_same_envelope_processed_twice_gives_one_document_one_event_one_blob(pipeline: Pipeline) -> None:
    event = approval("p-1")
    envelope = envelope_for(event)
    assert await pipeline.process(envelope, event) is True
    assert await pipeline.process(envelope, event) is False
    assert await pipeline.process(envelope_for(event, event_id=envelope.id), event) is False

    assert len(await pipeline.rows(Document)) == 1
    assert len(await pipeline.rows(OutboxMessage)) == 1
    assert len(await pipeline.rows(ProcessedEvent)) == 1
    assert len(pipeline.blob_files()) == 1  # the duplicate rendered nothing


async def test_a_distinct_approval_event_for_the_same_proposal_renders_version_2(pipeline: Pipeline) -> None:
    event = approval("p-1")
    await pipeline.process(envelope_for(event), event)
    await pipeline.process(envelope_for(event), event)
    docs = sorted(await pipeline.rows(Document), key=lambda d: d.version)
    assert [d.version for d in docs] == [1, 2]
    assert docs[0].blob_key != docs[1].blob_key
    assert len(pipeline.blob_files()) == 2
    versions = sorted(
        DocumentGenerated.model_validate_json(r.data).version for r in await pipeline.rows(OutboxMessage)
    )
    assert versions == [1, 2]


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_documents_are_scoped_to_the_tenant_of_the_event(pipeline: Pipeline) -> None:
    sumbar, kukar = (
        approval("p-1", partner=Party(name="PT Mitra Jalan")),  # not shared: the partner is no tenant
        approval("p-2", tenant="kukar", proposer=Party(name="Kukar", tenant="kukar")),
    )
    await pipeline.process(envelope_for(sumbar), sumbar)
    await pipeline.process(envelope_for(kukar), kukar)
    async with pipeline.db.tenant_session("kukar") as s:
        seen = (await s.exec(select(Document))).all()
    assert [(d.proposal_id, d.tenant_id) for d in seen] == [("p-2", "kukar")]
    [kukar_doc] = seen
    assert f"kukar/{kukar_doc.blob_key}" in pipeline.blob_files()
    assert {r.subject for r in await pipeline.rows(OutboxMessage)} == {
        "jalin.sumbar.document.generated",
        "jalin.kukar.document.generated",
    }


async def test_payload_tenant_differing_from_envelope_tenant_is_refused_and_writes_nothing(pipeline: Pipeline) -> None:
    event = approval("p-1", tenant="sumbar")
    with pytest.raises(ValueError, match="differs from ce-tenantid"):
        await pipeline.process(envelope_for(event, tenant="kukar"), event)
    assert await pipeline.rows(Document) == []
    assert await pipeline.rows(OutboxMessage) == []
    assert await pipeline.rows(ProcessedEvent) == []
    assert pipeline.blob_files() == []


async def test_failed_render_leaves_no_inbox_row_so_a_redelivery_succeeds(pipeline: Pipeline, tmp_path: Path) -> None:
    event = approval("p-1")
    envelope = envelope_for(event)
    without_templates = pipeline.rebuilt(templates=tmp_path / "no-templates-here")
    with pytest.raises(Exception):  # noqa: B017 - whatever docxtpl raises for a missing file
        await without_templates.process(without_templates.registrations[CONSUMER], envelope, event)
    assert await pipeline.rows(ProcessedEvent) == []
    assert await pipeline.rows(Document) == []
    assert await pipeline.rows(OutboxMessage) == []

    assert pipeline.deps.templates == TEMPLATES
    assert await pipeline.process(envelope, event) is True
    assert len(await pipeline.rows(Document)) == 1
    assert len(await pipeline.rows(OutboxMessage)) == 1
