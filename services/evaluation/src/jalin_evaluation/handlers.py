"""Event handlers: an approved proposal gets its evaluation plan."""

from __future__ import annotations

from jalin_kit.consumers import EventConsumers, EventContext
from jalin_kit.events import ProposalApproved
from jalin_kit.tenants import TenantDirectory
from sqlmodel import select

from jalin_evaluation.domain import plan_reminders, plan_rounds
from jalin_evaluation.models import EvaluationRound, Plan, Reminder

consumers = EventConsumers(service="evaluation", source="/jalin/evaluation")


class Deps:
    tenants: TenantDirectory


deps = Deps()


@consumers.on(ProposalApproved)
async def create_plan(ctx: EventContext, event: ProposalApproved) -> None:
    """Schedule the monev rounds and the expiry reminders of an approved cooperation."""
    existing = await ctx.session.exec(select(Plan.id).where(Plan.proposal_id == event.proposal_id))
    if existing.first() is not None:
        return  # one plan per cooperation, whatever the event id
    config = deps.tenants.get(event.tenant)
    plan = Plan(
        tenant_id=event.tenant,
        proposal_id=event.proposal_id,
        proposal_title=event.title,
        proposer_unit=event.proposer_unit,
        term_start=event.term_start,
        term_end=event.term_end,
        rounds_per_year=config.monev_rounds_per_year,
    )
    ctx.session.add(plan)
    await ctx.session.flush()  # rounds and reminders reference it
    for r in plan_rounds(event.term_start, event.term_end, config.monev_rounds_per_year):
        ctx.session.add(
            EvaluationRound(
                tenant_id=event.tenant,
                plan_id=plan.id,
                number=r.number,
                budget_year=r.budget_year,
                period=r.period,
                period_start=r.period_start,
                due_on=r.due_on,
            )
        )
    for m in plan_reminders(event.term_start, event.term_end, config.reminder_offsets_days):
        ctx.session.add(
            Reminder(tenant_id=event.tenant, plan_id=plan.id, days_before_end=m.days_before_end, due_on=m.due_on)
        )
