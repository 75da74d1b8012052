"""Tables of the proposals service. What clients send and get back is in ``schemas.py``.

A cooperation lives in one tenant (the proposing region, its owner). When the partner is
another tenant, the rows are shared with it from the offer on (``SharedScoped``): the
partner reads the proposal, its agreements and its history, and nothing else.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from jalin_kit.db import SharedScoped, utcnow
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from jalin_proposals.lifecycle import CooperationFlags, Initiator, Kind, Stage, Status, needs_dprd, status_of


def new_id() -> str:
    return str(uuid.uuid4())


class Proposal(SharedScoped, table=True):
    """Usulan kerja sama, and the cooperation it becomes."""

    __tablename__ = "proposals"
    __unit_column__ = "unit"  # an OPD's proposals are that OPD's (jalin_kit.db)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    title: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    ksdd_type: str | None = Field(default=None, max_length=16)
    initiator: str = Field(default=Initiator.REGION.value, max_length=16)
    ksdpk_kind: str | None = Field(default=None, max_length=32)
    burdens_public: bool = False
    unbudgeted: bool = False
    partner_name: str = Field(max_length=200)
    partner_tenant: str | None = Field(default=None, max_length=64)
    objective: str = Field(sa_column=Column(Text, nullable=False))
    scope: str = Field(sa_column=Column(Text, nullable=False))
    term_months: int
    financing: str = Field(sa_column=Column(Text, nullable=False))
    liaison_officer: str | None = Field(default=None, max_length=200)
    stage: str = Field(default=Stage.PERSIAPAN.value, max_length=32, index=True)
    offer_stage: bool | None = None
    """The tenant's lifecycle options when this proposal was created (None: the current ones)."""
    kb_before_pks: bool | None = None
    status: str = Field(default=Status.DRAFT.value, max_length=16, index=True)
    unit: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = None
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    term_start: date | None = None
    term_end: date | None = None
    dprd_number: str | None = Field(default=None, max_length=100)
    dprd_date: date | None = None
    dprd_document_id: str | None = Field(default=None, max_length=36)
    end_reason: str | None = Field(default=None, max_length=32)
    ended_at: datetime | None = None
    extends_id: str | None = Field(default=None, max_length=36, index=True)
    source_key: str | None = Field(default=None, max_length=200)
    """Set for imported cooperations: the register's key, so a re-import adds nothing."""

    __table_args__ = (UniqueConstraint("tenant_id", "source_key", name="uq_proposals_tenant_source_key"),)

    @property
    def flags(self) -> CooperationFlags:
        return CooperationFlags(
            burdens_public=self.burdens_public, unbudgeted=self.unbudgeted, initiator=Initiator(self.initiator)
        )

    @property
    def dprd_required(self) -> bool:
        return needs_dprd(Kind(self.kind), self.flags)

    def enter(self, stage: Stage) -> None:
        """Move to ``stage``; ``status`` is derived from it (stored only to filter lists)."""
        self.stage = stage.value
        self.status = status_of(stage).value


class Agreement(SharedScoped, table=True):
    """A signed KB, PKS, Nota Kesepakatan, Rencana Kerja, or an addendum to one of them."""

    __tablename__ = "agreements"
    __unit_column__ = "unit"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    proposal_id: str = Field(index=True, max_length=36, foreign_key="proposals.id")
    unit: str | None = Field(default=None, max_length=64, index=True, description="The proposal's unit (OPD).")
    type: str = Field(max_length=16)
    amends_id: str | None = Field(default=None, max_length=36)
    number_first: str = Field(max_length=100)
    number_second: str | None = Field(default=None, max_length=100)
    signed_on: date
    signed_place: str = Field(max_length=100)
    signatory_name: str = Field(max_length=200)
    signatory_title: str = Field(max_length=200)
    signed_as: str = Field(max_length=16)
    power_of_attorney: str | None = Field(default=None, max_length=100)
    term_start: date | None = None
    term_end: date | None = None
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default="signed", max_length=16)
    recorded_by: str = Field(max_length=128)
    recorded_at: datetime = Field(default_factory=utcnow)


class HistoryEntry(SharedScoped, table=True):
    """The audit trail: every action on a cooperation, who, when, from which stage, why."""

    __tablename__ = "proposal_history"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: str = Field(index=True, max_length=36)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=128)
    actor_tenant: str = Field(max_length=64)
    actor_roles: str = Field(default="", max_length=255)
    action: str = Field(max_length=64)
    stage_from: str | None = Field(default=None, max_length=32)
    stage_to: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


TABLES = ("proposals", "agreements", "proposal_history")
