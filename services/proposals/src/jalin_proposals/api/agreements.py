"""Agreements: the signed KB, PKS, NK, work plan and their addenda."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from jalin_kit.access import unit_scope
from jalin_kit.auth import CurrentPrincipal
from jalin_kit.db import get_scoped
from jalin_kit.http import IdQuery, ObjectId, Runtime, TenantReadSession, not_found
from jalin_kit.openapi import CONFLICT, NOT_FOUND
from sqlmodel import col, select

from jalin_proposals import access
from jalin_proposals.api.common import actor_of, http_error, owner_only, owner_session
from jalin_proposals.commands import CommandError, addendum, emit, log, step_event
from jalin_proposals.models import Agreement
from jalin_proposals.schemas import AddendumRequest, AgreementPublic, AgreementType

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])


@router.get("", response_model=list[AgreementPublic])
async def list_agreements(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    proposal_id: IdQuery = None,
    type_: Annotated[AgreementType | None, Query(alias="type")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AgreementPublic]:
    access.require("agreement.read", principal)
    query = select(Agreement).order_by(col(Agreement.signed_on), col(Agreement.recorded_at)).limit(limit).offset(offset)
    if proposal_id is not None:
        query = query.where(Agreement.proposal_id == proposal_id)
    if type_ is not None:
        query = query.where(Agreement.type == type_.value)
    return [AgreementPublic.of(a) for a in (await session.exec(query)).all()]


@router.get("/{agreement_id}", response_model=AgreementPublic, responses=NOT_FOUND)
async def get_agreement(agreement_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession) -> AgreementPublic:
    access.require("agreement.read", principal)
    agreement = await get_scoped(session, Agreement, agreement_id)
    if agreement is None:
        raise not_found("agreement")
    return AgreementPublic.of(agreement)


@router.post("/{agreement_id}/addenda", status_code=201, response_model=AgreementPublic, responses=NOT_FOUND | CONFLICT)
async def add_addendum(
    agreement_id: ObjectId, body: AddendumRequest, principal: CurrentPrincipal, runtime: Runtime
) -> AgreementPublic:
    """Record a signed addendum of a running cooperation (it may move the end of the term)."""
    access.require("agreement.addendum", principal)
    async with runtime.db.tenant_session(principal.tenant_id, readonly=True, unit=unit_scope(principal)) as session:
        base = await get_scoped(session, Agreement, agreement_id)  # closed before the owner's transaction opens
    if base is None:
        raise not_found("agreement")
    async with owner_session(runtime, principal, base.proposal_id) as (write, p):
        owner_only(p, principal, "record an addendum")
        base = await get_scoped(write, Agreement, agreement_id)
        assert base is not None
        actor = actor_of(principal)
        try:
            new = addendum(p, base, body, actor, runtime.tenants.get(p.tenant_id))
        except CommandError as exc:
            raise http_error(exc) from exc
        write.add(new)
        write.add(p)
        log(write, p, actor, "addendum", stage_from=p.stage, note=f"{new.number_first}: {body.summary}")
        emit(write, p, step_event(p, ("agreement", "amended", "addendum"), runtime.tenants.get(p.tenant_id), actor,
                                  stage_from=p.stage, note=body.summary, agreement=new))
        await write.commit()
        return AgreementPublic.of(new)
