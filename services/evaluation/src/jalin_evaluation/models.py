"""Tables and schemas of the evaluation service."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from jalin_kit.db import TenantScoped, utcnow
from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field


def _uuid() -> str:
    return str(uuid.uuid4())


class Plan(TenantScoped, table=True):
    """The evaluation plan of one cooperation: monev rounds and expiry reminders."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("tenant_id", "proposal_id"),)

    id: str = Field(default_factory=_uuid, primary_key=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    proposal_title: str = Field(max_length=200)
    proposer_unit: str | None = Field(default=None, max_length=64)
    term_start: date
    term_end: date
    rounds_per_year: int
    created_at: datetime = Field(default_factory=utcnow)


class EvaluationRound(TenantScoped, table=True):
    """A monev round (monitoring dan evaluasi)."""

    __tablename__ = "evaluation_rounds"

    id: str = Field(default_factory=_uuid, primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=36)
    number: int
    budget_year: int
    period: int
    period_start: date
    due_on: date


class Reminder(TenantScoped, table=True):
    """A reminder before the term ends; ``fired_at`` is set when its event is recorded."""

    __tablename__ = "reminders"

    id: str = Field(default_factory=_uuid, primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=36)
    days_before_end: int
    due_on: date = Field(index=True)
    fired_at: datetime | None = Field(default=None, index=True)


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


class PlanPublic(BaseModel):
    id: str
    proposal_id: str
    proposal_title: str
    term_start: date
    term_end: date
    rounds_per_year: int
    rounds: list[RoundPublic]
    reminders: list[ReminderPublic]
    created_at: datetime


TABLES = ("plans", "evaluation_rounds", "reminders")
