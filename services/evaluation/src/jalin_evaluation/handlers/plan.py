"""Recording a fact and bringing the plan in line: the plan is what all the facts recorded
for its cooperation call for (:func:`jalin_evaluation.domain.fold`), with its rounds and
reminders, shared with the partner region the latest event names."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import structlog
from jalin_kit.consumers import EventContext
from jalin_kit.db import utcnow
from jalin_kit.events.catalogue import ProposalSnapshot
from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_evaluation.deps import Deps
from jalin_evaluation.domain import (
    SCHEDULED,
    Effect,
    Fact,
    PlanState,
    PlanStatus,
    due_reminders,
    fold,
    plan_rounds,
)
from jalin_evaluation.handlers.facts import PELAKSANAAN, aware
from jalin_evaluation.models import EvaluationRound, LifecycleEvent, Plan, Reminder

log = structlog.get_logger(__name__)


def _lock_key(tenant: str, proposal_id: str) -> int:
    digest = hashlib.blake2b(f"jalin-evaluation:{tenant}:{proposal_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def _lock_cooperation(session: AsyncSession, tenant: str, proposal_id: str) -> None:
    """Serialise the handlers of one cooperation: two events of it handled at once by two
    consumers (or replicas) would each fold without the other's fact. On SQLite the one
    writer connection serialises them already."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(tenant, proposal_id)})


async def apply_fact(ctx: EventContext, event: ProposalSnapshot, fact: Fact | None) -> None:
    """Record ``fact`` of ``event`` and make the plan what all recorded facts call for."""
    if fact is None:
        log.info("plan.event_ignored", event_type=type(event).ce_type(), proposal_id=event.proposal_id)
        return
    session, deps = ctx.session, Deps.of(ctx.deps)
    await _lock_cooperation(session, event.tenant, event.proposal_id)
    plan = (await session.exec(select(Plan).where(Plan.proposal_id == event.proposal_id))).first()
    known = (
        await session.exec(select(LifecycleEvent.id).where(LifecycleEvent.proposal_id == event.proposal_id).limit(1))
    ).first()
    if plan is not None and known is None and plan.status in SCHEDULED:
        session.add(_baseline(plan, fact))
    session.add(
        LifecycleEvent(
            tenant_id=event.tenant,
            proposal_id=event.proposal_id,
            event_id=ctx.envelope.id,
            event_type=f"{event.aggregate}.{event.event}",
            stage=event.stage[:32] if event.stage else None,
            effect=fact.effect.value,
            occurred_at=fact.occurred_at,
            term_start=fact.term_start,
            term_end=fact.term_end,
            signed_on=fact.signed_on,
            agreement_id=fact.agreement_id,
            reason=fact.reason[:64] if fact.reason else None,
            note=fact.note,
        )
    )
    await session.flush()
    rows = (
        await session.exec(
            select(LifecycleEvent)
            .where(LifecycleEvent.proposal_id == event.proposal_id)
            .order_by(col(LifecycleEvent.id))
        )
    ).all()
    facts = [_fact_of(row) for row in rows]
    state = fold(facts)
    newest = max(f.occurred_at for f in facts) <= fact.occurred_at
    if state is None:
        if plan is not None:  # cannot happen with a sane history; never leave a plan firing
            await _close(session, plan, PlanStatus.CANCELLED, "no_longer_planned", None)
        return
    if state.term_end < state.term_start:
        raise ValueError(f"term ends ({state.term_end}) before it starts ({state.term_start})")
    if plan is None:
        plan = Plan(
            tenant_id=event.tenant,
            proposal_id=event.proposal_id,
            proposal_title=event.title,
            proposer_unit=event.proposer_unit,
            term_start=state.term_start,
            term_end=state.term_end,
            rounds_per_year=(await deps.tenants.require(event.tenant)).monev_rounds_per_year,
            status=state.status.value,
            agreement_id=state.agreement_id,
            shared_with=event.shared_with,
        )
        session.add(plan)
        await session.flush()  # rounds and reminders reference it
        if state.status in SCHEDULED:
            await _schedule(session, plan, deps, keep_past=False)
        else:  # ended before we heard it began: a record of the term, nothing to remind
            await _schedule(session, plan, deps, keep_past=False, reminders=False)
            await _close(session, plan, state.status, state.reason, state.note)
        log.info("plan.created", proposal_id=plan.proposal_id, status=plan.status)
        return
    await _update(session, plan, state, deps)
    if newest:  # the title or unit may have changed since the plan was made
        plan.proposal_title, plan.proposer_unit = event.title, event.proposer_unit
        session.add(plan)
    if newest and plan.shared_with != event.shared_with:  # the partner as of the latest step
        await _share(session, plan, event.shared_with)


def _baseline(plan: Plan, fact: Fact) -> LifecycleEvent:
    """A plan made before lifecycle events were recorded (revision 0002, planned on approval
    alone and active since) enters the record as a signing on its term, just before the
    first fact heard of it, so that this fact and later ones apply to it."""
    return LifecycleEvent(
        tenant_id=plan.tenant_id,
        proposal_id=plan.proposal_id,
        event_id=f"baseline:{plan.id}",
        event_type="plan.baseline",
        stage=None if plan.status == PlanStatus.PROVISIONAL else PELAKSANAAN,
        effect=(Effect.APPROVE if plan.status == PlanStatus.PROVISIONAL else Effect.START).value,
        occurred_at=min(aware(plan.created_at), fact.occurred_at) - timedelta(microseconds=1),
        term_start=plan.term_start,
        term_end=plan.term_end,
        agreement_id=plan.agreement_id,
    )


def _fact_of(row: LifecycleEvent) -> Fact:
    return Fact(
        effect=Effect(row.effect),
        occurred_at=aware(row.occurred_at),
        term_start=row.term_start,
        term_end=row.term_end,
        signed_on=row.signed_on,
        under_way=row.stage == PELAKSANAAN,
        reason=row.reason,
        note=row.note,
        agreement_id=row.agreement_id,
        seq=row.id or 0,
    )


async def _update(session: AsyncSession, plan: Plan, state: PlanState, deps: Deps) -> None:
    old = PlanStatus(plan.status)
    term_changed = (plan.term_start, plan.term_end) != (state.term_start, state.term_end)
    if not term_changed and old is state.status and plan.agreement_id == state.agreement_id:
        if state.status not in SCHEDULED and (plan.closed_reason, plan.closed_note) != (state.reason, state.note):
            plan.closed_reason, plan.closed_note = state.reason, state.note
            session.add(plan)
        return  # nothing new: a re-published event, or one that changes nothing
    plan.term_start, plan.term_end = state.term_start, state.term_end
    plan.agreement_id = state.agreement_id
    plan.updated_at = utcnow()
    if state.status in SCHEDULED:
        plan.status = state.status.value
        plan.closed_at = plan.closed_reason = plan.closed_note = None
        plan.rounds_per_year = (await deps.tenants.require(plan.tenant_id)).monev_rounds_per_year
        session.add(plan)
        # Rounds of a running cooperation that are past stay; a provisional plan's were
        # never held (nothing ran), so they are all replanned.
        await _schedule(session, plan, deps, keep_past=old is PlanStatus.ACTIVE)
        log.info("plan.replanned", proposal_id=plan.proposal_id, status=plan.status, term_end=str(plan.term_end))
    else:
        session.add(plan)
        await _close(session, plan, state.status, state.reason, state.note)


async def _close(
    session: AsyncSession, plan: Plan, status: PlanStatus, reason: str | None, note: str | None
) -> None:
    now = utcnow()
    if plan.status != status.value or plan.closed_at is None:
        plan.closed_at = now
    plan.status, plan.closed_reason, plan.closed_note, plan.updated_at = status.value, reason, note, now
    session.add(plan)
    for reminder in await _reminders(session, plan):
        if reminder.fired_at is None and reminder.cancelled_at is None:
            reminder.cancelled_at = now
            session.add(reminder)
    log.info("plan.closed", proposal_id=plan.proposal_id, status=status.value, reason=reason)


async def _reminders(session: AsyncSession, plan: Plan) -> list[Reminder]:
    """The plan's reminders, locked: the due scanner may be firing one of them right now
    (it locks what it fires; we wait and then see it fired)."""
    result = await session.exec(
        select(Reminder)
        .where(Reminder.plan_id == plan.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(result.all())


async def _schedule(
    session: AsyncSession, plan: Plan, deps: Deps, *, keep_past: bool, reminders: bool = True
) -> None:
    """Bring rounds and reminders in line with the plan's term. Fired reminders stay (and
    are not planned again); pending ones that still fit stay; the rest are replaced."""
    today = deps.today()
    config = await deps.tenants.require(plan.tenant_id)  # the region's own offsets, never guessed

    computed = plan_rounds(plan.term_start, plan.term_end, plan.rounds_per_year)
    existing = list(
        (await session.exec(select(EvaluationRound).where(EvaluationRound.plan_id == plan.id))).all()
    )
    kept = [r for r in existing if keep_past and r.due_on < today]
    candidates = [r for r in existing if not (keep_past and r.due_on < today)]
    if keep_past:
        computed = [c for c in computed if c.due_on >= today]
    wanted = {(c.budget_year, c.period, c.period_start, c.due_on): c for c in computed}
    rounds = list(kept)
    for r in candidates:
        if wanted.pop((r.budget_year, r.period, r.period_start, r.due_on), None) is None:
            await session.delete(r)
        else:
            rounds.append(r)
    for c in wanted.values():
        new = EvaluationRound(
            tenant_id=plan.tenant_id,
            shared_with=plan.shared_with,
            plan_id=plan.id,
            number=0,
            budget_year=c.budget_year,
            period=c.period,
            period_start=c.period_start,
            due_on=c.due_on,
        )
        session.add(new)
        rounds.append(new)
    for number, r in enumerate(sorted(rounds, key=lambda r: (r.due_on, r.budget_year, r.period)), start=1):
        if r.number != number:
            r.number = number
            session.add(r)

    current = await _reminders(session, plan)
    fired = {(m.days_before_end, m.due_on) for m in current if m.fired_at is not None}
    desired = (
        {(m.days_before_end, m.due_on) for m in due_reminders(plan.term_start, plan.term_end, config.reminder_offsets_days, today)}
        if reminders
        else set()
    ) - fired
    for reminder in current:
        if reminder.fired_at is not None:
            continue
        key = (reminder.days_before_end, reminder.due_on)
        if key in desired:
            desired.discard(key)
            if reminder.cancelled_at is not None:
                reminder.cancelled_at = None
                session.add(reminder)
        else:
            await session.delete(reminder)
    for days, due in sorted(desired, reverse=True):
        session.add(Reminder(tenant_id=plan.tenant_id, shared_with=plan.shared_with, plan_id=plan.id,
                             days_before_end=days, due_on=due))


async def _share(session: AsyncSession, plan: Plan, partner: str | None) -> None:
    """The partner region on Jalin reads the plan, its rounds and its reminders; a revised
    cooperation whose partner changed (or left Jalin) is no longer shared with the old one.
    A plan made before plans were shared learns its partner from the next event."""
    plan.shared_with = partner
    session.add(plan)
    for model in (EvaluationRound, Reminder):
        await session.exec(
            update(model)
            .where(col(model.plan_id) == plan.id)
            .where(col(model.shared_with).is_distinct_from(partner))
            .values(shared_with=partner)
        )

