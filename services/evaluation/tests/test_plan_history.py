"""Plans whatever the order their events arrive in, plans made before the lifecycle was
recorded, and who sees a plan: through the consumer pipeline on a real database."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, timedelta
from typing import Any

from jalin_evaluation.models import EvaluationRound, Plan, Reminder
from jalin_evaluation.scanner import fire_due
from jalin_kit.db import WHOLE_TENANT
from jalin_kit.events import (
    IntegrationEvent,
    Party,
)
from sqlmodel import select

from services.evaluation.tests.conftest import (
    PKS,
    PLANNED,
    T0,
    Harness,
    agreement,
    approved,
    at,
    outbox,
    planned_rounds,
    reminders_for,
    rounds_of,
    step,
)


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
