"""What clients send and get back in potential mapping. Unknown fields are refused (422)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from jalin_kit.text import Day, Text
from pydantic import BaseModel, field_validator, model_validator
from pydantic import Field as PydField

from jalin_proposals.lifecycle import Kind
from jalin_proposals.mapping import affairs
from jalin_proposals.mapping.models import MappingReminder, Potential
from jalin_proposals.schemas import MAX_TERM_MONTHS, TERM_MONTHS, Input, PartnerIn, PartnerOut, _KindFields

MAX_OFFSET_DAYS = 366
"""Reminder offsets are days before the deadline, 0 to 366 (as a region's setting allows)."""

AffairId = StrEnum("AffairId", {a.id: a.id for a in affairs.AFFAIRS})  # type: ignore[misc]
"""The concurrent government affairs of UU 23/2014 art. 12 (GET /v1/government-affairs), as an enum."""


def _known_affair(value: Any) -> Any:
    """The law's list in words, rather than the enum's long list of values."""
    if isinstance(value, str):
        affairs.check(value)
    return value


Affair = Annotated[AffairId, PydField(description="A government affair of UU 23/2014 art. 12 (GET /v1/government-affairs).")]


class RoundCreate(Input):
    title: Text = PydField(min_length=3, max_length=200, examples=["Pemetaan Potensi Kerja Sama 2027"])
    year: int = PydField(ge=2000, le=2100, description="The budget year the potentials are for.")
    deadline: Day = PydField(description="The last day on which OPDs submit potentials: from today to two years ahead.")
    description: Text | None = PydField(None, max_length=4000)
    reminder_offsets_days: list[Annotated[int, PydField(ge=0, le=MAX_OFFSET_DAYS)]] | None = PydField(
        None,
        max_length=10,
        description="Days before the deadline (0 to 366) at which units that have not submitted are reminded "
        "(default: the region's setting, 14, 7, 3 and 1 unless it says otherwise).",
    )

    @field_validator("reminder_offsets_days")
    @classmethod
    def _offsets(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        return checked_offsets(value)


def checked_offsets(value: list[int]) -> list[int]:
    if any(not 0 <= v <= MAX_OFFSET_DAYS for v in value):
        raise ValueError(f"reminder offsets are days before the deadline, from 0 to {MAX_OFFSET_DAYS}")
    return sorted(set(value), reverse=True)


class PotentialCreate(Input):
    affair: Affair
    title: Text = PydField(min_length=3, max_length=200)
    description: Text = PydField(min_length=3, max_length=4000)
    benefit: Text = PydField(
        min_length=3, max_length=4000, description="The externality across regions, or the benefit of cooperating."
    )
    candidate_partners: list[PartnerIn] = PydField(default_factory=list, max_length=20)

    @field_validator("affair", mode="before")
    @classmethod
    def _affair(cls, value: Any) -> Any:
        return _known_affair(value)


class PotentialPropose(_KindFields):
    """A proposal from a potential: the title and objective default from the potential
    (its title, its benefit), the partner from its first candidate partner."""

    kind: Kind
    partner: PartnerIn | None = PydField(None, description="Default: the potential's first candidate partner.")
    title: Text | None = PydField(None, min_length=3, max_length=200, description="Default: the potential's title.")
    objective: Text | None = PydField(
        None, min_length=3, max_length=4000, description="Maksud dan tujuan. Default: the potential's benefit."
    )
    scope: Text = PydField(min_length=3, max_length=4000, description="Ruang lingkup.")
    term_months: int = PydField(ge=1, le=MAX_TERM_MONTHS, description=TERM_MONTHS)
    financing: Text = PydField(min_length=3, max_length=2000, description="Pembiayaan.")

    @model_validator(mode="after")
    def _kind_fields(self) -> PotentialPropose:
        self.check_kind(self.kind)
        return self


class AffairPublic(BaseModel):
    id: str
    name_id: str
    name_en: str
    group: affairs.AffairGroup
    article: str = PydField(description="Where UU 23/2014 lists it, e.g. 12(1)(a).")

    @classmethod
    def of(cls, a: affairs.Affair) -> AffairPublic:
        return cls(id=a.id, name_id=a.name_id, name_en=a.name_en, group=a.group, article=a.article)


class RoundCounts(BaseModel):
    potentials: int
    units_total: int = PydField(description="The region's units (OPDs) in the tenant directory.")
    units_submitted: int = PydField(description="Units with at least one potential in the round.")
    units_missing: int = PydField(description="Units of the directory without a potential yet.")
    proposed: int = PydField(description="Potentials that became proposals.")


class ReminderPublic(BaseModel):
    days_before: int
    outcome: str
    missing_units: list[str]
    at: datetime

    @classmethod
    def of(cls, r: MappingReminder) -> ReminderPublic:
        return cls(days_before=r.days_before, outcome=r.outcome, missing_units=list(r.missing_units), at=r.at)


class RoundPublic(BaseModel):
    id: str
    title: str
    year: int
    description: str | None
    deadline: date
    reminder_offsets_days: list[int]
    status: str = PydField(description="open or closed (by the section, or automatically after the deadline).")
    accepting: bool = PydField(description="Open and the deadline not passed: OPDs may submit.")
    created_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    counts: RoundCounts


class RoundDetail(RoundPublic):
    reminders: list[ReminderPublic] = PydField(description="What the reminder scanner did at each offset so far.")


class MissingUnit(BaseModel):
    unit: str
    name: str


class PotentialPublic(BaseModel):
    id: str
    round_id: str
    unit: str
    unit_name: str
    affair: str
    affair_name: str
    affair_group: affairs.AffairGroup | None
    title: str
    description: str
    benefit: str
    candidate_partners: list[PartnerOut]
    submitted_by: str
    submitted_at: datetime
    proposal_id: str | None
    proposed_by: str | None
    proposed_at: datetime | None

    @classmethod
    def of(cls, p: Potential, unit_name: str) -> PotentialPublic:
        affair = affairs.get(p.affair)
        return cls(
            id=p.id, round_id=p.round_id, unit=p.unit, unit_name=unit_name, affair=p.affair,
            affair_name=affair.name_id if affair else p.affair, affair_group=affair.group if affair else None,
            title=p.title, description=p.description, benefit=p.benefit,
            candidate_partners=[PartnerOut.model_validate(c) for c in p.candidate_partners],
            submitted_by=p.submitted_by, submitted_at=p.submitted_at, proposal_id=p.proposal_id,
            proposed_by=p.proposed_by, proposed_at=p.proposed_at,
        )
