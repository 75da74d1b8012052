"""What clients send and get back. Clients never set tenant, stage, status, approver or
the audit fields: unknown fields are refused (422)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from jalin_kit.db import utcnow
from jalin_kit.http import OBJECT_ID
from jalin_kit.identifiers import TENANT_ID
from jalin_kit.text import Day, Text
from pydantic import BaseModel, ConfigDict, StrictBool, field_validator, model_validator
from pydantic import Field as PydField

from jalin_proposals.lifecycle import DRAFT_STAGES, EndReason, Initiator, Kind, KsddType, KsdpkKind, Stage, Status
from jalin_proposals.models import Agreement, HistoryEntry, Proposal

MAX_TERM_MONTHS = 60
"""The longest term of a cooperation: five years (PP 28/2018; a region's ``max_term_months``
may only lower it, and a lower maximum is checked against the region's setting)."""

TERM_MONTHS = "Jangka waktu, in months: at most 60 (five years), or the region's lower maximum."


class Input(BaseModel):
    """Base of what clients send: unknown fields refused. Text is taken as sent (``Text``:
    no control characters, no whitespace at the ends, lengths counted as sent)."""

    model_config = ConfigDict(extra="forbid")


class PartnerIn(Input):
    name: Text = PydField(min_length=2, max_length=200)
    tenant: str | None = PydField(
        None, max_length=64, pattern=TENANT_ID.schema,
        description="The partner's Jalin tenant: a region onboarded and enabled (GET /v1/tenants), not the proposer. "
        "None for a party outside Jalin.",
    )


def _others(kind: Kind) -> list[str]:
    return [k.value for k in Kind if k is not kind]


def _kind_rules(schema: dict[str, Any]) -> None:
    """``check_kind`` in the schema (JSON Schema if/then): a kind-specific field is null or
    absent when the body names another kind."""
    schema["allOf"] = [
        {"if": {"properties": {"kind": {"enum": _others(Kind.KSDD)}}, "required": ["kind"]},
         "then": {"properties": {"ksdd_type": {"type": "null"}}}},
        {"if": {"properties": {"kind": {"enum": _others(Kind.KSDPK)}}, "required": ["kind"]},
         "then": {"properties": {"initiator": {"type": "null"}, "ksdpk_kind": {"type": "null"}}}},
    ]


class _KindFields(Input):
    model_config = ConfigDict(json_schema_extra=_kind_rules)

    ksdd_type: KsddType | None = PydField(None, description="KSDD only: wajib or sukarela (default sukarela).")
    initiator: Initiator | None = PydField(None, description="KSDPK only: region (default) or third_party.")
    ksdpk_kind: KsdpkKind | None = PydField(None, description="KSDPK only (PP art. 15).")
    burdens_public: StrictBool | None = PydField(None, description="Burdens the public and the region (PP art. 6(2)).")
    unbudgeted: StrictBool | None = PydField(None, description="Funding not yet in the current APBD (PP art. 6(2)).")
    liaison_officer: Text | None = PydField(None, max_length=200, description="PPKSD named by the OPD head.")

    def check_kind(self, kind: Kind) -> None:
        if self.ksdd_type is not None and kind is not Kind.KSDD:
            raise ValueError("ksdd_type applies to a KSDD only")
        if (self.initiator is not None or self.ksdpk_kind is not None) and kind is not Kind.KSDPK:
            raise ValueError("initiator and ksdpk_kind apply to a KSDPK only")


class ProposalCreate(_KindFields):
    title: Text = PydField(min_length=3, max_length=200)
    kind: Kind
    partner: PartnerIn
    objective: Text = PydField(min_length=3, max_length=4000, description="Maksud dan tujuan.")
    scope: Text = PydField(min_length=3, max_length=4000, description="Ruang lingkup.")
    term_months: int = PydField(ge=1, le=MAX_TERM_MONTHS, description=TERM_MONTHS)
    financing: Text = PydField(min_length=3, max_length=2000, description="Pembiayaan.")

    @model_validator(mode="after")
    def _kind_fields(self) -> ProposalCreate:
        self.check_kind(self.kind)
        return self


class ProposalUpdate(_KindFields):
    """Without ``kind``, the stored kind decides which kind-specific fields apply (422 otherwise)."""

    title: Text | None = PydField(None, min_length=3, max_length=200)
    kind: Kind | None = None
    partner: PartnerIn | None = None
    objective: Text | None = PydField(None, min_length=3, max_length=4000)
    scope: Text | None = PydField(None, min_length=3, max_length=4000)
    term_months: int | None = PydField(None, ge=1, le=MAX_TERM_MONTHS, description=TERM_MONTHS)
    financing: Text | None = PydField(None, min_length=3, max_length=2000)

    @model_validator(mode="after")
    def _kind_fields(self) -> ProposalUpdate:
        if self.kind is not None:
            self.check_kind(self.kind)
        return self


def _plausible(value: date | None, back_days: int = 366, ahead_days: int = 5 * 366) -> date | None:
    if value is None:
        return value
    today = utcnow().date()
    if not today - timedelta(days=back_days) <= value <= today + timedelta(days=ahead_days):
        raise ValueError("must lie between a year ago and five years ahead")
    return value


class NoteRequest(Input):
    note: Text | None = PydField(None, max_length=2000)
    reference: Text | None = PydField(None, max_length=100, description="A letter or decision number, if any.")


class ApproveRequest(Input):
    term_start: Day | None = PydField(
        None, description="Planned first day of the term; defaults to the day of approval. At most a year back, five ahead."
    )
    note: Text | None = PydField(None, max_length=2000)

    @field_validator("term_start")
    @classmethod
    def _plausible_start(cls, value: date | None) -> date | None:
        return _plausible(value)


class RejectRequest(Input):
    reason: Text = PydField(min_length=3, max_length=2000)


def _delegate_rules(schema: dict[str, Any]) -> None:
    """A delegate signs with a power of attorney, the kepala daerah without one."""
    schema["allOf"] = [{
        "if": {"properties": {"signed_as": {"const": "delegate"}}, "required": ["signed_as"]},
        "then": {"required": ["power_of_attorney"], "properties": {"power_of_attorney": {"type": "string"}}},
        "else": {"properties": {"power_of_attorney": {"type": "null"}}},
    }]


class SigningRequest(Input):
    number_first: Text = PydField(min_length=1, max_length=100, description="Our region's number.")
    number_second: Text | None = PydField(None, max_length=100, description="The partner's number.")
    signed_on: Day = PydField(description="The day of signing: since 1990, at the latest tomorrow.")
    signed_place: Text = PydField(min_length=2, max_length=100)
    signatory_name: Text = PydField(min_length=2, max_length=200)
    signatory_title: Text = PydField(min_length=2, max_length=200)
    note: Text | None = PydField(None, max_length=2000)

    @field_validator("signed_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > utcnow().date() + timedelta(days=1):
            raise ValueError("signed_on cannot lie in the future")
        if value < date(1990, 1, 1):
            raise ValueError("signed_on is implausibly early")
        return value


class SignRequest(SigningRequest):
    """The signing of a KB or a Nota Kesepakatan: by the kepala daerah; it carries no term."""

    signed_as: Literal["kepala_daerah"] = "kepala_daerah"


class _Binding(SigningRequest):
    term_start: Day | None = PydField(
        None, description="The term's first day (default: signed_on), within a year of signed_on."
    )
    term_months: int | None = PydField(
        None, ge=1, le=MAX_TERM_MONTHS, description="Default: the proposal's. " + TERM_MONTHS
    )

    @model_validator(mode="after")
    def _start_near_signing(self) -> _Binding:
        if self.term_start is not None and abs((self.term_start - self.signed_on).days) > 366:
            raise ValueError("term_start must lie within a year of signed_on")
        return self


class WorkPlanRequest(_Binding):
    """The adoption of a work plan (central-government path): binding, it carries the term."""

    signed_as: Literal["kepala_daerah"] = "kepala_daerah"


class PksSignRequest(_Binding):
    """The signing of a PKS or a foreign agreement: binding, it carries the term; a delegate
    may sign it under a power of attorney."""

    model_config = ConfigDict(json_schema_extra=_delegate_rules)

    signed_as: Literal["kepala_daerah", "delegate"] = "kepala_daerah"
    power_of_attorney: Text | None = PydField(None, max_length=100, description="Surat kuasa number (delegate only).")

    @model_validator(mode="after")
    def _attorney(self) -> PksSignRequest:
        _check_attorney(self.signed_as, self.power_of_attorney)
        return self


def _check_attorney(signed_as: str, power_of_attorney: str | None) -> None:
    if signed_as == "delegate" and not power_of_attorney:
        raise ValueError("a delegate signs with a power of attorney: give power_of_attorney")
    if signed_as == "kepala_daerah" and power_of_attorney:
        raise ValueError("power_of_attorney applies to a delegate only")


class DprdRequest(Input):
    decision_number: Text = PydField(min_length=1, max_length=100, description="Nomor keputusan DPRD.")
    decision_date: Day = PydField(description="At the latest tomorrow.")
    document_id: str | None = PydField(
        None, pattern=OBJECT_ID.schema, description="The decision's attachment, if uploaded."
    )
    note: Text | None = PydField(None, max_length=2000)

    @field_validator("decision_date")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > utcnow().date() + timedelta(days=1):
            raise ValueError("decision_date cannot lie in the future")
        return value


class TerminateRequest(Input):
    reason: EndReason = PydField(description="PP art. 9/22; court_ruling and partner_bankrupt end a KSDPK only.")
    note: Text = PydField(min_length=3, max_length=2000)


class CommentRequest(Input):
    text: Text = PydField(min_length=1, max_length=4000)


class AddendumRequest(SigningRequest):
    """A signed addendum; a delegate may sign one to a PKS under a power of attorney."""

    model_config = ConfigDict(json_schema_extra=_delegate_rules)

    signed_as: Literal["kepala_daerah", "delegate"] = "kepala_daerah"
    power_of_attorney: Text | None = PydField(None, max_length=100, description="Surat kuasa number (delegate only).")
    summary: Text = PydField(min_length=3, max_length=4000, description="What the addendum changes.")
    new_term_end: Day | None = PydField(None, description="If the addendum changes the end of the term.")

    @model_validator(mode="before")
    @classmethod
    def _no_term_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("term_start" in data or "term_months" in data):
            raise ValueError("an addendum moves the end of the term with new_term_end; term_start/term_months do not apply")
        return data

    @model_validator(mode="after")
    def _attorney(self) -> AddendumRequest:
        _check_attorney(self.signed_as, self.power_of_attorney)
        return self


class AgreementType(StrEnum):
    KB = "kb"  # Kesepakatan Bersama
    PKS = "pks"  # Perjanjian Kerja Sama (or a foreign cooperation's agreement)
    NK = "nk"  # Nota Kesepakatan (central government)
    RENCANA_KERJA = "rencana_kerja"  # the work plan (central government)
    ADDENDUM = "addendum"


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
    in_draft: bool = PydField(description="At a draft stage: the only stages its owner's OPD may edit (PATCH).")
    editable: bool | None = PydField(None, description="Whether the caller may edit it now (PATCH): given by "
                                     "GET /v1/proposals/{id} only, null elsewhere.")

    @classmethod
    def of(cls, p: Proposal) -> ProposalPublic:
        return cls(
            **{k: getattr(p, k) for k in cls.model_fields if hasattr(p, k) and k not in ("partner",)},
            owner=p.tenant_id,
            partner=PartnerOut(name=p.partner_name, tenant=p.partner_tenant),
            in_draft=Stage(p.stage) in DRAFT_STAGES,
        )


class AgreementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    proposal_id: str
    type: AgreementType
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
