"""Tables and schemas. Clients never set tenant, status, approver or dates."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from jalin_kit.db import TenantScoped, utcnow
from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydField
from sqlalchemy import Column, Text
from sqlmodel import Field

from jalin_proposals.domain import ProposalKind, ProposalStatus

TOKEN_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


class Input(BaseModel):
    """Base of what clients send: unknown fields refused, no control characters in text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        if isinstance(value, str) and any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            raise ValueError("must not contain control characters")
        return value


class PartnerIn(Input):

    name: str = PydField(min_length=2, max_length=200)
    tenant: str | None = PydField(
        None, max_length=64, pattern=TOKEN_PATTERN, description="The partner's Jalin tenant, if any."
    )


class ProposalCreate(Input):
    title: str = PydField(min_length=3, max_length=200)
    kind: ProposalKind
    partner: PartnerIn
    objective: str = PydField(min_length=3, max_length=4000, description="Maksud dan tujuan.")
    scope: str = PydField(min_length=3, max_length=4000, description="Ruang lingkup.")
    term_months: int = PydField(ge=1, le=600, description="Jangka waktu, in months.")
    financing: str = PydField(min_length=3, max_length=2000, description="Pembiayaan.")


class ProposalUpdate(Input):
    title: str | None = PydField(None, min_length=3, max_length=200)
    kind: ProposalKind | None = None
    partner: PartnerIn | None = None
    objective: str | None = PydField(None, min_length=3, max_length=4000)
    scope: str | None = PydField(None, min_length=3, max_length=4000)
    term_months: int | None = PydField(None, ge=1, le=600)
    financing: str | None = PydField(None, min_length=3, max_length=2000)


class ApproveRequest(Input):
    term_start: date | None = PydField(
        None, description="First day of the term; defaults to the day of approval. At most a year back, five ahead."
    )
    note: str | None = PydField(None, max_length=2000)

    @field_validator("term_start")
    @classmethod
    def _plausible_start(cls, value: date | None) -> date | None:
        if value is None:
            return value
        today = utcnow().date()
        if not today - timedelta(days=366) <= value <= today + timedelta(days=5 * 366):
            raise ValueError("term_start must lie between a year ago and five years ahead")
        return value


class RejectRequest(Input):
    reason: str = PydField(min_length=3, max_length=2000)


class Proposal(TenantScoped, table=True):
    """Usulan kerja sama."""

    __tablename__ = "proposals"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    title: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    partner_name: str = Field(max_length=200)
    partner_tenant: str | None = Field(default=None, max_length=64)
    objective: str = Field(sa_column=Column(Text, nullable=False))
    scope: str = Field(sa_column=Column(Text, nullable=False))
    term_months: int
    financing: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=ProposalStatus.DRAFT.value, max_length=16, index=True)
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


class ProposalPublic(BaseModel):
    id: str
    title: str
    kind: ProposalKind
    partner: PartnerIn
    objective: str
    scope: str
    term_months: int
    financing: str
    status: ProposalStatus
    unit: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    term_start: date | None
    term_end: date | None

    @classmethod
    def of(cls, p: Proposal) -> ProposalPublic:
        return cls(
            id=p.id,
            title=p.title,
            kind=ProposalKind(p.kind),
            partner=PartnerIn(name=p.partner_name, tenant=p.partner_tenant),
            objective=p.objective,
            scope=p.scope,
            term_months=p.term_months,
            financing=p.financing,
            status=ProposalStatus(p.status),
            unit=p.unit,
            created_by=p.created_by,
            created_at=p.created_at,
            updated_at=p.updated_at,
            submitted_at=p.submitted_at,
            decided_by=p.decided_by,
            decided_at=p.decided_at,
            decision_reason=p.decision_reason,
            term_start=p.term_start,
            term_end=p.term_end,
        )


TABLES = ("proposals",)
