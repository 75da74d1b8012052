"""Mapping rounds: reminders before the deadline, and closing after it.

For each open round, at each reminder offset (days before the deadline) when some of the
region's units have not submitted a potential, one ``mapping.reminder-due`` event is
recorded through the outbox (the notifications service turns it into messages). What was
done at an offset is stored (``mapping_reminders``, primary key round + offset) in the
event's transaction, and the event id is derived from the round and the offset, so a
reminder is recorded once even across restarts and replicas.

Offsets whose day lies before the round was created never fire. If the scanner was away
over several offsets, only the latest due one fires (the others are recorded as
superseded): one reminder that tells the truth about the days left, not a burst of stale ones.
A round still open after its deadline is closed.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date

import structlog
from jalin_kit.db import Database, get_scoped, utcnow
from jalin_kit.events import MappingReminderDue
from jalin_kit.outbox import record_event
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import TenantDirectory
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals.mapping.models import MappingReminder, MappingRound, Potential, ReminderOutcome, RoundStatus
from jalin_proposals.settings import ProposalsSettings

log = structlog.get_logger(__name__)

SOURCE = "/jalin/proposals"
CLOSED_BY = "jalin"


def reminder_event_id(round_id: str, days_before: int) -> str:
    """The outbox id (= ``ce-id`` = ``Nats-Msg-Id``) of a round's reminder at an offset."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:jalin:mapping-round:{round_id}:reminder:{days_before}"))


def due_offsets(r: MappingRound, today: date, done: set[int]) -> list[int]:
    """Offsets whose day has come, not before the round's creation, not yet handled;
    the latest (smallest) first."""
    created = r.created_at.date()
    days_left = (r.deadline - today).days
    return sorted(
        o for o in set(r.reminder_offsets_days)
        if o >= days_left and (r.deadline.toordinal() - o) >= created.toordinal() and o not in done
    )


@dataclass
class ScanResult:
    reminders: int = 0
    closed: int = 0


async def _scan_round(session: AsyncSession, round_id: str, tenants: TenantDirectory, today: date) -> ScanResult:
    result = ScanResult()
    r = await get_scoped(session, MappingRound, round_id, for_update=True)
    if r is None or r.status != RoundStatus.OPEN.value:
        return result  # closed meanwhile
    if today > r.deadline:
        r.status, r.closed_by, r.closed_at = RoundStatus.CLOSED.value, CLOSED_BY, utcnow()
        session.add(r)
        result.closed = 1
        log.info("mapping.round_closed", round_id=r.id, tenant=r.tenant_id, deadline=r.deadline.isoformat())
        return result
    done = set((await session.exec(select(MappingReminder.days_before).where(MappingReminder.round_id == r.id))).all())
    due = due_offsets(r, today, done)
    if not due:
        return result
    latest, stale = due[0], due[1:]
    submitted = set((await session.exec(select(Potential.unit).where(Potential.round_id == r.id).distinct())).all())
    missing = [u for u in tenants.get(r.tenant_id).units if u not in submitted]
    for o in stale:
        session.add(MappingReminder(tenant_id=r.tenant_id, round_id=r.id, days_before=o,
                                    outcome=ReminderOutcome.SUPERSEDED.value, missing_units=missing))
    if not missing:
        session.add(MappingReminder(tenant_id=r.tenant_id, round_id=r.id, days_before=latest,
                                    outcome=ReminderOutcome.NONE_MISSING.value))
        return result
    event_id = reminder_event_id(r.id, latest)
    days_left = (r.deadline - today).days
    record_event(
        session,
        MappingReminderDue(round_id=r.id, tenant=r.tenant_id, round_title=r.title, deadline=r.deadline,
                           days_before_deadline=days_left, missing_units=missing),
        tenant_id=r.tenant_id, source=SOURCE, correlation_id=r.id, event_id=event_id,
    )
    session.add(MappingReminder(tenant_id=r.tenant_id, round_id=r.id, days_before=latest,
                                outcome=ReminderOutcome.SENT.value, missing_units=missing, event_id=event_id))
    result.reminders = 1
    log.info("mapping.reminder_due", round_id=r.id, tenant=r.tenant_id, days_before=latest, missing=len(missing))
    return result


async def scan_mapping(db: Database, tenants: TenantDirectory, today: date) -> ScanResult:
    """Remind and close the open rounds as of ``today``; each round in its own transaction."""
    total = ScanResult()
    async with db.system_session() as session:
        rounds = (await session.exec(
            select(MappingRound.id, MappingRound.tenant_id)
            .where(MappingRound.status == RoundStatus.OPEN.value)
            .order_by(col(MappingRound.deadline))
        )).all()
    for round_id, tenant in rounds:
        async with db.tenant_session(tenant) as session:
            res = await _scan_round(session, round_id, tenants, today)
            await session.commit()
        total.reminders += res.reminders
        total.closed += res.closed
    return total


async def mapping_scanner(runtime: ServiceRuntime) -> None:
    """Background job: scan the mapping rounds every ``mapping_scan_interval_seconds``."""
    settings = runtime.settings
    assert isinstance(settings, ProposalsSettings)
    while True:  # first wait: start-up is not the moment for a sweep, and a stop rarely cuts one short
        await asyncio.sleep(settings.mapping_scan_interval_seconds)
        await scan_mapping(runtime.db, runtime.tenants, settings.today or utcnow().date())
