"""The versioned catalogue of integration events: the public contract.

Within a version only additive changes; a breaking change is a new ``.v2`` class
published beside ``.v1`` for a while. Each class knows its aggregate, event name and
CloudEvents type (``id.jalin.<aggregate>.<event>.v<N>``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from jalin_kit.tenants.info import TenantInfo

REGISTRY_TENANT = "platform"
"""The subject token of the platform's own events: ``jalin.platform.tenant.changed``."""


class IntegrationEvent(BaseModel):
    """Base of every integration event payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    aggregate: ClassVar[str]
    event: ClassVar[str]
    schema_version: ClassVar[int] = 1
    platform_wide: ClassVar[bool] = False
    """An event of the platform itself, on ``jalin.platform.…`` only (no region's)."""

    @classmethod
    def ce_type(cls) -> str:
        return f"id.jalin.{cls.aggregate}.{cls.event}.v{cls.schema_version}"

    def shared_with_tenant(self) -> str | None:
        """The partner region this event is shared with (a cooperation between two tenants):
        it gets a copy on its own subjects (``envelope.shared_subject``)."""
        return None

    @classmethod
    def subject_pattern(cls) -> str:
        """The subject every tenant's event of this kind is published on."""
        tenant = REGISTRY_TENANT if cls.platform_wide else "*"
        return f"jalin.{tenant}.{cls.aggregate}.{cls.event}"


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
    stage: str | None = Field(None, description="The lifecycle stage after this event (PP 28/2018).")
    actor_tenant: str | None = Field(None, description="The actor's tenant, when the partner region acted.")
    shared_with: str | None = Field(
        None, description="The partner tenant that sees this cooperation (from the offer on), if any: the one to tell."
    )

    def shared_with_tenant(self) -> str | None:
        return self.shared_with


class ProposalDrafted(ProposalSnapshot):
    """A proposal was drafted (by an OPD, from a potential, or to extend a cooperation): the
    services that keep files or plans for proposals learn that it exists, and whose it is."""

    aggregate: ClassVar[str] = "proposal"
    event: ClassVar[str] = "drafted"


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
    stage_from: str | None = Field(None, description="The stage it was rejected at (after the offer: the partner knew it).")


class AgreementRecord(BaseModel):
    """A signed KB, PKS, Nota Kesepakatan, work plan or addendum."""

    agreement_id: str
    type: str = Field(description="kb | pks | nk | rencana_kerja | addendum")
    number_first: str = Field(description="The proposing region's number.")
    number_second: str | None = Field(None, description="The partner's number.")
    signed_on: date
    signed_place: str
    signatory_name: str
    signatory_title: str
    signed_as: str = Field(description="kepala_daerah, or delegate (power of attorney, PKS only)")
    term_start: date | None = None
    term_end: date | None = None


class CooperationStep(ProposalSnapshot):
    """A step of the cooperation lifecycle: which command moved it from which stage."""

    command: str
    stage_from: str
    note: str | None = None
    agreement: AgreementRecord | None = None
    end_reason: str | None = Field(None, description="PP art. 9/22, when the cooperation ends.")


def _step(aggregate: str, event: str, doc: str) -> type[CooperationStep]:
    cls = type(
        "".join(part.capitalize() for part in f"{aggregate}-{event}".split("-")),
        (CooperationStep,),
        {"__doc__": doc, "__module__": __name__, "aggregate": aggregate, "event": event},
    )
    return cls


STEP_EVENTS: dict[tuple[str, str], type[CooperationStep]] = {
    (agg, ev): _step(agg, ev, doc)
    for agg, ev, doc in (
        ("proposal", "revised", "A rejected or declined proposal went back to its draft stage."),
        ("proposal", "offer-accepted", "The partner accepted the offer (surat penawaran)."),
        ("proposal", "offer-declined", "The partner declined the offer."),
        ("proposal", "commented", "A party commented on the cooperation."),
        ("proposal", "consultation-requested", "Foreign: consultation with Mendagri and the foreign ministry requested."),
        ("proposal", "consulted", "Foreign: consultation recorded."),
        ("proposal", "letter-of-intent-signed", "Foreign: letter of intent signed."),
        ("proposal", "work-plan-submitted", "Foreign: rencana kerja sama submitted."),
        ("agreement", "kb-finalized", "The KB (Kesepakatan Bersama) text is final and awaits signing."),
        ("agreement", "kb-signed", "The KB was signed."),
        ("agreement", "dprd-approved", "The DPRD's approval was recorded (number, date, document)."),
        ("agreement", "pks-finalized", "The PKS (Perjanjian Kerja Sama) text is final and awaits signing."),
        ("agreement", "pks-signed", "The PKS was signed: the cooperation is under way."),
        ("agreement", "ministry-verified", "Foreign: Mendagri verified the plan."),
        ("agreement", "text-approved", "Foreign: Mendagri approved the draft text."),
        ("agreement", "confirmed", "Foreign: the foreign ministry confirmed."),
        ("agreement", "signed", "Foreign: the agreement was signed: the cooperation is under way."),
        ("agreement", "nk-finalized", "Central government: the Nota Kesepakatan text is final."),
        ("agreement", "nk-signed", "Central government: the Nota Kesepakatan was signed."),
        ("agreement", "work-plan-adopted", "Central government: the Rencana Kerja was adopted: under way."),
        ("agreement", "amended", "An addendum was signed."),
        ("agreement", "terminated", "Ended early, with a reason of PP art. 9/22."),
        ("agreement", "completed", "Ended: the objective was achieved."),
        ("agreement", "expired", "Ended: the term ran out (the platform's daily check)."),
        ("agreement", "imported", "An existing agreement was imported from a legacy register."),
    )
}


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
    shared_with: str | None = Field(None, description="The partner region that sees the document, if it is a tenant.")

    def shared_with_tenant(self) -> str | None:
        return self.shared_with


class DocumentLocked(IntegrationEvent):
    """A signed scan was uploaded for a generated document: its text is final and locked."""

    aggregate: ClassVar[str] = "document"
    event: ClassVar[str] = "locked"

    document_id: str
    tenant: str = Field(description="The document's owner (the proposing region).")
    proposal_id: str
    kind: str = Field(description="kb (Kesepakatan Bersama), pks, ...")
    version: int
    attachment_id: str = Field(description="The signed scan (an attachment of the documents service).")
    scan_sha256: str
    scan_media_type: str
    partner_tenant: str | None = Field(None, description="The partner region, when it is a tenant and shares the cooperation.")
    locked_by: str = Field(description="User id who uploaded the signed scan.")
    locked_at: datetime

    def shared_with_tenant(self) -> str | None:
        return self.partner_tenant


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


class MappingReminderDue(IntegrationEvent):
    """A mapping round's deadline is near and some units have not submitted potentials."""

    aggregate: ClassVar[str] = "mapping"
    event: ClassVar[str] = "reminder-due"

    round_id: str
    tenant: str
    round_title: str
    deadline: date
    days_before_deadline: int
    missing_units: list[str] = Field(description="Units (OPD ids) that have not submitted a potential yet.")


class TenantChanged(IntegrationEvent):
    """A region was onboarded, changed, disabled or enabled by the platform operator: the
    whole record, so that a copy needs nothing else (``jalin_kit.tenants.registry``)."""

    aggregate: ClassVar[str] = "tenant"
    event: ClassVar[str] = "changed"
    platform_wide: ClassVar[bool] = True

    tenant_id: str
    change: Literal["onboarded", "updated", "disabled", "enabled", "synced"] = Field(
        description="synced: the owner says again what it holds (at each start), for copies that missed an event"
    )
    record: TenantInfo
    changed_by: str = Field(description="The operator (user id) who made the change.")
    changed_at: datetime


CATALOGUE: tuple[type[IntegrationEvent], ...] = (
    ProposalDrafted,
    ProposalSubmitted,
    ProposalApproved,
    ProposalRejected,
    *STEP_EVENTS.values(),
    DocumentGenerated,
    EvaluationDue,
    MappingReminderDue,
    DocumentLocked,
    TenantChanged,
)

PUBLISHERS: dict[str, str] = {
    "proposal": "/jalin/proposals",
    "agreement": "/jalin/proposals",
    "mapping": "/jalin/proposals",
    "tenant": "/jalin/proposals",
    "document": "/jalin/documents",
    "evaluation": "/jalin/evaluation",
}
"""aggregate → the ``ce-source`` of the one service that publishes its events: a consumer
refuses an event whose source could not have published it, and each service's bus user
may publish only its aggregates' subjects."""


def event_class_for_type(ce_type: str) -> type[IntegrationEvent] | None:
    for cls in CATALOGUE:
        if cls.ce_type() == ce_type:
            return cls
    return None
