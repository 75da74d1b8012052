"""Carrying out lifecycle commands on a proposal: the rules of ``lifecycle.py`` plus what
each step records (agreements, DPRD decision, end), its audit entry and its integration
event, all in the caller's transaction. HTTP concerns stay in ``api/``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jalin_kit.db import utcnow
from jalin_kit.events import (
    STEP_EVENTS,
    AgreementRecord,
    IntegrationEvent,
    Party,
    ProposalApproved,
    ProposalDrafted,
    ProposalRejected,
    ProposalSubmitted,
)
from jalin_kit.outbox import record_event
from jalin_kit.tenants import TenantDirectory, TenantInfo
from pydantic import BaseModel
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals import terms
from jalin_proposals.lifecycle import (
    EndReason,
    Initiator,
    Kind,
    Lifecycle,
    LifecycleConfig,
    Stage,
    Transition,
    check_end_reason,
    lifecycle_for,
    start_stage,
)
from jalin_proposals.models import Agreement, HistoryEntry, Proposal
from jalin_proposals.schemas import (
    AddendumRequest,
    ApproveRequest,
    DprdRequest,
    NoteRequest,
    PksSignRequest,
    ProposalCreate,
    RejectRequest,
    SigningRequest,
    SignRequest,
    TerminateRequest,
    WorkPlanRequest,
)

SOURCE = "/jalin/proposals"

# What each command takes as its body (the rest take an optional note).
BODIES: dict[str, type[BaseModel]] = {
    "approve": ApproveRequest,
    "reject": RejectRequest,
    "decline_offer": RejectRequest,
    "sign_kb": SignRequest,  # the kepala daerah signs; no term
    "sign_pks": PksSignRequest,  # binding: the term; a delegate may sign
    "sign": PksSignRequest,
    "sign_nk": SignRequest,
    "adopt_work_plan": WorkPlanRequest,  # binding, no delegate
    "record_dprd_approval": DprdRequest,
    "terminate": TerminateRequest,
}
# The record a signing command makes, and whether it binds (carries the term).
SIGNED: dict[str, tuple[str, bool]] = {
    "sign_kb": ("kb", False),
    "sign_nk": ("nk", False),
    "sign_pks": ("pks", True),
    "sign": ("pks", True),  # a foreign cooperation's agreement
    "adopt_work_plan": ("rencana_kerja", True),
}
ENDINGS: dict[str, tuple[str, EndReason | None]] = {
    "terminate": ("terminated", None),
    "complete": ("completed", EndReason.OBJECTIVE_ACHIEVED),
    "expire": ("expired", EndReason.TERM_EXPIRED),
}


class CommandError(Exception):
    """The command cannot be carried out: ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Actor:
    user: str
    tenant: str
    roles: frozenset[str]

    @property
    def roles_text(self) -> str:
        return ",".join(sorted(self.roles))


SYSTEM = Actor("jalin", "platform", frozenset({"system"}))


def body_model(command: str) -> type[BaseModel]:
    return BODIES.get(command, NoteRequest)


def config_of(tenant: TenantInfo, p: Proposal | None = None) -> LifecycleConfig:
    """The tenant's lifecycle options; for a proposal, those it was created under (a region
    changing its options later does not strand cooperations half-way along the old path)."""
    offer_stage = tenant.offer_stage if p is None or p.offer_stage is None else p.offer_stage
    kb_before_pks = tenant.kb_before_pks if p is None or p.kb_before_pks is None else p.kb_before_pks
    return LifecycleConfig(
        max_term_months=tenant.max_term_months,
        reminder_offsets_days=tuple(tenant.reminder_offsets_days),
        offer_stage=offer_stage,
        kb_before_pks=kb_before_pks,
    )


def lifecycle_of(p: Proposal, tenant: TenantInfo) -> Lifecycle:
    return lifecycle_for(Kind(p.kind), config_of(tenant, p), p.flags)


def log(session: AsyncSession, p: Proposal, actor: Actor, action: str, *, stage_from: str | None = None,
        note: str | None = None) -> None:
    """Append to the audit trail, visible to whoever sees the proposal."""
    session.add(
        HistoryEntry(
            tenant_id=p.tenant_id,
            shared_with=p.shared_with,
            proposal_id=p.id,
            actor=actor.user,
            actor_tenant=actor.tenant,
            actor_roles=actor.roles_text,
            action=action,
            stage_from=stage_from,
            stage_to=p.stage,
            note=note,
        )
    )


def add_draft(session: AsyncSession, body: ProposalCreate, actor: Actor, tenant: TenantInfo, unit: str | None,
              *, note: str | None = None, extends_id: str | None = None) -> Proposal:
    """A new proposal in its kind's draft stage, with its first audit entry."""
    terms.validate_term(body.term_months, tenant.max_term_months)
    kind = Kind(body.kind)
    stage = start_stage(kind)
    p = Proposal(
        tenant_id=tenant.id,
        title=body.title,
        kind=kind.value,
        ksdd_type=(body.ksdd_type or "sukarela") if kind is Kind.KSDD else None,
        initiator=(body.initiator or Initiator.REGION).value,
        ksdpk_kind=body.ksdpk_kind.value if body.ksdpk_kind else None,
        burdens_public=bool(body.burdens_public),
        unbudgeted=bool(body.unbudgeted),
        partner_name=body.partner.name,
        partner_tenant=body.partner.tenant,
        objective=body.objective,
        scope=body.scope,
        term_months=body.term_months,
        financing=body.financing,
        liaison_officer=body.liaison_officer,
        offer_stage=tenant.offer_stage,
        kb_before_pks=tenant.kb_before_pks,
        unit=unit,
        created_by=actor.user,
        extends_id=extends_id,
    )
    p.enter(stage)
    session.add(p)
    log(session, p, actor, "create", note=note)
    emit(session, p, ProposalDrafted(**_snapshot(p, tenant, actor)))  # the services keeping files for it learn of it
    return p


def _snapshot(p: Proposal, tenant: TenantInfo, actor: Actor) -> dict[str, Any]:
    return {
        "proposal_id": p.id,
        "tenant": p.tenant_id,
        "title": p.title,
        "kind": p.kind,
        "proposer": Party(name=tenant.name, tenant=p.tenant_id),
        "proposer_unit": p.unit,
        "partner": Party(name=p.partner_name, tenant=p.partner_tenant),
        "objective": p.objective,
        "scope": p.scope,
        "term_months": p.term_months,
        "financing": p.financing,
        "actor": actor.user,
        "occurred_at": utcnow(),
        "stage": p.stage,
        "actor_tenant": actor.tenant if actor.tenant not in (p.tenant_id, SYSTEM.tenant) else None,
        "shared_with": p.shared_with,
    }


def agreement_record(a: Agreement) -> AgreementRecord:
    return AgreementRecord(
        agreement_id=a.id, type=a.type, number_first=a.number_first, number_second=a.number_second,
        signed_on=a.signed_on, signed_place=a.signed_place, signatory_name=a.signatory_name,
        signatory_title=a.signatory_title, signed_as=a.signed_as, term_start=a.term_start, term_end=a.term_end,
    )


def step_event(p: Proposal, t: Transition | tuple[str, str, str], tenant: TenantInfo, actor: Actor, *,
               stage_from: str, note: str | None = None, agreement: Agreement | None = None) -> IntegrationEvent:
    """The integration event of a step (a transition, or (aggregate, event, action) for
    the steps that are not transitions: comments, addenda, imports)."""
    aggregate, event, command = (t.aggregate, t.event, t.command) if isinstance(t, Transition) else t
    common = _snapshot(p, tenant, actor)
    if (aggregate, event) == ("proposal", "submitted"):
        return ProposalSubmitted(**common)
    if (aggregate, event) == ("proposal", "approved"):
        assert p.term_start is not None and p.term_end is not None
        return ProposalApproved(**common, term_start=p.term_start, term_end=p.term_end)
    if (aggregate, event) == ("proposal", "rejected"):
        return ProposalRejected(**common, reason=p.decision_reason or "", stage_from=stage_from)
    cls = STEP_EVENTS[(aggregate, event)]
    return cls(
        **common, command=command, stage_from=stage_from, note=note,
        agreement=agreement_record(agreement) if agreement else None, end_reason=p.end_reason,
    )


def emit(session: AsyncSession, p: Proposal, event: IntegrationEvent) -> None:
    record_event(session, event, tenant_id=p.tenant_id, source=SOURCE, correlation_id=p.id)


def share(p: Proposal, tenants: TenantDirectory) -> None:
    """From the offer on, a partner that is a Jalin tenant sees the cooperation: the proposal
    and what is recorded from then on (the owner's internal history before it stays the owner's)."""
    partner = p.partner_tenant
    if partner and partner != p.tenant_id:
        if not tenants.is_active(partner):
            raise CommandError(409, f"the partner region {partner!r} is not (or no longer) enabled on Jalin: "
                                    "edit the partner, or ask the platform operator")
        p.shared_with = partner


async def unshare(session: AsyncSession, p: Proposal) -> None:
    """A revised proposal is a draft again: the partner no longer sees it (nor its voided
    agreements) until it is offered again. History it took part in stays visible to it only
    through the proposal, which it can no longer open."""
    p.shared_with = None
    await session.exec(update(Agreement).where(col(Agreement.proposal_id) == p.id).values(shared_with=None))


async def void_agreements(session: AsyncSession, p: Proposal) -> None:
    """A cooperation rejected after its KB was signed keeps no agreement in force."""
    await session.exec(
        update(Agreement)
        .where(col(Agreement.proposal_id) == p.id, col(Agreement.status) == "signed")
        .values(status="voided")
    )


async def carry_out(session: AsyncSession, p: Proposal, t: Transition, body: BaseModel, actor: Actor,
                    tenants: TenantDirectory) -> Agreement | None:
    """Apply transition ``t`` (already allowed by the rules) with what its command records;
    adds the audit entry and the event. Returns the agreement it signed, if any."""
    tenant = tenants.get(p.tenant_id)
    now = utcnow()
    stage_from = p.stage
    note: str | None = getattr(body, "note", None)
    agreement: Agreement | None = None
    cmd = t.command

    if cmd == "submit":
        p.submitted_at = now
    elif cmd == "approve":
        assert isinstance(body, ApproveRequest)
        start = body.term_start or now.date()
        p.term_start, p.term_end = start, terms.term_end(start, p.term_months)
        p.decided_by, p.decided_at, p.decision_reason = actor.user, now, body.note
        share(p, tenants)
    elif cmd in ("reject", "decline_offer"):
        assert isinstance(body, RejectRequest)
        p.decided_by, p.decided_at, p.decision_reason = actor.user, now, body.reason
        note = body.reason
        await void_agreements(session, p)
    elif cmd == "revise":  # the reason stays in the history; a new round starts from nothing
        p.submitted_at, p.decided_by, p.decided_at, p.decision_reason = None, None, None, None
        p.dprd_number, p.dprd_date, p.dprd_document_id = None, None, None
        await unshare(session, p)
    elif cmd in SIGNED:
        assert isinstance(body, SigningRequest)
        agreement = _signed(p, cmd, body, actor, tenant)
        session.add(agreement)
    elif cmd == "record_dprd_approval":
        assert isinstance(body, DprdRequest)
        p.dprd_number, p.dprd_date, p.dprd_document_id = body.decision_number, body.decision_date, body.document_id
        note = f"Keputusan DPRD {body.decision_number} ({body.decision_date.isoformat()})" + (f": {body.note}" if body.note else "")
    elif cmd in ENDINGS:
        status, reason = ENDINGS[cmd]
        if isinstance(body, TerminateRequest):
            reason = body.reason
            try:
                check_end_reason(Kind(p.kind), reason)
            except ValueError as exc:
                raise CommandError(422, str(exc)) from exc
        p.end_reason = reason.value if reason else None
        p.ended_at = now
        await session.exec(
            update(Agreement)
            .where(col(Agreement.proposal_id) == p.id, col(Agreement.status) == "signed")
            .values(status=status)
        )
    if isinstance(body, NoteRequest) and body.reference:
        note = f"[{body.reference}] {note or ''}".strip()

    p.enter(t.target)
    p.updated_at = now
    session.add(p)
    log(session, p, actor, cmd, stage_from=stage_from, note=note)
    emit(session, p, step_event(p, t, tenant, actor, stage_from=stage_from, note=note, agreement=agreement))
    return agreement


def _signed(p: Proposal, cmd: str, body: SigningRequest, actor: Actor, tenant: TenantInfo) -> Agreement:
    kind, binding = SIGNED[cmd]
    term_start, term_months = getattr(body, "term_start", None), getattr(body, "term_months", None)
    if getattr(body, "signed_as", None) == "delegate" and kind != "pks":
        raise CommandError(422, "only a PKS may be signed by a delegate under a power of attorney")
    if cmd == "sign_pks" and p.dprd_required and not p.dprd_number:
        raise CommandError(409, "this cooperation needs the DPRD's approval before the PKS is signed")
    start = end = None
    if binding:
        months = term_months or p.term_months
        try:
            terms.validate_term(months, tenant.max_term_months)
        except ValueError as exc:
            raise CommandError(422, str(exc)) from exc
        start = term_start or body.signed_on
        try:
            end = terms.term_end(start, months)
        except (ValueError, OverflowError) as exc:
            raise CommandError(422, f"the term from {start.isoformat()} cannot be computed: {exc}") from exc
        p.term_months, p.term_start, p.term_end = months, start, end
    elif term_start or term_months:
        raise CommandError(422, f"a {kind.upper()} carries no term: term_start/term_months belong to the binding agreement")
    return _agreement(p, body, actor, type=kind, term_start=start, term_end=end)


def _agreement(p: Proposal, body: SigningRequest, actor: Actor, **fields: Any) -> Agreement:
    """The record of a signing, visible to whoever sees the cooperation."""
    return Agreement(
        tenant_id=p.tenant_id, shared_with=p.shared_with, proposal_id=p.id, unit=p.unit, recorded_by=actor.user,
        number_first=body.number_first, number_second=body.number_second, signed_on=body.signed_on,
        signed_place=body.signed_place, signatory_name=body.signatory_name, signatory_title=body.signatory_title,
        signed_as=getattr(body, "signed_as", "kepala_daerah"), power_of_attorney=getattr(body, "power_of_attorney", None),
        **fields,
    )


def addendum(p: Proposal, base: Agreement, body: AddendumRequest, actor: Actor, tenant: TenantInfo) -> Agreement:
    """An addendum to a signed agreement of a running cooperation; it may move the term's end."""
    if p.stage != Stage.PELAKSANAAN.value:
        raise CommandError(409, f"an addendum is signed while the cooperation runs; it is at stage {p.stage}")
    if base.type == "addendum" or base.status != "signed":
        raise CommandError(409, "amend the signed KB, PKS, NK or work plan itself")
    if body.signed_as == "delegate" and base.type != "pks":
        raise CommandError(422, "only a PKS may be amended by a delegate under a power of attorney")
    end = None
    if body.new_term_end is not None:
        assert p.term_start is not None
        if body.new_term_end <= p.term_start:
            raise CommandError(422, "new_term_end must come after the term's start")
        if body.new_term_end > terms.term_end(p.term_start, tenant.max_term_months):
            raise CommandError(
                422, f"new_term_end exceeds this region's maximum term of {tenant.max_term_months} months: "
                "extend by running the procedure again"
            )
        end = p.term_end = body.new_term_end
    return _agreement(p, body, actor, type="addendum", amends_id=base.id, term_start=p.term_start if end else None,
                      term_end=end, summary=body.summary)


async def due_to_expire(session: AsyncSession, today: date, limit: int = 200) -> list[Proposal]:
    rows = await session.exec(
        select(Proposal)
        .where(col(Proposal.stage) == Stage.PELAKSANAAN.value, col(Proposal.term_end) < today)
        .order_by(col(Proposal.term_end))
        .limit(limit)
    )
    return list(rows.all())
