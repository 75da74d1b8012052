"""The plan follows the cooperation's lifecycle: every rule through the consumer pipeline (inbox,
handler, transaction) on a real database, and once end to end through a real NATS."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from jalin_evaluation.app import build
from jalin_evaluation.domain import plan_rounds
from jalin_evaluation.handlers import consumers, deps
from jalin_evaluation.models import EvaluationRound, LifecycleEvent, Plan, Reminder
from jalin_evaluation.scanner import fire_due
from jalin_evaluation.settings import EvaluationSettings
from jalin_kit.auth import issue_dev_token
from jalin_kit.consumers import Registration
from jalin_kit.db import WHOLE_TENANT, Database
from jalin_kit.events import (
    STEP_EVENTS,
    AgreementRecord,
    CloudEvent,
    CooperationStep,
    EvaluationDue,
    IntegrationEvent,
    Party,
    ProposalApproved,
    ProposalRejected,
    TenantChanged,
    ensure_stream,
)
from jalin_kit.outbox import OutboxMessage
from jalin_kit.tenants import DEMO_TENANTS, TenantDirectory, TenantInfo
from sqlmodel import SQLModel, col, select

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


def registration(event: IntegrationEvent) -> Registration:
    return consumers.registrations[f"evaluation-{event.aggregate}-{event.event}"]


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
    db: Database
    today: date
    sent: list[CloudEvent] = field(default_factory=list)

    async def process(self, event: IntegrationEvent, event_id: str | None = None) -> bool:
        envelope = envelope_for(event, event_id)
        self.sent.append(envelope)
        return await consumers.process(registration(event), envelope, event)

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


# -- the harness ----------------------------------------------------------------------------

TABLES = [
    SQLModel.metadata.tables[n]
    for n in ("plans", "evaluation_rounds", "reminders", "lifecycle_events", "outbox", "processed_events", "dead_letters")
]
OFFSETS = [90, 60, 30, 7, 0]


@pytest.fixture
async def env(database_url: str) -> AsyncIterator[Harness]:
    db = Database(database_url)
    await db.create_all(TABLES)
    harness = Harness(db, today=date(2026, 11, 23))
    saved = dict(vars(deps))
    deps.tenants = TenantDirectory(dict(DEMO_TENANTS))
    deps.today = lambda: harness.today
    consumers.bind(db, EvaluationSettings(database_url=database_url, environment="development"))
    try:
        yield harness
    finally:
        vars(deps).clear()
        vars(deps).update(saved)
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


# -- registrations ---------------------------------------------------------------------------


def test_a_consumer_for_every_event_the_plan_follows() -> None:
    expected = {
        "evaluation-proposal-approved": ProposalApproved,
        "evaluation-proposal-rejected": ProposalRejected,
        "evaluation-proposal-offer-declined": STEP_EVENTS[("proposal", "offer-declined")],
        **{
            f"evaluation-agreement-{name}": STEP_EVENTS[("agreement", name)]
            for name in (
                "pks-signed", "signed", "work-plan-adopted", "imported", "amended", "terminated", "completed", "expired"
            )
        },
        "evaluation-tenant-changed": TenantChanged,  # its copy of the tenant registry
    }
    assert {name: reg.event_cls for name, reg in consumers.registrations.items()} == expected
    assert all(reg.description for reg in consumers.registrations.values())


# -- approval: a provisional plan ------------------------------------------------------------


async def test_approval_plans_provisionally_on_the_planned_term_and_holds_its_reminders(env: Harness) -> None:
    assert await env.process(approved("p-1", *PLANNED)) is True
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term, snap.plan.rounds_per_year) == ("provisional", PLANNED, 2)
    assert rounds_of(snap) == planned_rounds(*PLANNED)
    assert snap.pending() == reminders_for(PLANNED[1])
    assert (snap.plan.proposal_title, snap.plan.proposer_unit) == ("Jalan & Jembatan <Tahap 1>", "dpupr")
    # Not signed yet: no "the term ends in 90 days" for an agreement that does not exist.
    assert await fire_due(env.db, date(2030, 1, 1)) == 0
    assert await outbox(env.db) == []


async def test_a_second_approval_event_changes_nothing(env: Harness) -> None:
    await env.process(approved("p-1", *PLANNED))
    before = await env.must_plan("p-1")
    assert await env.process(approved("p-1", *PLANNED)) is True  # re-published: another event id
    after = await env.must_plan("p-1")
    assert len(await env.plans()) == 1
    assert [r.id for r in after.reminders] == [r.id for r in before.reminders]
    assert [r.id for r in after.rounds] == [r.id for r in before.rounds]
    assert after.plan.updated_at is None


# -- the agreement is signed: the plan follows it ------------------------------------------------


async def test_signing_replans_the_provisional_plan_to_the_agreements_term(env: Harness) -> None:
    snap = await signed_plan(env, "p-1")
    assert (snap.status, snap.term, snap.plan.agreement_id) == ("active", PKS, "ag-1")
    assert rounds_of(snap) == planned_rounds(*PKS)
    assert snap.pending() == reminders_for(PKS[1])
    assert len(await env.plans()) == 1
    # Now the reminders fire, on the agreement's end.
    assert await fire_due(env.db, PKS[1] - timedelta(days=90)) == 1
    [row] = await outbox(env.db)
    due = EvaluationDue.model_validate_json(row.data)
    assert (due.days_before_end, due.term_end, due.proposal_id) == (90, PKS[1], "p-1")


@pytest.mark.parametrize(
    ("name", "kind"),
    [("pks-signed", "pks"), ("signed", "pks"), ("work-plan-adopted", "rencana_kerja"), ("imported", "pks")],
)
async def test_each_start_of_pelaksanaan_creates_an_active_plan_when_none_exists(
    env: Harness, name: str, kind: str
) -> None:
    assert await env.process(step(name, "p-1", at(79), agreement=agreement(*PKS, kind=kind))) is True
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term) == ("active", PKS)
    assert rounds_of(snap) == planned_rounds(*PKS)
    assert snap.pending() == reminders_for(PKS[1])
    assert await fire_due(env.db, date(2030, 1, 1)) == 5


async def test_an_agreement_without_a_term_start_runs_from_its_signing(env: Harness) -> None:
    await env.process(step("pks-signed", "p-1", at(79), agreement=agreement(None, PKS[1], signed_on=date(2027, 2, 10))))
    assert (await env.must_plan("p-1")).term == (date(2027, 2, 10), PKS[1])


async def test_signing_without_a_term_activates_the_planned_term_and_plans_nothing_new(env: Harness) -> None:
    await env.process(step("pks-signed", "p-0", at(79), agreement=None))
    assert await env.plan("p-0") is None  # nothing known to plan on
    await env.process(approved("p-1", *PLANNED))
    await env.process(step("pks-signed", "p-1", at(79), agreement=agreement(None, None)))
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term) == ("active", PLANNED)
    assert snap.pending() == reminders_for(PLANNED[1])


@pytest.mark.parametrize(
    ("stage", "term"),
    [("selesai", PKS), ("diakhiri", PKS), ("pelaksanaan", (date(2027, 3, 1), None))],
)
async def test_an_import_that_ended_or_has_no_term_end_plans_nothing(
    env: Harness, stage: str, term: tuple[date, date | None]
) -> None:
    event = step("imported", "p-1", at(1), agreement=agreement(*term), stage=stage)
    assert await env.process(event) is True
    assert await env.plans() == []


async def test_a_legacy_agreement_near_its_end_gets_only_the_reminders_still_ahead(env: Harness) -> None:
    term = (date(2024, 1, 1), date(2026, 12, 13))  # 20 days after today
    await env.process(step("imported", "p-1", at(0), agreement=agreement(*term, signed_on=date(2023, 12, 20))))
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term) == ("active", term)
    assert snap.pending() == reminders_for(term[1], [7, 0])  # no "90 days left" 20 days before the end
    assert rounds_of(snap) == planned_rounds(*term)  # the record of monev it should have had


# -- an addendum: re-planned, what happened stays ------------------------------------------------


async def test_an_addendum_replans_the_future_and_keeps_fired_reminders_and_past_rounds(env: Harness) -> None:
    term = (date(2027, 3, 1), date(2028, 3, 1))
    before = await signed_plan(env, "p-1", term)
    assert [r.due_on for r in before.rounds] == [date(2027, 6, 30), date(2027, 12, 31), date(2028, 3, 1)]
    assert await fire_due(env.db, date(2028, 1, 1)) == 2  # 90 (2 Dec) and 60 (1 Jan) days before
    env.today = date(2028, 1, 10)
    new_end = date(2029, 3, 1)
    addendum = agreement(None, new_end, signed_on=date(2028, 1, 10), kind="addendum", agreement_id="ad-1")
    assert await env.process(step("amended", "p-1", at(413), agreement=addendum)) is True

    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term, snap.plan.agreement_id) == ("active", (term[0], new_end), "ad-1")
    assert snap.plan.updated_at is not None
    # Past rounds are the same rows; the future ones follow the new end.
    assert [r.id for r in snap.rounds[:2]] == [r.id for r in before.rounds[:2]]
    assert rounds_of(snap) == [
        (1, 2027, 1, date(2027, 3, 1), date(2027, 6, 30)),
        (2, 2027, 2, date(2027, 7, 1), date(2027, 12, 31)),
        (3, 2028, 1, date(2028, 1, 1), date(2028, 6, 30)),
        (4, 2028, 2, date(2028, 7, 1), date(2028, 12, 31)),
        (5, 2029, 1, date(2029, 1, 1), date(2029, 3, 1)),
    ]
    fired = [(r.days_before_end, r.due_on, r.id) for r in snap.reminders if r.fired_at is not None]
    assert fired == [
        (90, date(2027, 12, 2), before.reminder(90).id),
        (60, date(2028, 1, 1), before.reminder(60).id),
    ]
    assert snap.pending() == reminders_for(new_end)
    # The new 90-day reminder fires on the new end; the old ones never again.
    assert await fire_due(env.db, date(2028, 12, 1)) == 1
    rows = [EvaluationDue.model_validate_json(r.data) for r in await outbox(env.db)]
    assert sorted((e.days_before_end, e.term_end) for e in rows) == [(60, term[1]), (90, term[1]), (90, new_end)]


@pytest.mark.parametrize("addendum_end", [None, PKS[1]])
async def test_an_addendum_without_a_new_term_end_changes_nothing(env: Harness, addendum_end: date | None) -> None:
    before = await signed_plan(env, "p-1")
    addendum = agreement(None, addendum_end, kind="addendum", agreement_id="ag-1")
    assert await env.process(step("amended", "p-1", at(200), agreement=addendum)) is True
    after = await env.must_plan("p-1")
    assert (after.status, after.term, after.plan.updated_at) == ("active", PKS, before.plan.updated_at)
    assert [r.id for r in after.reminders] == [r.id for r in before.reminders]
    assert [r.id for r in after.rounds] == [r.id for r in before.rounds]


async def test_the_tenants_current_configuration_applies_when_replanning(env: Harness) -> None:
    deps.tenants = TenantDirectory(
        {"sumbar": TenantInfo(id="sumbar", name="Sumbar", head_title="Gubernur", seat="Padang", email_domain="s.id",
                              monev_rounds_per_year=4, reminder_offsets_days=[30, 0])}
    )
    snap = await signed_plan(env, "p-1")
    assert snap.plan.rounds_per_year == 4
    assert rounds_of(snap) == planned_rounds(*PKS, per_year=4)
    assert snap.pending() == reminders_for(PKS[1], [30, 0])


# -- the end: closed or cancelled, pending reminders never fire ----------------------------------


@pytest.mark.parametrize(
    ("name", "end_reason", "note", "expected_reason"),
    [
        ("terminated", "mutual_agreement", "Kesepakatan para pihak, surat 12/2028.", "mutual_agreement"),
        ("terminated", "policy_change", None, "policy_change"),
        ("completed", None, None, "objective_achieved"),
        ("expired", "term_expired", None, "term_expired"),
    ],
)
async def test_an_end_closes_the_plan_and_cancels_pending_reminders(
    env: Harness, name: str, end_reason: str | None, note: str | None, expected_reason: str
) -> None:
    await signed_plan(env, "p-1")
    assert await fire_due(env.db, PKS[1] - timedelta(days=90)) == 1
    assert await env.process(step(name, "p-1", at(500), end_reason=end_reason, note=note)) is True

    snap = await env.must_plan("p-1")
    assert (snap.status, snap.plan.closed_reason, snap.plan.closed_note) == ("closed", expected_reason, note)
    assert snap.plan.closed_at is not None and snap.term == PKS
    assert snap.pending() == []
    ninety = snap.reminder(90)
    assert ninety.fired_at is not None and ninety.cancelled_at is None  # what fired stays fired
    assert all(r.cancelled_at is not None for r in snap.reminders if r.days_before_end != 90)
    assert await fire_due(env.db, date(2031, 1, 1)) == 0
    assert len(await outbox(env.db)) == 1


async def test_a_rejection_cancels_the_provisional_plan_with_its_reason(env: Harness) -> None:
    await env.process(approved("p-1", *PLANNED))
    assert await env.process(rejected("p-1", at(20), "Anggaran belum tersedia di APBD.")) is True
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.plan.closed_reason, snap.plan.closed_note) == (
        "cancelled", "rejected", "Anggaran belum tersedia di APBD."
    )
    assert snap.pending() == [] and len(snap.reminders) == 5
    assert await fire_due(env.db, date(2031, 1, 1)) == 0


async def test_a_declined_offer_cancels_the_provisional_plan(env: Harness) -> None:
    await env.process(approved("p-1", *PLANNED))
    declined = step("offer-declined", "p-1", at(30), aggregate="proposal", note="Belum menjadi prioritas.")
    assert await env.process(declined) is True
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.plan.closed_reason, snap.plan.closed_note) == (
        "cancelled", "offer_declined", "Belum menjadi prioritas."
    )
    assert snap.pending() == []


async def test_a_revised_and_reapproved_proposal_is_planned_again(env: Harness) -> None:
    await env.process(approved("p-1", *PLANNED))
    await env.process(rejected("p-1", at(20)))
    replanned = (date(2027, 2, 1), date(2029, 2, 1))
    await env.process(approved("p-1", *replanned, when=at(40)))
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term, snap.plan.closed_reason, snap.plan.closed_at) == (
        "provisional", replanned, None, None
    )
    assert snap.pending() == reminders_for(replanned[1])
    assert all(r.cancelled_at is None for r in snap.reminders)
    assert len(await env.plans()) == 1


@pytest.mark.parametrize(
    "event",
    [
        lambda: rejected("p-1", at(20)),
        lambda: step("offer-declined", "p-1", at(30), aggregate="proposal"),
        lambda: step("expired", "p-1", at(800), end_reason="term_expired"),
        lambda: step("terminated", "p-1", at(800), end_reason="mutual_agreement"),
        lambda: step("completed", "p-1", at(800)),
    ],
)
async def test_an_end_of_an_unknown_cooperation_creates_no_plan(env: Harness, event: Any) -> None:
    assert await env.process(event()) is True
    assert await env.plans() == []
    assert await fire_due(env.db, date(2031, 1, 1)) == 0


# -- redelivery and order ---------------------------------------------------------------------------


async def test_the_same_event_delivered_twice_is_applied_once(env: Harness) -> None:
    await env.process(approved("p-1", *PLANNED))
    env.today = date(2027, 2, 10)
    signing = step("pks-signed", "p-1", at(79), agreement=agreement(*PKS))
    assert await env.process(signing, event_id="ev-sign") is True
    before = await env.must_plan("p-1")
    assert await env.process(signing, event_id="ev-sign") is False
    closing = step("terminated", "p-1", at(500), end_reason="mutual_agreement")
    assert await env.process(closing, event_id="ev-end") is True
    assert await env.process(closing, event_id="ev-end") is False
    snap = await env.must_plan("p-1")
    assert snap.status == "closed"
    assert [r.id for r in snap.reminders] == [r.id for r in before.reminders]
    assert [e.event_type for e in await env.ledger("p-1")] == [
        "proposal.approved", "agreement.pks-signed", "agreement.terminated"
    ]


async def test_an_end_is_final_whatever_arrives_late(env: Harness) -> None:
    await env.process(approved("p-1", *PLANNED, when=at(0)))
    await env.process(step("pks-signed", "p-1", at(79), agreement=agreement(*PKS)))
    await env.process(step("expired", "p-1", at(827), end_reason="term_expired"))
    closed = await env.must_plan("p-1")
    # A signing published again, a stale approval and a later import do not reopen it.
    await env.process(step("pks-signed", "p-1", at(79), agreement=agreement(*PKS)))
    await env.process(approved("p-1", *PLANNED, when=at(0)))
    await env.process(step("imported", "p-1", at(900), agreement=agreement(date(2029, 3, 1), date(2031, 3, 1))))
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term, snap.plan.closed_reason) == ("closed", PKS, "term_expired")
    assert snap.pending() == [] and snap.plan.closed_at == closed.plan.closed_at
    assert await fire_due(env.db, date(2032, 1, 1)) == 0


async def test_an_addendum_that_arrives_after_the_end_is_recorded_on_the_closed_plan(env: Harness) -> None:
    await env.process(step("pks-signed", "p-1", at(79), agreement=agreement(*PKS)))
    await env.process(step("terminated", "p-1", at(600), end_reason="mutual_agreement"))
    addendum = agreement(None, date(2029, 9, 1), kind="addendum", agreement_id="ad-1")
    await env.process(step("amended", "p-1", at(400), agreement=addendum))  # happened before the end
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term, snap.plan.closed_reason) == ("closed", (PKS[0], date(2029, 9, 1)), "mutual_agreement")
    assert snap.pending() == []


async def test_an_expiry_heard_before_its_signing_leaves_a_closed_plan_that_never_reminds(env: Harness) -> None:
    await env.process(step("expired", "p-1", at(827), end_reason="term_expired"))
    assert await env.plans() == []  # nothing to plan yet
    await env.process(step("pks-signed", "p-1", at(79), agreement=agreement(*PKS)))  # delivered late
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term, snap.plan.closed_reason) == ("closed", PKS, "term_expired")
    assert snap.reminders == [] and rounds_of(snap) == planned_rounds(*PKS)
    assert await fire_due(env.db, date(2032, 1, 1)) == 0


def _history(pid: str) -> list[IntegrationEvent]:
    addendum = agreement(None, date(2029, 9, 1), signed_on=date(2028, 5, 1), kind="addendum", agreement_id="ad-1")
    return [
        approved(pid, *PLANNED, when=at(0)),
        step("pks-signed", pid, at(79), agreement=agreement(*PKS)),
        step("amended", pid, at(525), agreement=addendum),
        step("terminated", pid, at(700), end_reason="mutual_agreement"),
    ]


async def test_any_order_of_arrival_gives_the_same_plan(env: Harness) -> None:
    """The consumers of different events run independently: their order means nothing."""
    env.today = date(2026, 11, 1)  # before every term, so nothing counts as past
    outcomes = set()
    for n, order in enumerate(itertools.permutations(range(3))):
        pid = f"p-{n}"
        history = _history(pid)
        for i in order:
            await env.process(history[i])
        snap = await env.must_plan(pid)
        outcomes.add((snap.status, snap.term, snap.plan.agreement_id, tuple(rounds_of(snap)), tuple(snap.pending())))
    assert outcomes == {
        ("active", (PKS[0], date(2029, 9, 1)), "ad-1",
         tuple(planned_rounds(PKS[0], date(2029, 9, 1))), tuple(reminders_for(date(2029, 9, 1))))
    }
    closed = set()
    for n, order in enumerate(itertools.permutations(range(4))):
        pid = f"q-{n}"
        history = _history(pid)
        for i in order:
            await env.process(history[i])
        snap = await env.must_plan(pid)
        closed.add((snap.status, snap.term, snap.plan.closed_reason, tuple(snap.pending())))
    assert closed == {("closed", (PKS[0], date(2029, 9, 1)), "mutual_agreement", ())}


async def test_events_of_one_cooperation_handled_at_once_give_one_plan(env: Harness) -> None:
    """Separate consumers (or replicas) may handle two events of one cooperation at the same
    moment; on PostgreSQL they take turns (advisory lock), on SQLite the one writer does."""
    history = _history("p-1")[:3]
    results = await asyncio.gather(*(env.process(e) for e in history))
    assert results == [True, True, True]
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term, snap.plan.agreement_id) == ("active", (PKS[0], date(2029, 9, 1)), "ad-1")
    assert len(await env.plans()) == 1 and len(await env.ledger("p-1")) == 3


# -- plans made before the lifecycle events ----------------------------------------------------------


async def _legacy_plan(env: Harness, pid: str) -> Plan:
    """A plan as revision 0001 made it, on approval alone (the migration makes it active)."""
    async with env.db.tenant_session("sumbar") as s:
        plan = Plan(tenant_id="sumbar", proposal_id=pid, proposal_title="Lama", term_start=PLANNED[0],
                    term_end=PLANNED[1], rounds_per_year=2, created_at=T0 - timedelta(days=400))
        s.add(plan)
        await s.flush()
        s.add_all([Reminder(tenant_id="sumbar", plan_id=plan.id, days_before_end=d, due_on=due)
                   for d, due in reminders_for(PLANNED[1])])
        await s.commit()
        return plan


async def test_a_plan_from_before_the_lifecycle_closes_on_its_end(env: Harness) -> None:
    await _legacy_plan(env, "p-1")
    assert await fire_due(env.db, PLANNED[1] - timedelta(days=90)) == 1  # it was active
    await env.process(step("terminated", "p-1", at(300), end_reason="object_lost"))
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.plan.closed_reason, snap.term) == ("closed", "object_lost", PLANNED)
    assert snap.pending() == []
    assert [e.event_type for e in await env.ledger("p-1")] == ["plan.baseline", "agreement.terminated"]


async def test_a_plan_from_before_the_lifecycle_follows_its_addendum(env: Harness) -> None:
    await _legacy_plan(env, "p-1")
    new_end = date(2029, 12, 1)
    await env.process(step("amended", "p-1", at(100), agreement=agreement(None, new_end, kind="addendum")))
    snap = await env.must_plan("p-1")
    assert (snap.status, snap.term) == ("active", (PLANNED[0], new_end))
    assert snap.pending() == reminders_for(new_end)


# -- tenants ------------------------------------------------------------------------------------------


async def test_plans_stay_in_the_owners_tenant(env: Harness) -> None:
    await env.process(step("pks-signed", "p-1", at(79), agreement=agreement(*PKS)))
    kukar_event = step("pks-signed", "p-2", at(79), agreement=agreement(*PKS), tenant="kukar",
                       partner=Party(name="Pemerintah Provinsi Sumatera Barat", tenant="sumbar"))
    await env.process(kukar_event)
    assert [p.proposal_id for p in await env.plans("sumbar")] == ["p-1"]  # the partner's is not here
    assert [p.proposal_id for p in await env.plans("kukar")] == ["p-2"]
    assert await fire_due(env.db, PKS[1] - timedelta(days=90)) == 2
    assert sorted(r.subject for r in await outbox(env.db)) == [
        "jalin.kukar.evaluation.due", "jalin.sumbar.evaluation.due"
    ]


# -- end to end: the service in-process, events through a real NATS ------------------------------

SECRET = "test-secret-for-the-evaluation-service-0123456789"


async def eventually(probe: Any, what: str, attempts: int = 300) -> Any:
    for _ in range(attempts):
        result = await probe()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


async def test_through_nats_the_plan_follows_the_agreement_and_closes_for_good(
    database_url: str, nats_url: str, tmp_path: Any
) -> None:
    today = date(2027, 6, 1)
    settings = EvaluationSettings(
        database_url=database_url, nats_url=nats_url, jwt_secret=SECRET, data_dir=tmp_path,
        environment="test", log_json=False, log_level="WARNING", today=today, scan_interval_seconds=0.2,
    )
    saved = dict(vars(deps))
    app = build(settings)  # migrations to head, consumers, due scanner (pretending today is 1 June 2027)
    pid = str(uuid.uuid4())
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)

    async def publish(event: IntegrationEvent, event_id: str | None = None, msg_id: str | None = None) -> int:
        envelope = envelope_for(event, event_id)
        headers = envelope.headers()
        if msg_id is not None:  # the same event again, past JetStream's duplicate window
            headers["Nats-Msg-Id"] = msg_id
        return (await js.publish(envelope.subject, event.model_dump_json().encode(), headers=headers)).seq

    try:
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime
            token = issue_dev_token(SECRET, tenant="sumbar", roles=["kerja_sama"], user="sumbar-ks")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {token}"}
            ) as client:

                async def plan(status: str) -> dict[str, Any] | None:
                    r = await client.get("/v1/plans", params={"proposal_id": pid, "status": status})
                    assert r.status_code == 200, r.text
                    return r.json()[0] if r.json() else None

                await publish(approved(pid, today, date(2029, 6, 1), when=at(0)))
                provisional = await eventually(lambda: plan("provisional"), "a provisional plan")
                assert provisional["term_end"] == "2029-06-01"

                term = (date(2027, 5, 1), today + timedelta(days=90))  # the 90-day reminder is due today
                signing = step("pks-signed", pid, at(180), agreement=agreement(*term))
                sign_id = str(uuid.uuid4())
                await publish(signing, event_id=sign_id)

                async def fired_90() -> dict[str, Any] | None:
                    p = await plan("active")
                    return p if p and any(r["fired_at"] for r in p["reminders"]) else None

                active = await eventually(fired_90, "the plan follows the PKS and its 90-day reminder fires")
                assert (active["id"], active["term_start"], active["term_end"]) == (
                    provisional["id"], "2027-05-01", term[1].isoformat()
                )
                assert [(r["days_before_end"], r["fired_at"] is not None) for r in active["reminders"]] == [
                    (90, True), (60, False), (30, False), (7, False), (0, False)
                ]

                # The signing again (same ce-id, new Nats-Msg-Id): acked, skipped by the inbox.
                seq = await publish(signing, event_id=sign_id, msg_id=str(uuid.uuid4()))

                async def drained() -> bool:
                    info = await js.consumer_info("JALIN", "evaluation-agreement-pks-signed")
                    return info.delivered.stream_seq >= seq and not info.num_pending and not info.num_ack_pending

                await eventually(drained, "the duplicate delivered and acked")
                async with runtime.db.system_session() as s:
                    kinds = (await s.exec(select(LifecycleEvent.event_type).where(LifecycleEvent.proposal_id == pid))).all()
                assert sorted(kinds) == ["agreement.pks-signed", "proposal.approved"]

                await publish(step("terminated", pid, at(190), end_reason="mutual_agreement", note="Para pihak sepakat."))
                closed = await eventually(lambda: plan("closed"), "the plan closed")
                assert (closed["closed_reason"], closed["closed_note"]) == ("mutual_agreement", "Para pihak sepakat.")
                assert [(r["days_before_end"], r["fired_at"] is not None, r["cancelled_at"] is not None)
                        for r in closed["reminders"]] == [
                    (90, True, False), (60, False, True), (30, False, True), (7, False, True), (0, False, True)
                ]
                assert await plan("active") is None

                # Whatever day it becomes, the cancelled reminders never fire (other tests' plans in
                # the shared stream may: only this cooperation's reminders are counted).
                await fire_due(runtime.db, date(2030, 1, 1))
                async with runtime.db.system_session() as s:
                    due = (await s.exec(select(OutboxMessage).where(OutboxMessage.correlation_id == pid))).all()
                assert [EvaluationDue.model_validate_json(r.data).days_before_end for r in due] == [90]
    finally:
        await nc.close()
        vars(deps).clear()
        vars(deps).update(saved)


async def test_the_partner_region_reads_the_plan_its_rounds_and_reminders(env: Harness) -> None:
    """A cooperation shared with a partner region on Jalin: its section reads the owner's plan
    (as it reads the cooperation's documents); its OPDs and a third region do not; a plan
    made before plans were shared learns its partner from the next event."""
    await env.process(approved("p-1", *PLANNED, shared_with="kukar"))
    await env.process(approved("p-2", *PLANNED))  # made before sharing: no partner yet
    await env.process(step("pks-signed", "p-2", at(30), agreement=agreement(*PKS), shared_with="kukar"))

    async def seen_by(tenant: str, unit: str | None = WHOLE_TENANT) -> dict[str, tuple[int, int]]:
        async with env.db.tenant_session(tenant, readonly=True, unit=unit) as session:
            plans = (await session.exec(select(Plan))).all()
            return {p.proposal_id: (
                len((await session.exec(select(EvaluationRound).where(EvaluationRound.plan_id == p.id))).all()),
                len((await session.exec(select(Reminder).where(Reminder.plan_id == p.id))).all()),
            ) for p in plans}

    owner = await seen_by("sumbar")
    assert set(owner) == {"p-1", "p-2"} and all(rounds and reminders for rounds, reminders in owner.values())
    assert await seen_by("kukar") == owner  # the same plans, rounds and reminders
    assert await seen_by("kukar", unit="dishub") == {}  # a shared cooperation is the partner's section's
    assert await seen_by("kaltim") == {}

    # An older event arriving late changes nothing; the newest says who the partner is now.
    await env.process(approved("p-1", *PLANNED, when=at(-1), shared_with="kaltim"), event_id="late")
    assert set(await seen_by("kukar")) == {"p-1", "p-2"} and await seen_by("kaltim") == {}
    # Revised and re-approved with a partner outside Jalin: kukar reads it no more.
    await env.process(approved("p-1", *PLANNED, when=at(10), shared_with=None))
    assert set(await seen_by("kukar")) == {"p-2"}
    assert set(await seen_by("sumbar")) == {"p-1", "p-2"}


# -- the list of plans: each with its own rounds and reminders, filtered and paged ----------------

async def test_the_list_gives_each_plan_its_rounds_filters_and_pages(env: Harness) -> None:
    from jalin_evaluation.api import list_plans
    from jalin_kit.auth import Principal
    from starlette.responses import Response

    terms = {"p-a": (date(2027, 1, 1), date(2028, 12, 31)), "p-b": (date(2027, 7, 1), date(2029, 6, 30)),
             "p-c": (date(2030, 1, 1), date(2031, 12, 31))}
    for n, (pid, term) in enumerate(terms.items()):
        await env.process(approved(pid, *term, when=at(n), title=f"Kerja sama {pid} 100%"))
        await env.process(step("pks-signed", pid, at(10 + n), agreement=agreement(*term, agreement_id=f"ag-{pid}"),
                               title=f"Kerja sama {pid} 100%"))
    await env.process(approved("p-k", date(2027, 1, 1), date(2028, 12, 31), tenant="kukar"))
    section = Principal(user_id="ks", tenant_id="sumbar", roles=frozenset({"kerja_sama"}))

    async def listed(**params: Any) -> tuple[list[Any], int]:
        response = Response()
        defaults = {"proposal_id": None, "status": None, "q": None, "round_due_from": None, "round_due_to": None,
                    "limit": 50, "offset": 0}
        async with env.db.tenant_session("sumbar", readonly=True) as s:
            plans = await list_plans(section, s, response, **{**defaults, **params})
        return plans, int(response.headers["x-total-count"])

    plans, total = await listed()
    assert total == 3 and sorted(p.proposal_id for p in plans) == ["p-a", "p-b", "p-c"]  # not kukar's
    for p in plans:  # each plan its own rounds and reminders, as one plan's answer has them
        snap = await env.plan(p.proposal_id)
        assert snap is not None
        assert [(r.number, r.due_on) for r in p.rounds] == [(r.number, r.due_on) for r in snap.rounds]
        assert sorted(r.due_on for r in p.reminders) == sorted(r.due_on for r in snap.reminders)
        assert p.rounds and p.reminders
    first, second = (await listed(limit=2))[0], (await listed(limit=2, offset=2))[0]
    assert len(first) == 2 and len(second) == 1 and {p.id for p in first} | {p.id for p in second} == {p.id for p in plans}
    assert [p.proposal_id for p in (await listed(q="p-b"))[0]] == ["p-b"]
    assert (await listed(q="100%"))[1] == 3 and (await listed(q="1_0"))[1] == 0  # the search's % and _ are text
    in_2030 = await listed(round_due_from=date(2030, 1, 1), round_due_to=date(2030, 12, 31))
    assert [p.proposal_id for p in in_2030[0]] == ["p-c"]
    assert (await listed(round_due_to=date(2027, 1, 1)))[1] == 0
