"""What the notifications service's tests share: the tenants and events (import the builders
from this module), ``pipeline`` (the service's consumers, built with their own dependencies,
on a fresh database) and ``service`` (the app with its lifespan on a real database and NATS,
its inbox API through httpx)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import nats
import pytest
from jalin_kit.auth import issue_dev_token
from jalin_kit.consumers import EventConsumers
from jalin_kit.db import Database
from jalin_kit.events import (
    STEP_EVENTS,
    AgreementRecord,
    CooperationStep,
    DocumentGenerated,
    EvaluationDue,
    IntegrationEvent,
    MappingReminderDue,
    Party,
    ProposalApproved,
    ProposalRejected,
    ProposalSubmitted,
)
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import DEMO_TENANTS, TenantDirectory, TenantInfo
from jalin_kit.testing import NatsServer, envelope_for, eventually, free_port
from jalin_notifications.app import build
from jalin_notifications.deps import Deps
from jalin_notifications.handlers import build_consumers
from jalin_notifications.models import Email, Message
from jalin_notifications.settings import NotificationsSettings
from sqlmodel import SQLModel, select

# -- tenants and events ---------------------------------------------------------------------

SECRET = "test-secret-for-the-notifications-handlers-0123456789"
SUMBAR, KUKAR = DEMO_TENANTS["sumbar"], DEMO_TENANTS["kukar"]
KALTIM = TenantInfo(
    id="kaltim",
    name="Pemerintah Provinsi Kalimantan Timur",
    head_title="Gubernur Kalimantan Timur",
    seat="Samarinda",
    email_domain="kaltimprov.example.id",
    cooperation_section="Biro Kerja Sama Setda Provinsi Kalimantan Timur",
    units={"dinkes": "Dinas Kesehatan", "dpupr": "Dinas Pekerjaan Umum dan Penataan Ruang"},
)
DIRECTORY = {t.id: t for t in (SUMBAR, KUKAR, KALTIM)}
KB = AgreementRecord(
    agreement_id="a-1",
    type="kb",
    number_first="120/45/KB/2026",
    number_second="415.4/12/KSD/2026",
    signed_on=date(2027, 1, 10),
    signed_place="Padang",
    signatory_name="Mahyeldi",
    signatory_title="Gubernur Sumatera Barat",
    signed_as="kepala_daerah",
)
T = TypeVar("T")
TITLE = "Jalan & Jembatan <Tahap 1>"


def snapshot(proposal_id: str = "p-1", **changes: Any) -> dict[str, Any]:
    """What every proposal event carries: sumbar's proposal (of its unit dpupr) with kukar,
    offered to kukar (shared with it, as the proposals service does from the approval on)."""
    fields: dict[str, Any] = {
        "proposal_id": proposal_id,
        "tenant": "sumbar",
        "title": TITLE,
        "kind": "ksdd",
        "proposer": Party(name=SUMBAR.name, tenant="sumbar"),
        "proposer_unit": "dpupr",
        "partner": Party(name="Pemerintah Kabupaten Kutai Kartanegara", tenant="kukar"),
        "objective": "Konektivitas.",
        "scope": "Jalan penghubung.",
        "term_months": 24,
        "financing": "APBD.",
        "actor": "u-1",
        "occurred_at": datetime(2026, 11, 23, tzinfo=UTC),
        "shared_with": "kukar",
    }
    fields.update(changes)
    return fields


def submitted(proposal_id: str = "p-1", **changes: Any) -> ProposalSubmitted:
    return ProposalSubmitted(**snapshot(proposal_id, **changes))


def approved(proposal_id: str = "p-1", **changes: Any) -> ProposalApproved:
    """Without ``stage``, an offer by sumbar's rules (docs/domain.md's default)."""
    return ProposalApproved(**snapshot(proposal_id, **changes), term_start=date(2026, 11, 23), term_end=date(2028, 11, 23))


def rejected(proposal_id: str = "p-1", **changes: Any) -> ProposalRejected:
    return ProposalRejected(**{"reason": "Ruang lingkup belum jelas.", **snapshot(proposal_id, **changes)})


def generated(unit: str | None = "dpupr") -> DocumentGenerated:
    return DocumentGenerated(
        document_id="d-1",
        tenant="sumbar",
        proposal_id="p-1",
        proposal_title=TITLE,
        proposer_unit=unit,
        kind="kb",
        version=2,
        sha256="0" * 64,
        size=10,
        media_type="x",
        generated_at=datetime.now(UTC),
    )


def due(days: int, unit: str | None = "dpupr") -> EvaluationDue:
    return EvaluationDue(
        plan_id="pl-1",
        reminder_id="r-1",
        tenant="sumbar",
        proposal_id="p-1",
        proposal_title=TITLE,
        proposer_unit=unit,
        term_end=date(2028, 11, 23),
        days_before_end=days,
        due_on=date(2028, 11, 23),
    )


def step(aggregate: str, event: str, proposal_id: str = "p-1", **changes: Any) -> CooperationStep:
    fields: dict[str, Any] = {"stage": "pelaksanaan", "stage_from": "pelaksanaan", "command": "x"}
    fields.update(changes)
    return STEP_EVENTS[(aggregate, event)](**snapshot(proposal_id, **fields))


def reminder(round_title: str, missing: list[str]) -> MappingReminderDue:
    return MappingReminderDue(
        round_id=str(uuid.uuid4()),
        tenant="sumbar",
        round_title=round_title,
        deadline=date(2027, 3, 31),
        days_before_deadline=7,
        missing_units=missing,
    )


# -- the service through NATS and its inbox API ------------------------------------------------


def auth(tenant: str, *roles: str, unit: str | None = None) -> dict[str, str]:
    token = issue_dev_token(SECRET, tenant=tenant, roles=list(roles), user=f"{tenant}-{roles[0]}", unit=unit)
    return {"Authorization": f"Bearer {token}"}


SUMBAR_SECTION = auth("sumbar", "kerja_sama")
SUMBAR_DPUPR = auth("sumbar", "opd_staff", unit="dpupr")
KUKAR_SECTION = auth("kukar", "kerja_sama")
KUKAR_EVERYONE = auth("kukar", "opd_staff", "opd_head", "tkksd", "sekda", "kepala_daerah", "dprd", unit="dpupr")
KALTIM_ALL = auth("kaltim", "kerja_sama", "opd_staff", "sekda", "kepala_daerah", "auditor", unit="dpupr")


@dataclass
class Service:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    js: Any

    async def publish(self, event: IntegrationEvent, event_id: str | None = None, msg_id: str | None = None) -> str:
        envelope = envelope_for(event, event_id)
        headers = envelope.headers()
        if msg_id:
            headers["Nats-Msg-Id"] = msg_id
        await self.js.publish(envelope.subject, event.model_dump_json().encode(), headers=headers)
        return envelope.id

    async def inbox(self, headers: dict[str, str], lang: str = "id", **params: Any) -> list[dict[str, Any]]:
        r = await self.client.get("/v1/inbox", headers=headers, params={"lang": lang, **params})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def rows(self, model: type[SQLModel], **where: Any) -> list[Any]:
        async with self.runtime.db.system_session() as s:
            query = select(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return list((await s.exec(query)).all())


@pytest.fixture
async def service(database_url: str, own_nats: NatsServer, tmp_path: Path) -> AsyncIterator[Service]:
    """The app on a nats-server of its own: no other test's events wait on its durables ahead
    of this test's (a backlog of unknown regions' events, each failing its batch, made a test
    time out on a loaded machine)."""
    nats_url = own_nats.url
    tenants_file = tmp_path / "tenants.json"
    tenants_file.write_text(json.dumps([t.model_dump(mode="json") for t in DIRECTORY.values()]))
    settings = NotificationsSettings(
        database_url=database_url,
        nats_url=nats_url,
        jwt_secret=SECRET,
        data_dir=tmp_path,
        tenants_seed=tenants_file,
        environment="test",
        log_json=False,
        log_level="WARNING",
        smtp_port=free_port(),  # nobody listens: emails stay queued, which is all we look at
        mailer_poll_seconds=5.0,
    )
    app = build(settings)
    async with app.router.lifespan_context(app):
        runtime: ServiceRuntime = app.state.runtime
        await eventually(lambda: runtime.consuming, what="the consumers to start")
        nc = await nats.connect(nats_url)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield Service(client, runtime, nc.jetstream())
        finally:
            await nc.close()


# -- the consumer pipeline on a database ---------------------------------------------------------

TABLES = [SQLModel.metadata.tables[t] for t in ("messages", "emails", "processed_events", "dead_letters", "outbox")]


@dataclass
class Pipeline:
    """The service's consumers, with their own dependencies, bound to a fresh database."""

    db: Database
    consumers: EventConsumers

    async def process(self, event: IntegrationEvent, event_id: str | None = None) -> bool:
        name = f"notifications-{event.aggregate}-{event.event}"
        return await self.consumers.process(self.consumers.registrations[name], envelope_for(event, event_id), event)

    async def messages(self) -> list[Message]:
        async with self.db.system_session() as s:
            return list((await s.exec(select(Message))).all())

    async def emails(self) -> list[Email]:
        async with self.db.system_session() as s:
            return list((await s.exec(select(Email))).all())


@pytest.fixture
async def pipeline(database_url: str, tmp_path: Path) -> AsyncIterator[Pipeline]:
    db = Database(database_url)
    await db.create_all(TABLES)
    consumers = build_consumers(Deps(tenants=TenantDirectory(dict(DIRECTORY))))
    consumers.bind(db, NotificationsSettings(database_url=database_url, data_dir=tmp_path, environment="development"))
    try:
        yield Pipeline(db, consumers)
    finally:
        await db.dispose()
