"""What the evaluation service's tests share: the events of a cooperation's lifecycle
(import the builders from this module), the ``env`` fixture (the service's consumers, built
with their own dependencies, on a fresh database) and what the tests read back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from jalin_evaluation.deps import Deps
from jalin_evaluation.domain import plan_rounds
from jalin_evaluation.handlers import build_consumers
from jalin_evaluation.models import EvaluationRound, LifecycleEvent, Plan, Reminder
from jalin_evaluation.settings import EvaluationSettings
from jalin_kit.consumers import EventConsumers, Registration
from jalin_kit.db import Database
from jalin_kit.events import (
    STEP_EVENTS,
    AgreementRecord,
    CloudEvent,
    CooperationStep,
    IntegrationEvent,
    Party,
    ProposalApproved,
    ProposalRejected,
)
from jalin_kit.outbox import OutboxMessage
from jalin_kit.tenants import DEMO_TENANTS, TenantDirectory
from sqlmodel import SQLModel, col, select

# -- events ---------------------------------------------------------------------------------

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    """A moment ``days`` after T0: when a step happened (``occurred_at``)."""
    return T0 + timedelta(days=days)


def snapshot(proposal_id: str, tenant: str = "sumbar", **changes: Any) -> dict[str, Any]:
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
        "occurred_at": T0,
    }
    fields.update(changes)
    return fields


def approved(
    pid: str, start: date, end: date, when: datetime = T0, tenant: str = "sumbar", **changes: Any
) -> ProposalApproved:
    return ProposalApproved(
        **snapshot(pid, tenant, occurred_at=when, stage="penawaran", **changes), term_start=start, term_end=end
    )


def rejected(pid: str, when: datetime, reason: str = "Ruang lingkup belum jelas.") -> ProposalRejected:
    return ProposalRejected(**snapshot(pid, occurred_at=when, stage="ditolak"), reason=reason)


def agreement(
    start: date | None,
    end: date | None,
    signed_on: date = date(2027, 2, 10),
    kind: str = "pks",
    agreement_id: str = "ag-1",
) -> AgreementRecord:
    return AgreementRecord(
        agreement_id=agreement_id,
        type=kind,
        number_first="180/12/KSD-2027",
        number_second="415.4/7/2027",
        signed_on=signed_on,
        signed_place="Padang",
        signatory_name="Mahyeldi",
        signatory_title="Gubernur Sumatera Barat",
        signed_as="kepala_daerah",
        term_start=start,
        term_end=end,
    )


STAGE_AFTER = {
    "pks-signed": "pelaksanaan",
    "signed": "pelaksanaan",
    "work-plan-adopted": "pelaksanaan",
    "imported": "pelaksanaan",
    "amended": "pelaksanaan",
    "terminated": "diakhiri",
    "completed": "selesai",
    "expired": "selesai",
    "offer-declined": "ditolak",
}


def step(
    name: str,
    pid: str,
    when: datetime,
    *,
    aggregate: str = "agreement",
    agreement: AgreementRecord | None = None,
    stage: str | None = "default",
    end_reason: str | None = None,
    note: str | None = None,
    tenant: str = "sumbar",
    **changes: Any,
) -> CooperationStep:
    cls = STEP_EVENTS[(aggregate, name)]
    return cls(
        **snapshot(
            pid, tenant, occurred_at=when, stage=STAGE_AFTER.get(name) if stage == "default" else stage, **changes
        ),
        command=name.replace("-", "_"),
        stage_from="penandatanganan_pks",
        agreement=agreement,
        end_reason=end_reason,
        note=note,
    )


def envelope_for(event: IntegrationEvent, event_id: str | None = None) -> CloudEvent:
    tenant = event.tenant  # type: ignore[attr-defined]
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source="/jalin/proposals",
        type=event.ce_type(),
        subject=f"jalin.{tenant}.{event.aggregate}.{event.event}",
        tenant_id=tenant,
        correlation_id=event.proposal_id,  # type: ignore[attr-defined]
    )


def registration(consumers: EventConsumers, event: IntegrationEvent) -> Registration:
    return consumers.registrations[f"evaluation-{event.aggregate}-{event.event}"]


# -- the harness ----------------------------------------------------------------------------


@dataclass
class Snapshot:
    """A plan with its rounds and reminders, as stored."""

    plan: Plan
    rounds: list[EvaluationRound]
    reminders: list[Reminder]

    @property
    def status(self) -> str:
        return self.plan.status

    @property
    def term(self) -> tuple[date, date]:
        return (self.plan.term_start, self.plan.term_end)

    def pending(self) -> list[tuple[int, date]]:
        return [(r.days_before_end, r.due_on) for r in self.reminders if r.fired_at is None and r.cancelled_at is None]

    def reminder(self, days: int, due: date | None = None) -> Reminder:
        [found] = [r for r in self.reminders if r.days_before_end == days and (due is None or r.due_on == due)]
        return found


@dataclass
class Harness:
    """The service's consumers on a fresh database, with the tenants of the demo and a clock
    the test sets (``today``)."""

    db: Database
    settings: EvaluationSettings
    today: date
    consumers: EventConsumers = field(init=False)
    sent: list[CloudEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.use(TenantDirectory(dict(DEMO_TENANTS)))

    def use(self, tenants: TenantDirectory) -> None:
        """From now on, consumers built with ``tenants`` (and this harness's clock)."""
        self.consumers = build_consumers(Deps(tenants=tenants, today=lambda: self.today))
        self.consumers.bind(self.db, self.settings)

    async def process(self, event: IntegrationEvent, event_id: str | None = None) -> bool:
        envelope = envelope_for(event, event_id)
        self.sent.append(envelope)
        return await self.consumers.process(registration(self.consumers, event), envelope, event)

    async def plans(self, tenant: str | None = None) -> list[Plan]:
        session_cm = self.db.tenant_session(tenant) if tenant else self.db.system_session()
        async with session_cm as s:
            return list((await s.exec(select(Plan))).all())

    async def plan(self, pid: str) -> Snapshot | None:
        async with self.db.system_session() as s:
            plan = (await s.exec(select(Plan).where(Plan.proposal_id == pid))).first()
            if plan is None:
                return None
            rounds = (
                await s.exec(
                    select(EvaluationRound).where(EvaluationRound.plan_id == plan.id).order_by(col(EvaluationRound.number))
                )
            ).all()
            reminders = (
                await s.exec(
                    select(Reminder)
                    .where(Reminder.plan_id == plan.id)
                    .order_by(col(Reminder.due_on), col(Reminder.days_before_end).desc())
                )
            ).all()
            return Snapshot(plan, list(rounds), list(reminders))

    async def must_plan(self, pid: str) -> Snapshot:
        snap = await self.plan(pid)
        assert snap is not None, f"no plan for {pid}"
        return snap

    async def ledger(self, pid: str) -> list[LifecycleEvent]:
        async with self.db.system_session() as s:
            return list(
                (
                    await s.exec(
                        select(LifecycleEvent).where(LifecycleEvent.proposal_id == pid).order_by(col(LifecycleEvent.id))
                    )
                ).all()
            )


TABLES = [
    SQLModel.metadata.tables[n]
    for n in ("plans", "evaluation_rounds", "reminders", "lifecycle_events", "outbox", "processed_events", "dead_letters")
]
OFFSETS = [90, 60, 30, 7, 0]


@pytest.fixture
async def env(database_url: str) -> AsyncIterator[Harness]:
    db = Database(database_url)
    await db.create_all(TABLES)
    try:
        yield Harness(db, EvaluationSettings(database_url=database_url, environment="development"), date(2026, 11, 23))
    finally:
        await db.dispose()


def reminders_for(end: date, offsets: list[int] = OFFSETS) -> list[tuple[int, date]]:
    return [(d, end - timedelta(days=d)) for d in offsets]


def rounds_of(snap: Snapshot) -> list[tuple[int, int, int, date, date]]:
    return [(r.number, r.budget_year, r.period, r.period_start, r.due_on) for r in snap.rounds]


def planned_rounds(start: date, end: date, per_year: int = 2) -> list[tuple[int, int, int, date, date]]:
    return [(r.number, r.budget_year, r.period, r.period_start, r.due_on) for r in plan_rounds(start, end, per_year)]


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.system_session() as s:
        return list((await s.exec(select(OutboxMessage))).all())


# The running example: approved on 23 Nov 2026 for 24 months from 1 Dec 2026; the PKS
# signed on 10 Feb 2027 for 1 Mar 2027 - 1 Mar 2029.
PLANNED = (date(2026, 12, 1), date(2028, 12, 1))
PKS = (date(2027, 3, 1), date(2029, 3, 1))


SIGNED_AT = at(79)  # 10 Feb 2027


async def signed_plan(env: Harness, pid: str, term: tuple[date, date] = PKS, when: datetime = SIGNED_AT) -> Snapshot:
    await env.process(approved(pid, *PLANNED))
    env.today = when.date()
    await env.process(step("pks-signed", pid, when, agreement=agreement(*term)))
    return await env.must_plan(pid)


