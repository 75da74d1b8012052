"""What clients send and get back. Clients never set tenant, stage, status, approver or
the audit fields: unknown fields are refused (422)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from jalin_kit.db import utcnow
from jalin_kit.identifiers import TENANT_ID
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydField

from jalin_proposals.lifecycle import EndReason, Initiator, Kind, KsddType, KsdpkKind, Stage, Status
from jalin_proposals.models import Agreement, HistoryEntry, Proposal


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
        None, max_length=64, pattern=TENANT_ID.schema, description="The partner's Jalin tenant, if any."
    )


class _KindFields(Input):
    ksdd_type: KsddType | None = PydField(None, description="KSDD only: wajib or sukarela (default sukarela).")
    initiator: Initiator | None = PydField(None, description="KSDPK only: region (default) or third_party.")
    ksdpk_kind: KsdpkKind | None = PydField(None, description="KSDPK only (PP art. 15).")
    burdens_public: bool | None = PydField(None, description="Burdens the public and the region (PP art. 6(2)).")
    unbudgeted: bool | None = PydField(None, description="Funding not yet in the current APBD (PP art. 6(2)).")
    liaison_officer: str | None = PydField(None, max_length=200, description="PPKSD named by the OPD head.")

    def check_kind(self, kind: Kind) -> None:
        if self.ksdd_type is not None and kind is not Kind.KSDD:
            raise ValueError("ksdd_type applies to a KSDD only")
        if (self.initiator is not None or self.ksdpk_kind is not None) and kind is not Kind.KSDPK:
            raise ValueError("initiator and ksdpk_kind apply to a KSDPK only")


class ProposalCreate(_KindFields):
    title: str = PydField(min_length=3, max_length=200)
    kind: Kind
    partner: PartnerIn
    objective: str = PydField(min_length=3, max_length=4000, description="Maksud dan tujuan.")
    scope: str = PydField(min_length=3, max_length=4000, description="Ruang lingkup.")
    term_months: int = PydField(ge=1, le=600, description="Jangka waktu, in months.")
    financing: str = PydField(min_length=3, max_length=2000, description="Pembiayaan.")

    @model_validator(mode="after")
    def _kind_fields(self) -> ProposalCreate:
        self.check_kind(self.kind)
        return self


class ProposalUpdate(_KindFields):
    title: str | None = PydField(None, min_length=3, max_length=200)
    kind: Kind | None = None
    partner: PartnerIn | None = None
    objective: str | None = PydField(None, min_length=3, max_length=4000)
    scope: str | None = PydField(None, min_length=3, max_length=4000)
    term_months: int | None = PydField(None, ge=1, le=600)
    financing: str | None = PydField(None, min_length=3, max_length=2000)


def _plausible(value: date | None, back_days: int = 366, ahead_days: int = 5 * 366) -> date | None:
    if value is None:
        return value
    today = utcnow().date()
    if not today - timedelta(days=back_days) <= value <= today + timedelta(days=ahead_days):
        raise ValueError("must lie between a year ago and five years ahead")
    return value


class NoteRequest(Input):
    note: str | None = PydField(None, max_length=2000)
    reference: str | None = PydField(None, max_length=100, description="A letter or decision number, if any.")


class ApproveRequest(Input):
    term_start: date | None = PydField(
        None, description="Planned first day of the term; defaults to the day of approval. At most a year back, five ahead."
    )
    note: str | None = PydField(None, max_length=2000)

    @field_validator("term_start")
    @classmethod
    def _plausible_start(cls, value: date | None) -> date | None:
        return _plausible(value)


class RejectRequest(Input):
    reason: str = PydField(min_length=3, max_length=2000)


class SignRequest(Input):
    """The signing of a KB, PKS, Nota Kesepakatan, foreign agreement or work plan."""

    number_first: str = PydField(min_length=1, max_length=100, description="Our region's number.")
    number_second: str | None = PydField(None, max_length=100, description="The partner's number.")
    signed_on: date
    signed_place: str = PydField(min_length=2, max_length=100)
    signatory_name: str = PydField(min_length=2, max_length=200)
    signatory_title: str = PydField(min_length=2, max_length=200)
    signed_as: Literal["kepala_daerah", "delegate"] = "kepala_daerah"
    power_of_attorney: str | None = PydField(None, max_length=100, description="Surat kuasa number (delegate only).")
    term_start: date | None = PydField(
        None, description="Binding agreements: first day (default: signed_on), within a year of signed_on."
    )
    term_months: int | None = PydField(None, ge=1, le=600, description="Binding agreements: default the proposal's.")
    note: str | None = PydField(None, max_length=2000)

    @field_validator("signed_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > utcnow().date() + timedelta(days=1):
            raise ValueError("signed_on cannot lie in the future")
        if value < date(1990, 1, 1):
            raise ValueError("signed_on is implausibly early")
        return value

    @model_validator(mode="after")
    def _attorney(self) -> SignRequest:
        if self.term_start is not None and abs((self.term_start - self.signed_on).days) > 366:
            raise ValueError("term_start must lie within a year of signed_on")
        if self.signed_as == "delegate" and not self.power_of_attorney:
            raise ValueError("a delegate signs with a power of attorney: give power_of_attorney")
        if self.signed_as == "kepala_daerah" and self.power_of_attorney:
            raise ValueError("power_of_attorney applies to a delegate only")
        return self


class DprdRequest(Input):
    decision_number: str = PydField(min_length=1, max_length=100, description="Nomor keputusan DPRD.")
    decision_date: date
    document_id: str | None = PydField(None, max_length=36, description="The decision's attachment, if uploaded.")
    note: str | None = PydField(None, max_length=2000)

    @field_validator("decision_date")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > utcnow().date() + timedelta(days=1):
            raise ValueError("decision_date cannot lie in the future")
        return value


class TerminateRequest(Input):
    reason: EndReason
    note: str = PydField(min_length=3, max_length=2000)


class CommentRequest(Input):
    text: str = PydField(min_length=1, max_length=4000)


class AddendumRequest(SignRequest):
    summary: str = PydField(min_length=3, max_length=4000, description="What the addendum changes.")
    new_term_end: date | None = PydField(None, description="If the addendum changes the end of the term.")

    @model_validator(mode="after")
    def _no_term_fields(self) -> AddendumRequest:
        if self.term_start is not None or self.term_months is not None:
            raise ValueError("an addendum moves the end of the term with new_term_end; term_start/term_months do not apply")
        return self


class PartnerOut(BaseModel):
    name: str
    tenant: str | None = None


class ProposalPublic(BaseModel):
    id: str
    owner: str = PydField(description="The owning (proposing) tenant.")
    shared_with: str | None = PydField(description="The partner tenant that also sees this cooperation.")
    title: str
    kind: Kind
    ksdd_type: KsddType | None
    initiator: Initiator
    ksdpk_kind: KsdpkKind | None
    burdens_public: bool
    unbudgeted: bool
    dprd_required: bool
    partner: PartnerOut
    objective: str
    scope: str
    term_months: int
    financing: str
    liaison_officer: str | None
    stage: Stage
    status: Status
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
    dprd_number: str | None
    dprd_date: date | None
    dprd_document_id: str | None
    end_reason: EndReason | None
    ended_at: datetime | None
    extends_id: str | None

    @classmethod
    def of(cls, p: Proposal) -> ProposalPublic:
        return cls(
            **{k: getattr(p, k) for k in cls.model_fields if hasattr(p, k) and k not in ("partner",)},
            owner=p.tenant_id,
            partner=PartnerOut(name=p.partner_name, tenant=p.partner_tenant),
        )


class AgreementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    proposal_id: str
    type: str
    amends_id: str | None
    number_first: str
    number_second: str | None
    signed_on: date
    signed_place: str
    signatory_name: str
    signatory_title: str
    signed_as: str
    power_of_attorney: str | None
    term_start: date | None
    term_end: date | None
    summary: str | None
    status: str
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, a: Agreement) -> AgreementPublic:
        return cls.model_validate(a)


class HistoryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    actor_tenant: str
    actor_roles: str
    action: str
    stage_from: str | None
    stage_to: str | None
    note: str | None

    @classmethod
    def of(cls, h: HistoryEntry) -> HistoryPublic:
        return cls.model_validate(h)


class ActionPublic(BaseModel):
    command: str
    target: Stage
    roles: list[str]
    by_partner: bool
    body: str | None = PydField(description="The request body this command takes, if any.")
