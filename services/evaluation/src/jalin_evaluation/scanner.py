"""The due scanner: reminders that fall due become ``evaluation.due`` events, once.

Firing a reminder sets ``fired_at`` and records the outbox event in one transaction,
so a restart (or a second replica, on PostgreSQL with SKIP LOCKED) never fires it again.
Only reminders of active plans fire (the agreement is signed and under way): a
provisional plan's are held, a cancelled reminder (its plan closed) never fires.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import date

import structlog
from jalin_kit.db import Database, utcnow
from jalin_kit.events import EvaluationDue
from jalin_kit.outbox import record_event
from jalin_kit.runtime import ServiceRuntime
from sqlmodel import col, select

from jalin_evaluation.domain import PlanStatus
from jalin_evaluation.models import Plan, Reminder
from jalin_evaluation.settings import EvaluationSettings

log = structlog.get_logger(__name__)
SOURCE = "/jalin/evaluation"
REMINDER_NAMESPACE = uuid.UUID("6f1c1d9e-3b0a-4f0e-9a57-4b1d2f0c8e11")

Clock = Callable[[], date]


async def fire_due(db: Database, today: date, batch: int = 200) -> int:
    """Fire every reminder due on or before ``today``; returns how many fired."""
    fired = 0
    while True:
        async with db.system_session() as session:
            rows = (
                await session.exec(
                    select(Reminder, Plan)
                    .join(Plan, col(Plan.id) == col(Reminder.plan_id))
                    .where(
                        col(Reminder.fired_at).is_(None),
                        col(Reminder.cancelled_at).is_(None),
                        col(Reminder.due_on) <= today,
                        col(Plan.status) == PlanStatus.ACTIVE.value,
                    )
                    .order_by(col(Reminder.due_on))
                    .limit(batch)
                    .with_for_update(skip_locked=True, of=Reminder)
                )
            ).all()
            if not rows:
                return fired
            now = utcnow()
            for reminder, plan in rows:
                reminder.fired_at = now
                session.add(reminder)
                record_event(
                    session,
                    EvaluationDue(
                        plan_id=plan.id,
                        reminder_id=reminder.id,
                        tenant=plan.tenant_id,
                        proposal_id=plan.proposal_id,
                        proposal_title=plan.proposal_title,
                        proposer_unit=plan.proposer_unit,
                        term_end=plan.term_end,
                        days_before_end=reminder.days_before_end,
                        due_on=reminder.due_on,
                    ),
                    tenant_id=plan.tenant_id,
                    source=SOURCE,
                    correlation_id=plan.proposal_id,
                    event_id=reminder_event_id(reminder.id),
                )
            await session.commit()
            fired += len(rows)
            log.info("reminders.fired", count=len(rows), today=today.isoformat())


def reminder_event_id(reminder_id: str) -> str:
    """The same reminder always yields the same event id (a UUID, as every ce-id)."""
    return str(uuid.uuid5(REMINDER_NAMESPACE, reminder_id))


def settings_clock(settings: EvaluationSettings) -> Clock:
    if settings.today is not None:
        fixed = settings.today
        return lambda: fixed
    return lambda: utcnow().date()


async def due_scanner(runtime: ServiceRuntime) -> None:
    """Background job: scan for due reminders every ``scan_interval_seconds``."""
    settings = runtime.settings
    assert isinstance(settings, EvaluationSettings)
    clock = settings_clock(settings)
    while True:
        await fire_due(runtime.db, clock())
        await asyncio.sleep(settings.scan_interval_seconds)
