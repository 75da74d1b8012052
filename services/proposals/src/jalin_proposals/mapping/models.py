"""Tables of potential mapping. A round and its potentials belong to one tenant only."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from jalin_kit.db import TenantScoped, utcnow
from sqlalchemy import JSON, Column, Text
from sqlmodel import Field

DEFAULT_REMINDER_OFFSETS: tuple[int, ...] = (14, 7, 3, 1)
"""Days before a round's deadline at which units that have not submitted are reminded."""


def new_id() -> str:
    return str(uuid.uuid4())


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class MappingRound(TenantScoped, table=True):
    """A mapping round (putaran pemetaan potensi) the cooperation section opens for its OPDs."""

    __tablename__ = "mapping_rounds"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    title: str = Field(max_length=200)
    year: int
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    deadline: date = Field(index=True)
    """The last day on which potentials are accepted."""
    reminder_offsets_days: list[int] = Field(
        default_factory=lambda: list(DEFAULT_REMINDER_OFFSETS), sa_column=Column(JSON, nullable=False)
    )
    status: str = Field(default=RoundStatus.OPEN.value, max_length=16, index=True)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    closed_by: str | None = Field(default=None, max_length=128)
    """Who closed it: a user, or ``jalin`` when the deadline passed."""
    closed_at: datetime | None = None


class Potential(TenantScoped, table=True):
    """A cooperation potential an OPD submits in a round."""

    __tablename__ = "potentials"
    __unit_column__ = "unit"  # an OPD's potentials are that OPD's (jalin_kit.db)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    round_id: str = Field(foreign_key="mapping_rounds.id", index=True, max_length=36)
    unit: str = Field(max_length=64, index=True)
    affair: str = Field(max_length=64)
    """A government affair of UU 23/2014 art. 12 (``mapping/affairs.py``)."""
    title: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    benefit: str = Field(sa_column=Column(Text, nullable=False))
    """The externality across regions, or the benefit cooperation brings."""
    candidate_partners: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """``[{"name": ..., "tenant": ... | null}]``"""
    submitted_by: str = Field(max_length=128)
    submitted_at: datetime = Field(default_factory=utcnow)
    proposal_id: str | None = Field(default=None, foreign_key="proposals.id", max_length=36)
    """The proposal it became, if any."""
    proposed_by: str | None = Field(default=None, max_length=128)
    proposed_at: datetime | None = None


class MappingReminder(TenantScoped, table=True):
    """What the scanner did at one reminder offset of a round: at most once per (round, offset)."""

    __tablename__ = "mapping_reminders"

    round_id: str = Field(foreign_key="mapping_rounds.id", primary_key=True, max_length=36)
    days_before: int = Field(primary_key=True)
    outcome: str = Field(max_length=16)
    """``sent`` (an event was recorded), ``none_missing`` (every unit had submitted) or
    ``superseded`` (the scanner was away and a later offset was due: only that one is sent)."""
    missing_units: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    event_id: str | None = Field(default=None, max_length=36)
    at: datetime = Field(default_factory=utcnow)


class ReminderOutcome(StrEnum):
    SENT = "sent"
    NONE_MISSING = "none_missing"
    SUPERSEDED = "superseded"


TABLES = ("mapping_rounds", "potentials", "mapping_reminders")
