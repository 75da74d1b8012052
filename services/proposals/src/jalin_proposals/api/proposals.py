"""Proposals: draft, edit, read, list, the partner's offers, extension."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from jalin_kit.auth import CurrentPrincipal
from jalin_kit.db import utcnow
from jalin_kit.http import ObjectId, Runtime, TenantReadSession, TenantSession
from jalin_kit.openapi import CONFLICT, NOT_FOUND
from sqlmodel import col, select

from jalin_proposals import access, terms
from jalin_proposals.api.common import actor_of, load, owner_only
from jalin_proposals.commands import add_draft, body_model, lifecycle_of, log
from jalin_proposals.lifecycle import DRAFT_STAGES, Initiator, Kind, KsddType, KsdpkKind, Stage, Status, start_stage
from jalin_proposals.models import Proposal
from jalin_proposals.partners import check_partner
from jalin_proposals.schemas import ActionPublic, PartnerIn, ProposalCreate, ProposalPublic, ProposalUpdate

router = APIRouter(prefix="/v1", tags=["proposals"])


def _term(runtime: Runtime, tenant: str, months: int) -> None:
    try:
        terms.validate_term(months, runtime.tenants.get(tenant).max_term_months)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.post("/proposals", status_code=status.HTTP_201_CREATED, response_model=ProposalPublic)
async def create_proposal(
    body: ProposalCreate, principal: CurrentPrincipal, session: TenantSession, runtime: Runtime
) -> ProposalPublic:
    """Draft a new proposal (usulan) for the caller's unit."""
    access.require("proposal.create", principal)
    _term(runtime, principal.tenant_id, body.term_months)
    check_partner(runtime, principal, body.partner)
    proposal = add_draft(session, body, actor_of(principal), runtime.tenants.get(principal.tenant_id), principal.unit)
    await session.commit()
    return ProposalPublic.of(proposal)


@router.get("/proposals", response_model=list[ProposalPublic])
async def list_proposals(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    stage: Stage | None = None,
    side: Annotated[Literal["own", "partner"] | None, Query(description="own: ours; partner: shared with us")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ProposalPublic]:
    """Our proposals and the cooperations partner regions share with us."""
    access.require("proposal.read", principal)
    query = select(Proposal).order_by(col(Proposal.created_at).desc()).limit(limit).offset(offset)
    if status_ is not None:
        query = query.where(Proposal.status == status_.value)
    if stage is not None:
        query = query.where(Proposal.stage == stage.value)
    if side == "own":
        query = query.where(Proposal.tenant_id == principal.tenant_id)
    elif side == "partner":
        query = query.where(Proposal.tenant_id != principal.tenant_id)
    return [ProposalPublic.of(p) for p in (await session.exec(query)).all()]


@router.get("/offers", response_model=list[ProposalPublic])
async def list_offers(principal: CurrentPrincipal, session: TenantReadSession) -> list[ProposalPublic]:
    """Offers partner regions made to us that wait for our answer (accept_offer / decline_offer)."""
    access.require("proposal.read", principal)
    query = (
        select(Proposal)
        .where(Proposal.tenant_id != principal.tenant_id, Proposal.stage == Stage.PENAWARAN.value)
        .order_by(col(Proposal.updated_at).desc())
    )
    return [ProposalPublic.of(p) for p in (await session.exec(query)).all()]


@router.get("/proposals/{proposal_id}", response_model=ProposalPublic, responses=NOT_FOUND)
async def get_proposal(proposal_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession) -> ProposalPublic:
    access.require("proposal.read", principal)
    return ProposalPublic.of(await load(session, proposal_id))


@router.get("/proposals/{proposal_id}/actions", response_model=list[ActionPublic], responses=NOT_FOUND)
async def available_actions(
    proposal_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession, runtime: Runtime
) -> list[ActionPublic]:
    """What the caller may do next (the commands of POST .../actions/{command})."""
    access.require("proposal.read", principal)
    p = await load(session, proposal_id)
    partner_side = p.tenant_id != principal.tenant_id
    out = []
    for t in lifecycle_of(p, runtime.tenants.get(p.tenant_id)).available(Stage(p.stage), principal.roles):
        if t.by_partner and p.shared_with and not partner_side:
            continue  # the partner region answers in Jalin
        if partner_side and not t.by_partner:
            continue
        body = body_model(t.command).__name__
        out.append(ActionPublic(command=t.command, target=t.target, roles=sorted(t.roles), by_partner=t.by_partner,
                                body=body))
    return out


@router.patch(
    "/proposals/{proposal_id}",
    response_model=ProposalPublic,
    responses=NOT_FOUND | {409: CONFLICT[409] | {"description": "Only a draft is edited."}},
)
async def edit_proposal(
    proposal_id: ObjectId, body: ProposalUpdate, principal: CurrentPrincipal, session: TenantSession, runtime: Runtime
) -> ProposalPublic:
    """Edit a proposal in its draft stage (a rejected one is revised first: action ``revise``).
    Without ``kind`` in the body, the stored kind decides which kind-specific fields apply (422)."""
    access.require("proposal.edit", principal)
    p = await load(session, proposal_id, for_update=True)
    owner_only(p, principal, "edit it")
    if Stage(p.stage) not in DRAFT_STAGES:
        raise HTTPException(409, f"only a draft can be edited; this proposal is at stage {p.stage}"
                            + (" (revise it first)" if p.stage == Stage.DITOLAK.value else ""))
    changes = body.model_dump(exclude_unset=True)
    kind = Kind(changes.get("kind") or p.kind)
    try:
        body.check_kind(kind)  # with kind in the body, its schema says so already
    except ValueError as exc:
        raise HTTPException(422, f"{exc}; this proposal is a {kind.value}") from exc
    if changes.get("term_months") is not None:
        _term(runtime, principal.tenant_id, changes["term_months"])
    for field, value in changes.items():
        if value is None:
            continue
        if field == "partner":
            partner = PartnerIn.model_validate(value)
            check_partner(runtime, principal, partner)
            p.partner_name, p.partner_tenant = partner.name, partner.tenant
        else:
            setattr(p, field, value.value if hasattr(value, "value") else value)
    if kind is not Kind.KSDD:
        p.ksdd_type = None
    elif p.ksdd_type is None:
        p.ksdd_type = "sukarela"
    if kind is not Kind.KSDPK:
        p.initiator, p.ksdpk_kind = "region", None
    p.enter(start_stage(kind))  # a change of kind between domestic and foreign moves the draft stage
    p.updated_at = utcnow()
    session.add(p)
    log(session, p, actor_of(principal), "edit", stage_from=p.stage, note=", ".join(sorted(changes)) or None)
    await session.commit()
    return ProposalPublic.of(p)


@router.post("/proposals/{proposal_id}/extend", status_code=status.HTTP_201_CREATED, response_model=ProposalPublic,
             responses=NOT_FOUND | CONFLICT)
async def extend(
    proposal_id: ObjectId, principal: CurrentPrincipal, session: TenantSession, runtime: Runtime
) -> ProposalPublic:
    """Extension runs the procedure again: a new draft copying this cooperation, linked to it."""
    access.require("proposal.extend", principal)
    old = await load(session, proposal_id, for_update=True)
    owner_only(old, principal, "extend it")
    if old.stage not in (Stage.PELAKSANAAN.value, Stage.SELESAI.value):
        raise HTTPException(409, f"only a running or completed cooperation is extended; this one is at stage {old.stage}")
    body = ProposalCreate.model_construct(  # stored values, checked when they were stored (or imported)
        title=old.title, kind=Kind(old.kind), partner=PartnerIn.model_construct(name=old.partner_name, tenant=old.partner_tenant),
        objective=old.objective, scope=old.scope, term_months=old.term_months, financing=old.financing,
        ksdd_type=KsddType(old.ksdd_type) if old.kind == Kind.KSDD.value and old.ksdd_type else None,
        initiator=Initiator(old.initiator) if old.kind == Kind.KSDPK.value else None,
        ksdpk_kind=KsdpkKind(old.ksdpk_kind) if old.ksdpk_kind else None,
        burdens_public=old.burdens_public, unbudgeted=old.unbudgeted, liaison_officer=old.liaison_officer,
    )
    actor = actor_of(principal)
    new = add_draft(session, body, actor, runtime.tenants.get(principal.tenant_id), old.unit,
                    note=f"perpanjangan dari {old.id}", extends_id=old.id)
    log(session, old, actor, "extend", stage_from=old.stage, note=f"perpanjangan: {new.id}")
    await session.commit()
    return ProposalPublic.of(new)
