"""The plan follows the cooperation's lifecycle: every rule through the consumer pipeline
(inbox, handler, transaction) on a real database (``env`` of conftest.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from jalin_evaluation.handlers import build_consumers
from jalin_evaluation.scanner import fire_due
from jalin_kit.events import (
    STEP_EVENTS,
    EvaluationDue,
    ProposalApproved,
    ProposalRejected,
    TenantChanged,
)
from jalin_kit.tenants import TenantDirectory, TenantInfo

from services.evaluation.tests.conftest import (
    PKS,
    PLANNED,
    Harness,
    agreement,
    approved,
    at,
    outbox,
    planned_rounds,
    rejected,
    reminders_for,
    rounds_of,
    signed_plan,
    step,
)

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
    registrations = build_consumers().registrations
    assert {name: reg.event_cls for name, reg in registrations.items()} == expected
    assert all(reg.description for reg in registrations.values())


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
    env.use(TenantDirectory(
        {"sumbar": TenantInfo(id="sumbar", name="Sumbar", head_title="Gubernur", seat="Padang", email_domain="s.id",
                              monev_rounds_per_year=4, reminder_offsets_days=[30, 0])}
    ))
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
