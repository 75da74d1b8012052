"""The due scanner on a real database: each reminder fires once, also after a restart; only
active plans' reminders fire, and a cancelled one never does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import pytest
from jalin_evaluation.domain import PlanStatus, plan_reminders
from jalin_evaluation.models import Plan, Reminder
from jalin_evaluation.scanner import SOURCE, fire_due, reminder_event_id
from jalin_kit.db import Database, utcnow
from jalin_kit.events import EvaluationDue
from jalin_kit.outbox import OutboxMessage
from sqlmodel import SQLModel, col, select

TABLES = [SQLModel.metadata.tables[n] for n in ("plans", "evaluation_rounds", "reminders", "outbox")]
START = date(2026, 11, 23)
END = date(2028, 11, 23)
# 90/60/30/7/0 days before 23 November 2028
DUE = {90: date(2028, 8, 25), 60: date(2028, 9, 24), 30: date(2028, 10, 24), 7: date(2028, 11, 16), 0: END}


async def add_plan(
    db: Database, tenant: str = "sumbar", proposal_id: str = "p-1", start: date = START, end: date = END
) -> dict[int, str]:
    """A plan with the default reminders; returns reminder id by days before the end."""
    async with db.tenant_session(tenant) as s:
        plan = Plan(
            tenant_id=tenant,
            proposal_id=proposal_id,
            proposal_title="Jalan & Jembatan <Tahap 1>",
            proposer_unit="dpupr",
            term_start=start,
            term_end=end,
            rounds_per_year=2,
        )
        s.add(plan)
        await s.flush()
        reminders = [
            Reminder(tenant_id=tenant, plan_id=plan.id, days_before_end=r.days_before_end, due_on=r.due_on)
            for r in plan_reminders(start, end, [90, 60, 30, 7, 0])
        ]
        s.add_all(reminders)
        await s.commit()
        return {r.days_before_end: r.id for r in reminders}


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.system_session() as s:
        return list((await s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all())


async def fired(db: Database) -> dict[str, bool]:
    async with db.system_session() as s:
        return {r.id: r.fired_at is not None for r in (await s.exec(select(Reminder))).all()}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.create_all(TABLES)
    try:
        yield database
    finally:
        await database.dispose()


async def test_reminders_not_yet_due_are_not_fired(db: Database) -> None:
    await add_plan(db)
    assert await fire_due(db, date(2028, 8, 24)) == 0  # the day before the 90-day reminder
    assert await fire_due(db, START) == 0
    assert await outbox(db) == []
    assert set((await fired(db)).values()) == {False}


async def test_due_reminder_fires_once_with_evaluation_due_event_named_after_it(
    db: Database
) -> None:
    ids = await add_plan(db)
    assert await fire_due(db, DUE[90]) == 1

    [row] = await outbox(db)
    assert row.id == reminder_event_id(ids[90])
    assert row.type == "id.jalin.evaluation.due.v1"
    assert row.subject == "jalin.sumbar.evaluation.due"
    assert (row.tenant_id, row.source, row.correlation_id) == ("sumbar", SOURCE, "p-1")
    event = EvaluationDue.model_validate_json(row.data)
    assert event.reminder_id == ids[90]
    assert (event.days_before_end, event.due_on, event.term_end) == (90, DUE[90], END)
    assert (event.tenant, event.proposal_id, event.proposer_unit) == ("sumbar", "p-1", "dpupr")
    assert event.proposal_title == "Jalan & Jembatan <Tahap 1>"
    state = await fired(db)
    assert state[ids[90]] is True
    assert [state[ids[d]] for d in (60, 30, 7, 0)] == [False] * 4


async def test_calling_again_the_same_day_fires_nothing_more(db: Database) -> None:
    await add_plan(db)
    assert await fire_due(db, DUE[30]) == 3  # 90, 60 and 30 are all due by then
    assert await fire_due(db, DUE[30]) == 0
    assert await fire_due(db, DUE[30]) == 0
    assert len(await outbox(db)) == 3


async def test_after_a_restart_fired_reminders_stay_fired_and_later_ones_fire_once(
    db: Database, database_url: str
) -> None:
    ids = await add_plan(db)
    assert await fire_due(db, DUE[60]) == 2
    await db.dispose()  # the process stops ...

    again = Database(database_url)  # ... and a new one opens the same store
    try:
        assert await fire_due(again, DUE[60]) == 0
        assert await fire_due(again, DUE[7]) == 2  # 30 and 7
        assert await fire_due(again, DUE[7]) == 0
    finally:
        await again.dispose()

    third = Database(database_url)
    try:
        assert await fire_due(third, date(2029, 1, 1)) == 1  # only the last one is left
        assert await fire_due(third, date(2029, 1, 1)) == 0
        rows = await outbox(third)
        assert sorted(r.id for r in rows) == sorted(reminder_event_id(i) for i in ids.values())
        by_days = {EvaluationDue.model_validate_json(r.data).days_before_end: r for r in rows}
        assert {d: EvaluationDue.model_validate_json(r.data).due_on for d, r in by_days.items()} == DUE
        assert set((await fired(third)).values()) == {True}
    finally:
        await third.dispose()


async def test_every_overdue_reminder_fires_in_one_call_across_batches(
    db: Database
) -> None:
    ids = await add_plan(db)
    other = await add_plan(db, proposal_id="p-2")
    assert await fire_due(db, date(2030, 1, 1), batch=3) == 10
    assert await fire_due(db, date(2030, 1, 1), batch=3) == 0
    assert sorted(r.id for r in await outbox(db)) == sorted(
        reminder_event_id(i) for i in [*ids.values(), *other.values()]
    )


async def test_each_tenant_gets_its_own_events(db: Database) -> None:
    sumbar = await add_plan(db, "sumbar", "p-1")
    kukar = await add_plan(db, "kukar", "p-2")
    assert await fire_due(db, DUE[90]) == 2
    rows = {r.id: r for r in await outbox(db)}
    assert rows[reminder_event_id(sumbar[90])].subject == "jalin.sumbar.evaluation.due"
    assert rows[reminder_event_id(kukar[90])].subject == "jalin.kukar.evaluation.due"
    assert EvaluationDue.model_validate_json(rows[reminder_event_id(kukar[90])].data).tenant == "kukar"
    assert rows[reminder_event_id(kukar[90])].tenant_id == "kukar"


async def test_short_term_fires_only_the_reminders_it_planned(db: Database) -> None:
    ids = await add_plan(db, start=date(2026, 11, 23), end=date(2026, 12, 23))
    assert sorted(ids) == [0, 7, 30]  # 90 and 60 would fall before the start
    assert await fire_due(db, date(2026, 11, 22)) == 0
    assert await fire_due(db, date(2026, 11, 23)) == 1  # the 30-day reminder, on the first day
    assert await fire_due(db, date(2027, 1, 1)) == 2
    assert len(await outbox(db)) == 3


async def test_two_replicas_scanning_at_once_fire_each_reminder_once(
    database_url: str, db: Database
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share the reminders only on PostgreSQL (SQLite has one writer per file)")
    for n in range(4):
        await add_plan(db, proposal_id=f"p-{n}")
    replicas = [Database(database_url) for _ in range(3)]
    try:
        counts = await asyncio.gather(*(fire_due(r, date(2030, 1, 1), batch=2) for r in replicas))
    finally:
        for r in replicas:
            await r.dispose()
    assert sum(counts) == 20
    rows = await outbox(db)
    assert len(rows) == 20 == len({r.id for r in rows})


async def test_reminder_event_id_fits_the_outbox_id_column(db: Database) -> None:
    ids = await add_plan(db)
    await fire_due(db, DUE[90])  # PostgreSQL fails here; SQLite does not enforce VARCHAR lengths
    limit = OutboxMessage.__table__.c.id.type.length  # type: ignore[attr-defined]
    [row] = await outbox(db)
    assert row.id == reminder_event_id(ids[90])
    assert len(row.id) <= limit


async def test_a_cancelled_reminder_never_fires(db: Database) -> None:
    ids = await add_plan(db)
    async with db.system_session() as s:
        reminder = (await s.exec(select(Reminder).where(Reminder.id == ids[30]))).one()
        reminder.cancelled_at = utcnow()
        s.add(reminder)
        await s.commit()
    assert await fire_due(db, date(2030, 1, 1)) == 4
    assert await fire_due(db, date(2030, 1, 1)) == 0
    assert reminder_event_id(ids[30]) not in {r.id for r in await outbox(db)}
    assert (await fired(db))[ids[30]] is False


@pytest.mark.parametrize("status", [PlanStatus.PROVISIONAL, PlanStatus.CLOSED, PlanStatus.CANCELLED])
async def test_only_an_active_plans_reminders_fire(db: Database, status: PlanStatus) -> None:
    """Provisional: the agreement is not signed yet (held). Closed or cancelled: never."""
    await add_plan(db, proposal_id="p-held")
    async with db.system_session() as s:
        plan = (await s.exec(select(Plan).where(Plan.proposal_id == "p-held"))).one()
        plan.status = status.value
        s.add(plan)
        await s.commit()
    running = await add_plan(db, proposal_id="p-running")
    assert await fire_due(db, date(2030, 1, 1)) == 5
    assert sorted(r.id for r in await outbox(db)) == sorted(reminder_event_id(i) for i in running.values())
