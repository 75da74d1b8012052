"""The versioned catalogue of integration events: the public contract.

Within a version only additive changes; a breaking change is a new ``.v2`` class
published beside ``.v1`` for a while. Each class knows its aggregate, event name and
CloudEvents type (``id.jalin.<aggregate>.<event>.v<N>``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class IntegrationEvent(BaseModel):
    """Base of every integration event payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    aggregate: ClassVar[str]
    event: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @classmethod
    def ce_type(cls) -> str:
        return f"id.jalin.{cls.aggregate}.{cls.event}.v{cls.schema_version}"

    @classmethod
    def subject_pattern(cls) -> str:
        """The subject every tenant's event of this kind is published on."""
        return f"jalin.*.{cls.aggregate}.{cls.event}"


class Party(BaseModel):
    """A party to a cooperation: a region (tenant or not) or a third party."""

    name: str
    tenant: str | None = None


class ProposalSnapshot(IntegrationEvent):
    """Fields every proposal event carries, so consumers need no call back."""

    proposal_id: str
    tenant: str
    title: str
    kind: str
    proposer: Party = Field(description="The proposing region (the tenant).")
    proposer_unit: str | None = Field(None, description="The proposing OPD (unit id).")
    partner: Party
    objective: str
    scope: str
    term_months: int
    financing: str
    actor: str = Field(description="User id who made the transition.")
    occurred_at: datetime


class ProposalSubmitted(ProposalSnapshot):
    aggregate: ClassVar[str] = "proposal"
    event: ClassVar[str] = "submitted"


class ProposalApproved(ProposalSnapshot):
    aggregate: ClassVar[str] = "proposal"
    event: ClassVar[str] = "approved"

    term_start: date
    term_end: date


class ProposalRejected(ProposalSnapshot):
    aggregate: ClassVar[str] = "proposal"
    event: ClassVar[str] = "rejected"

    reason: str


class DocumentGenerated(IntegrationEvent):
    aggregate: ClassVar[str] = "document"
    event: ClassVar[str] = "generated"

    document_id: str
    tenant: str
    proposal_id: str
    proposal_title: str
    proposer_unit: str | None = None
    kind: str = Field(description="kb (Kesepakatan Bersama), pks, ...")
    version: int
    sha256: str
    size: int
    media_type: str
    generated_at: datetime


class EvaluationDue(IntegrationEvent):
    aggregate: ClassVar[str] = "evaluation"
    event: ClassVar[str] = "due"

    plan_id: str
    reminder_id: str
    tenant: str
    proposal_id: str
    proposal_title: str
    proposer_unit: str | None = None
    term_end: date
    days_before_end: int
    due_on: date


CATALOGUE: tuple[type[IntegrationEvent], ...] = (
    ProposalSubmitted,
    ProposalApproved,
    ProposalRejected,
    DocumentGenerated,
    EvaluationDue,
)


def event_class_for_type(ce_type: str) -> type[IntegrationEvent] | None:
    for cls in CATALOGUE:
        if cls.ce_type() == ce_type:
            return cls
    return None
