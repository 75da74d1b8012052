"""HTTP routes under /v1/proposals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from jalin_kit.auth import CurrentPrincipal, Principal, TenantMember
from jalin_kit.db import get_scoped, utcnow
from jalin_kit.events import IntegrationEvent
from jalin_kit.http import Runtime, TenantReadSession, TenantSession, not_found
from jalin_kit.outbox import record_event
from jalin_kit.tenants import TenantInfo
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals import events
from jalin_proposals.domain import (
    Action,
    NotAllowed,
    ProposalStatus,
    TransitionError,
    check_role,
    decide,
    term_end,
    validate_term,
)
from jalin_proposals.models import (
    ApproveRequest,
    Proposal,
    ProposalCreate,
    ProposalPublic,
    ProposalUpdate,
    RejectRequest,
)

router = APIRouter(prefix="/v1/proposals", tags=["proposals"])

def _require(action: Action, principal: Principal) -> None:
    try:
        check_role(action, principal.roles)
    except NotAllowed as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc


async def _load(session: AsyncSession, proposal_id: str, *, for_update: bool = False) -> Proposal:
    if for_update:
        result = await session.exec(
            select(Proposal).where(Proposal.id == proposal_id).with_for_update()
        )
        proposal = result.first()
    else:
        proposal = await get_scoped(session, Proposal, proposal_id)
    if proposal is None:
        raise not_found("proposal")
    return proposal


def _transition(proposal: Proposal, action: Action, principal: Principal) -> None:
    try:
        proposal.status = decide(ProposalStatus(proposal.status), action, principal.roles).value
    except NotAllowed as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    except TransitionError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    proposal.updated_at = utcnow()


async def _commit_with_event(
    session: TenantSession,
    runtime: Runtime,
    principal: Principal,
    proposal: Proposal,
    build: Callable[[Proposal, TenantInfo, str], IntegrationEvent],
) -> ProposalPublic:
    """Commit the transition together with its integration event (the outbox)."""
    session.add(proposal)
    record_event(
        session,
        build(proposal, runtime.tenants.get(principal.tenant_id), principal.user_id),
        tenant_id=principal.tenant_id,
        source=events.SOURCE,
        correlation_id=proposal.id,
    )
    await session.commit()
    return ProposalPublic.of(proposal)


def _check_term(runtime: Runtime, tenant: str, months: int) -> None:
    try:
        validate_term(months, runtime.tenants.get(tenant).max_term_months)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProposalPublic)
async def create_proposal(
    body: ProposalCreate, principal: CurrentPrincipal, session: TenantSession, runtime: Runtime
) -> ProposalPublic:
    """Draft a new proposal (usulan) for the caller's unit."""
    _require(Action.CREATE, principal)
    _check_term(runtime, principal.tenant_id, body.term_months)
    proposal = Proposal(
        tenant_id=principal.tenant_id,
        title=body.title,
        kind=body.kind.value,
        partner_name=body.partner.name,
        partner_tenant=body.partner.tenant,
        objective=body.objective,
        scope=body.scope,
        term_months=body.term_months,
        financing=body.financing,
        unit=principal.unit,
        created_by=principal.user_id,
    )
    session.add(proposal)
    await session.commit()
    return ProposalPublic.of(proposal)


@router.get("", response_model=list[ProposalPublic])
async def list_proposals(
    principal: TenantMember,
    session: TenantReadSession,
    status_: Annotated[ProposalStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ProposalPublic]:
    query = select(Proposal).order_by(col(Proposal.created_at).desc()).limit(limit).offset(offset)
    if status_ is not None:
        query = query.where(Proposal.status == status_.value)
    return [ProposalPublic.of(p) for p in (await session.exec(query)).all()]


@router.get("/{proposal_id}", response_model=ProposalPublic)
async def get_proposal(
    proposal_id: str, principal: TenantMember, session: TenantReadSession
) -> ProposalPublic:
    return ProposalPublic.of(await _load(session, proposal_id))


@router.patch("/{proposal_id}", response_model=ProposalPublic)
async def edit_proposal(
    proposal_id: str,
    body: ProposalUpdate,
    principal: CurrentPrincipal,
    session: TenantSession,
    runtime: Runtime,
) -> ProposalPublic:
    """Edit a draft, or revise a rejected proposal (which returns it to draft)."""
    proposal = await _load(session, proposal_id, for_update=True)
    _transition(proposal, Action.EDIT, principal)
    changes = body.model_dump(exclude_unset=True)
    if "term_months" in changes and changes["term_months"] is not None:
        _check_term(runtime, principal.tenant_id, changes["term_months"])
    for field, value in changes.items():
        if value is None:
            continue
        if field == "partner":
            proposal.partner_name = value["name"]
            proposal.partner_tenant = value.get("tenant")
        elif field == "kind":
            proposal.kind = str(value.value if hasattr(value, "value") else value)
        else:
            setattr(proposal, field, value)
    proposal.decision_reason = None if proposal.status == ProposalStatus.DRAFT else proposal.decision_reason
    session.add(proposal)
    await session.commit()
    return ProposalPublic.of(proposal)


@router.post("/{proposal_id}/submit", response_model=ProposalPublic)
async def submit_proposal(
    proposal_id: str, principal: CurrentPrincipal, session: TenantSession, runtime: Runtime
) -> ProposalPublic:
    proposal = await _load(session, proposal_id, for_update=True)
    _transition(proposal, Action.SUBMIT, principal)
    proposal.submitted_at = utcnow()
    return await _commit_with_event(session, runtime, principal, proposal, events.submitted)


@router.post("/{proposal_id}/approve", response_model=ProposalPublic)
async def approve_proposal(
    proposal_id: str,
    principal: CurrentPrincipal,
    session: TenantSession,
    runtime: Runtime,
    body: ApproveRequest | None = None,
) -> ProposalPublic:
    """Approve a submitted proposal: the KB draft, notices and evaluation plan follow."""
    proposal = await _load(session, proposal_id, for_update=True)
    _transition(proposal, Action.APPROVE, principal)
    now = utcnow()
    start = (body.term_start if body and body.term_start else None) or now.date()
    proposal.term_start = start
    proposal.term_end = term_end(start, proposal.term_months)
    proposal.decided_by = principal.user_id
    proposal.decided_at = now
    proposal.decision_reason = body.note if body else None
    return await _commit_with_event(session, runtime, principal, proposal, events.approved)


@router.post("/{proposal_id}/reject", response_model=ProposalPublic)
async def reject_proposal(
    proposal_id: str,
    body: RejectRequest,
    principal: CurrentPrincipal,
    session: TenantSession,
    runtime: Runtime,
) -> ProposalPublic:
    proposal = await _load(session, proposal_id, for_update=True)
    _transition(proposal, Action.REJECT, principal)
    proposal.decided_by = principal.user_id
    proposal.decided_at = utcnow()
    proposal.decision_reason = body.reason
    return await _commit_with_event(session, runtime, principal, proposal, events.rejected)
