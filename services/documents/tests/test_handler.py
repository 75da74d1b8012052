"""The ProposalApproved handler through the consumer pipeline (inbox, handler, outbox) on a real DB."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docx
import pytest
from jalin_documents.app import TEMPLATES
from jalin_documents.handlers import consumers, deps
from jalin_documents.models import Document
from jalin_documents.render import DOCX_MEDIA_TYPE
from jalin_documents.settings import DocumentsSettings
from jalin_kit.consumers import Registration
from jalin_kit.db import Database
from jalin_kit.events import CloudEvent, DocumentGenerated, Party, ProposalApproved
from jalin_kit.inbox import ProcessedEvent
from jalin_kit.outbox import OutboxMessage
from jalin_kit.tenants import DEMO_TENANTS, TenantDirectory
from sqlmodel import SQLModel, select

if TYPE_CHECKING:
    from conftest import Blobs  # this folder's conftest.py: the local folder, or S3 on moto

TABLES = [
    SQLModel.metadata.tables[name]
    for name in ("documents", "attachments", "cooperation_parties", "outbox", "processed_events", "dead_letters")
]
CONSUMER = "documents-proposal-approved"


def approval(proposal_id: str, tenant: str = "sumbar", **changes: Any) -> ProposalApproved:
    fields: dict[str, Any] = {
        "proposal_id": proposal_id,
        "tenant": tenant,
        "title": "Jalan & Jembatan <Tahap 1>",
        "kind": "ksdd",
        "proposer": Party(name="Pemerintah Provinsi Sumatera Barat", tenant=tenant),
        "proposer_unit": "dpupr",
        "partner": Party(name="Pemerintah Kabupaten Kutai Kartanegara", tenant="kukar"),
        "objective": "Meningkatkan konektivitas antarwilayah.",
        "scope": "Pembangunan jalan penghubung.",
        "term_months": 24,
        "financing": "APBD masing-masing pihak.",
        "actor": "kerja-sama-1",
        "occurred_at": datetime(2026, 11, 23, tzinfo=UTC),
        "term_start": date(2026, 11, 23),
        "term_end": date(2028, 11, 23),
    }
    fields.update(changes)
    return ProposalApproved(**fields)


def envelope_for(
    event: ProposalApproved, event_id: str | None = None, tenant: str | None = None
) -> CloudEvent:
    tenant = tenant or event.tenant
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source="/jalin/proposals",
        type=ProposalApproved.ce_type(),
        subject=f"jalin.{tenant}.proposal.approved",
        tenant_id=tenant,
        correlation_id=event.proposal_id,
    )


@dataclass
class Env:
    db: Database
    reg: Registration
    blobs: Blobs

    async def process(self, envelope: CloudEvent, event: ProposalApproved) -> bool:
        return await consumers.process(self.reg, envelope, event)

    async def rows(self, model: Any) -> list[Any]:
        async with self.db.system_session() as s:
            return list((await s.exec(select(model))).all())

    def blob_files(self) -> list[str]:
        """Every blob in the store, as ``<tenant>/<key>``."""
        return self.blobs.names()


@pytest.fixture
async def env(database_url: str, tmp_path: Path, blobs: Blobs) -> AsyncIterator[Env]:
    """On the local folder; on S3 too where a test parametrizes ``blob_store_kind``."""
    db = Database(database_url)
    await db.create_all(TABLES)
    settings = DocumentsSettings(database_url=database_url, data_dir=tmp_path, environment="development",
                                 **blobs.settings)
    deps.blobs = blobs.store
    deps.templates = TEMPLATES
    deps.tenants = TenantDirectory(dict(DEMO_TENANTS))
    consumers.bind(db, settings)
    try:
        yield Env(db, consumers.registrations[CONSUMER], blobs)
    finally:
        await db.dispose()


async def test_handler_is_registered_for_proposal_approved() -> None:
    reg = consumers.registrations[CONSUMER]
    assert reg.event_cls is ProposalApproved
    assert ProposalApproved.subject_pattern() == "jalin.*.proposal.approved"


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_approval_stores_one_document_whose_sha256_matches_the_blob(env: Env) -> None:
    event = approval("p-1")
    envelope = envelope_for(event)
    assert await env.process(envelope, event) is True

    docs = await env.rows(Document)
    assert len(docs) == 1
    doc = docs[0]
    assert (doc.tenant_id, doc.proposal_id, doc.kind, doc.version) == ("sumbar", "p-1", "kb", 1)
    assert doc.media_type == DOCX_MEDIA_TYPE
    assert doc.source_event_id == envelope.id
    assert doc.filename == "kesepakatan-bersama-jalan-jembatan-tahap-1-v1.docx"
    data = await env.blobs.store.get("sumbar", doc.blob_key)
    assert env.blob_files() == [f"sumbar/{doc.blob_key}"]
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.size == len(data)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "JALAN & JEMBATAN <TAHAP 1>" in text
    assert "24 (dua puluh empat) bulan" in text


async def test_approval_records_one_document_generated_outbox_row_in_the_same_transaction(env: Env) -> None:
    event = approval("p-1")
    envelope = envelope_for(event)
    await env.process(envelope, event)

    [doc] = await env.rows(Document)
    rows = await env.rows(OutboxMessage)
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
    assert [(p.consumer, p.event_id) for p in await env.rows(ProcessedEvent)] == [(CONSUMER, envelope.id)]


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_same_envelope_processed_twice_gives_one_document_one_event_one_blob(env: Env) -> None:
    event = approval("p-1")
    envelope = envelope_for(event)
    assert await env.process(envelope, event) is True
    assert await env.process(envelope, event) is False
    assert await env.process(envelope_for(event, event_id=envelope.id), event) is False

    assert len(await env.rows(Document)) == 1
    assert len(await env.rows(OutboxMessage)) == 1
    assert len(await env.rows(ProcessedEvent)) == 1
    assert len(env.blob_files()) == 1  # the duplicate rendered nothing


async def test_a_distinct_approval_event_for_the_same_proposal_renders_version_2(env: Env) -> None:
    event = approval("p-1")
    await env.process(envelope_for(event), event)
    await env.process(envelope_for(event), event)
    docs = sorted(await env.rows(Document), key=lambda d: d.version)
    assert [d.version for d in docs] == [1, 2]
    assert docs[0].blob_key != docs[1].blob_key
    assert len(env.blob_files()) == 2
    versions = sorted(
        DocumentGenerated.model_validate_json(r.data).version for r in await env.rows(OutboxMessage)
    )
    assert versions == [1, 2]


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_documents_are_scoped_to_the_tenant_of_the_event(env: Env) -> None:
    sumbar, kukar = (
        approval("p-1", partner=Party(name="PT Mitra Jalan")),  # not shared: the partner is no tenant
        approval("p-2", tenant="kukar", proposer=Party(name="Kukar", tenant="kukar")),
    )
    await env.process(envelope_for(sumbar), sumbar)
    await env.process(envelope_for(kukar), kukar)
    async with env.db.tenant_session("kukar") as s:
        seen = (await s.exec(select(Document))).all()
    assert [(d.proposal_id, d.tenant_id) for d in seen] == [("p-2", "kukar")]
    [kukar_doc] = seen
    assert f"kukar/{kukar_doc.blob_key}" in env.blob_files()
    assert {r.subject for r in await env.rows(OutboxMessage)} == {
        "jalin.sumbar.document.generated",
        "jalin.kukar.document.generated",
    }


async def test_payload_tenant_differing_from_envelope_tenant_is_refused_and_writes_nothing(env: Env) -> None:
    event = approval("p-1", tenant="sumbar")
    with pytest.raises(ValueError, match="differs from ce-tenantid"):
        await env.process(envelope_for(event, tenant="kukar"), event)
    assert await env.rows(Document) == []
    assert await env.rows(OutboxMessage) == []
    assert await env.rows(ProcessedEvent) == []
    assert env.blob_files() == []


async def test_failed_render_leaves_no_inbox_row_so_a_redelivery_succeeds(env: Env, tmp_path: Path) -> None:
    event = approval("p-1")
    envelope = envelope_for(event)
    deps.templates = tmp_path / "no-templates-here"
    with pytest.raises(Exception):  # noqa: B017 - whatever docxtpl raises for a missing file
        await env.process(envelope, event)
    assert await env.rows(ProcessedEvent) == []
    assert await env.rows(Document) == []
    assert await env.rows(OutboxMessage) == []

    deps.templates = TEMPLATES
    assert await env.process(envelope, event) is True
    assert len(await env.rows(Document)) == 1
    assert len(await env.rows(OutboxMessage)) == 1
