"""HTTP routes under /v1/plans."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Response
from jalin_kit.auth import CurrentPrincipal
from jalin_kit.db import get_scoped
from jalin_kit.http import IdQuery, ObjectId, TenantReadSession, not_found
from jalin_kit.openapi import NOT_FOUND
from jalin_kit.text import Day, contains, search_words
from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from jalin_evaluation import access
from jalin_evaluation.domain import PlanStatus
from jalin_evaluation.models import EvaluationRound, Plan, PlanPublic, Reminder, ReminderPublic, RoundPublic

router = APIRouter(prefix="/v1/plans", tags=["evaluation"])


async def _public(session: TenantReadSession, plans: Sequence[Plan]) -> list[PlanPublic]:
    """The plans with their rounds and reminders: three queries, whatever the number of plans."""
    ids = [p.id for p in plans]
    rounds: dict[str, list[RoundPublic]] = defaultdict(list)
    reminders: dict[str, list[ReminderPublic]] = defaultdict(list)
    if ids:
        round_query = select(EvaluationRound).where(col(EvaluationRound.plan_id).in_(ids)).order_by(
            col(EvaluationRound.number))
        for r in (await session.exec(round_query)).all():
            rounds[r.plan_id].append(RoundPublic.model_validate(r, from_attributes=True))
        reminder_query = select(Reminder).where(col(Reminder.plan_id).in_(ids)).order_by(col(Reminder.due_on))
        for m in (await session.exec(reminder_query)).all():
            reminders[m.plan_id].append(ReminderPublic.model_validate(m, from_attributes=True))
    return [
        PlanPublic(
            id=plan.id,
            proposal_id=plan.proposal_id,
            proposal_title=plan.proposal_title,
            status=PlanStatus(plan.status),
            agreement_id=plan.agreement_id,
            term_start=plan.term_start,
            term_end=plan.term_end,
            rounds_per_year=plan.rounds_per_year,
            rounds=rounds[plan.id],
            reminders=reminders[plan.id],
            created_at=plan.created_at,
            updated_at=plan.updated_at,
            closed_at=plan.closed_at,
            closed_reason=plan.closed_reason,
            closed_note=plan.closed_note,
        )
        for plan in plans
    ]


@router.get("", response_model=list[PlanPublic], responses={200: {
    "description": "The page asked for, newest first.",
    "headers": {"X-Total-Count": {"description": "How many plans the filters match (all pages).",
                                  "schema": {"type": "integer"}}}}})
async def list_plans(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    response: Response,
    proposal_id: IdQuery = None,
    status: PlanStatus | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in the cooperation's title.")] = None,
    round_due_from: Annotated[Day | None, Query(description="With a monev round due on or after this day.")] = None,
    round_due_to: Annotated[Day | None, Query(description="With a monev round due on or before this day.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[PlanPublic]:
    access.require("plan.read", principal)
    conditions: list[ColumnElement[bool]] = []
    if proposal_id is not None:
        conditions.append(col(Plan.proposal_id) == proposal_id)
    if status is not None:
        conditions.append(col(Plan.status) == status.value)
    if words := search_words(q):
        conditions.append(contains(col(Plan.proposal_title), words))
    if round_due_from is not None or round_due_to is not None:
        rounds = select(EvaluationRound.plan_id)
        if round_due_from is not None:
            rounds = rounds.where(EvaluationRound.due_on >= round_due_from)
        if round_due_to is not None:
            rounds = rounds.where(EvaluationRound.due_on <= round_due_to)
        conditions.append(col(Plan.id).in_(rounds))
    query = select(Plan).where(*conditions).order_by(col(Plan.created_at).desc(), col(Plan.id)).limit(limit).offset(offset)
    total = await session.scalar(select(func.count(col(Plan.id))).where(*conditions))
    response.headers["X-Total-Count"] = str(total or 0)
    return await _public(session, (await session.exec(query)).all())


@router.get("/{plan_id}", response_model=PlanPublic, responses=NOT_FOUND)
async def get_plan(plan_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession) -> PlanPublic:
    access.require("plan.read", principal)
    plan = await get_scoped(session, Plan, plan_id)
    if plan is None:
        raise not_found("plan")
    return (await _public(session, [plan]))[0]
