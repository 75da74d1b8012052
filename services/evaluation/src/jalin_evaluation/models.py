"""Tables and schemas of the evaluation service."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from jalin_kit.db import SharedScoped, TenantScoped, utcnow
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from jalin_evaluation.domain import PlanStatus


def _uuid() -> str:
    return str(uuid.uuid4())


class Plan(SharedScoped, table=True):
    """The evaluation plan of one cooperation: monev rounds and expiry reminders. A partner
    region on Jalin reads it too (``shared_with``, with its rounds and reminders); only the
    owner's events change it, and only the owner's scanner reminds."""

    __tablename__ = "plans"
    __unit_column__ = "proposer_unit"  # the plan of an OPD's cooperation is that OPD's (jalin_kit.db)
    __table_args__ = (UniqueConstraint("tenant_id", "proposal_id"),)

    id: str = Field(default_factory=_uuid, primary_key=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    proposal_title: str = Field(max_length=200)
    proposer_unit: str | None = Field(default=None, max_length=64)
    term_start: date
    term_end: date
    rounds_per_year: int
    created_at: datetime = Field(default_factory=utcnow)
    # Rows from before the lifecycle events (revision 0002) were planned on approval
    # alone and kept firing: they stay active.
    status: str = Field(
        default=PlanStatus.ACTIVE.value, max_length=16, sa_column_kwargs={"server_default": "active"}
    )
    agreement_id: str | None = Field(default=None, max_length=64)
    """The signed agreement (or addendum) whose term the plan follows."""
    closed_at: datetime | None = None
    closed_reason: str | None = Field(default=None, max_length=64)
    closed_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime | None = None


class EvaluationRound(SharedScoped, table=True):
    """A monev round (monitoring dan evaluasi)."""

    __tablename__ = "evaluation_rounds"

    id: str = Field(default_factory=_uuid, primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=36)
    number: int
    budget_year: int
    period: int
    period_start: date
    due_on: date


class Reminder(SharedScoped, table=True):
    """A reminder before the term ends; ``fired_at`` is set when its event is recorded."""

    __tablename__ = "reminders"

    id: str = Field(default_factory=_uuid, primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=36)
    days_before_end: int
    due_on: date = Field(index=True)
    fired_at: datetime | None = Field(default=None, index=True)
    cancelled_at: datetime | None = None
    """Set when the plan closed (or was re-planned) before the reminder fired: never fires."""


class LifecycleEvent(TenantScoped, table=True):
    """A lifecycle event of a cooperation as the plan sees it: the plan is the fold of these
    in the order they happened (:func:`jalin_evaluation.domain.fold`), so events that arrive
    out of order, through separate consumers, still give the same plan."""

    __tablename__ = "lifecycle_events"
    __table_args__ = (Index("ix_lifecycle_events_tenant_proposal", "tenant_id", "proposal_id"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: str = Field(max_length=36)
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=128)
    stage: str | None = Field(default=None, max_length=32)
    effect: str = Field(max_length=16)
    occurred_at: datetime
    term_start: date | None = None
    term_end: date | None = None
    signed_on: date | None = None
    agreement_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_at: datetime = Field(default_factory=utcnow)


class RoundPublic(BaseModel):
    number: int
    budget_year: int
    period: int
    period_start: date
    due_on: date


class ReminderPublic(BaseModel):
    days_before_end: int
    due_on: date
    fired_at: datetime | None
    cancelled_at: datetime | None = PydanticField(
        None, description="The plan closed before the reminder fired: it never will."
    )


class PlanPublic(BaseModel):
    id: str
    proposal_id: str
    proposal_title: str
    status: PlanStatus = PydanticField(
        description=(
            "provisional: approved, agreement not signed yet (planned on the proposal's term; "
            "reminders held) · active: the signed agreement is under way and the plan follows "
            "its term · closed: the cooperation ended · cancelled: it will not go ahead"
        )
    )
    agreement_id: str | None = PydanticField(None, description="The agreement (or addendum) whose term the plan follows.")
    term_start: date
    term_end: date
    rounds_per_year: int
    rounds: list[RoundPublic]
    reminders: list[ReminderPublic]
    created_at: datetime
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    closed_reason: str | None = PydanticField(
        None,
        description=(
            "Why it closed: the end reason of PP 28/2018 art. 9/22 (term_expired, "
            "objective_achieved, mutual_agreement, ...), or rejected / offer_declined."
        ),
    )
    closed_note: str | None = PydanticField(None, description="The note or rejection reason given, if any.")


TABLES = ("plans", "evaluation_rounds", "reminders", "lifecycle_events")
