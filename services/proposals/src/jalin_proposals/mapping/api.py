"""Potential mapping over HTTP: rounds, potentials, who is missing, a potential to a proposal.

Roles are checked before any lookup (403); another tenant's round or potential answers 404.
The rules are :mod:`jalin_proposals.mapping.commands`'; here, the routes and what they answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from jalin_kit.auth import CurrentPrincipal, Principal
from jalin_kit.http import IdQuery, ObjectId, Runtime, TenantReadSession, TenantSession, UnitQuery
from jalin_kit.openapi import CONFLICT, NOT_FOUND
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import TenantInfo
from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals import access
from jalin_proposals.commands import Actor, CommandError
from jalin_proposals.mapping import affairs
from jalin_proposals.mapping import commands as mapping
from jalin_proposals.mapping.models import MappingReminder, MappingRound, Potential, RoundStatus
from jalin_proposals.mapping.schemas import (
    AffairId,
    AffairPublic,
    MissingUnit,
    PotentialCreate,
    PotentialPropose,
    PotentialPublic,
    ReminderPublic,
    RoundCounts,
    RoundCreate,
    RoundDetail,
    RoundPublic,
)
from jalin_proposals.partners import check_partner
from jalin_proposals.schemas import ProposalPublic

router = APIRouter(prefix="/v1", tags=["mapping"])


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.tenant_id, principal.roles)


def http_error(exc: CommandError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def counts(tenant: TenantInfo, per_unit: dict[str, tuple[int, int]]) -> RoundCounts:
    return RoundCounts(
        potentials=sum(n for n, _ in per_unit.values()),
        units_total=len(tenant.units),
        units_submitted=len(per_unit),
        units_missing=len(mapping.missing_units(tenant, set(per_unit))),
        proposed=sum(p for _, p in per_unit.values()),
    )


def round_public(r: MappingRound, c: RoundCounts, today: date) -> RoundPublic:
    return RoundPublic(
        id=r.id, title=r.title, year=r.year, description=r.description, deadline=r.deadline,
        reminder_offsets_days=list(r.reminder_offsets_days), status=r.status, accepting=mapping.accepting(r, today),
        created_by=r.created_by, created_at=r.created_at, closed_by=r.closed_by, closed_at=r.closed_at, counts=c,
    )


async def round_detail(session: AsyncSession, r: MappingRound, runtime: ServiceRuntime) -> RoundDetail:
    per_unit = (await mapping.submitted_units(session, [r.id])).get(r.id, {})
    base = round_public(r, counts(runtime.tenants.get(r.tenant_id), per_unit), mapping.today_of(runtime))
    reminders = await session.exec(
        select(MappingReminder).where(MappingReminder.round_id == r.id).order_by(col(MappingReminder.days_before).desc())
    )
    return RoundDetail(**base.model_dump(), reminders=[ReminderPublic.of(m) for m in reminders.all()])


def potential_public(p: Potential, runtime: ServiceRuntime) -> PotentialPublic:
    return PotentialPublic.of(p, runtime.tenants.get(p.tenant_id).unit_name(p.unit))


# -- government affairs -------------------------------------------------------------------


@router.get("/government-affairs", response_model=list[AffairPublic])
async def list_affairs(principal: CurrentPrincipal) -> list[AffairPublic]:
    """The concurrent government affairs of UU 23/2014 art. 12 a potential may name."""
    access.require("mapping.read", principal)
    return [AffairPublic.of(a) for a in affairs.AFFAIRS]


# -- rounds -------------------------------------------------------------------------------


@router.post("/mapping-rounds", status_code=status.HTTP_201_CREATED, response_model=RoundDetail)
async def create_round(body: RoundCreate, principal: CurrentPrincipal, session: TenantSession,
                       runtime: Runtime) -> RoundDetail:
    """Open a mapping round: the region's OPDs submit potentials until the deadline."""
    access.require("mapping.round.create", principal)
    try:
        r = mapping.open_round(body, actor_of(principal), runtime.tenants.get(principal.tenant_id),
                               mapping.today_of(runtime))
    except CommandError as exc:
        raise http_error(exc) from exc
    session.add(r)
    await session.commit()
    return await round_detail(session, r, runtime)


@router.get("/mapping-rounds", response_model=list[RoundPublic])
async def list_rounds(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    runtime: Runtime,
    status_: Annotated[RoundStatus | None, Query(alias="status")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[RoundPublic]:
    """The region's mapping rounds, newest deadline first, with their counts."""
    access.require("mapping.read", principal)
    query = select(MappingRound).order_by(col(MappingRound.deadline).desc(), col(MappingRound.created_at).desc())
    if status_ is not None:
        query = query.where(MappingRound.status == status_.value)
    if year is not None:
        query = query.where(MappingRound.year == year)
    rounds = list((await session.exec(query.limit(limit).offset(offset))).all())
    per_round = await mapping.submitted_units(session, [r.id for r in rounds])
    tenant, today = runtime.tenants.get(principal.tenant_id), mapping.today_of(runtime)
    return [round_public(r, counts(tenant, per_round.get(r.id, {})), today) for r in rounds]


@router.get("/mapping-rounds/{round_id}", response_model=RoundDetail, responses=NOT_FOUND)
async def get_round(round_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession,
                    runtime: Runtime) -> RoundDetail:
    access.require("mapping.read", principal)
    return await round_detail(session, await mapping.load_round(session, round_id), runtime)


@router.post("/mapping-rounds/{round_id}/close", response_model=RoundDetail, responses=NOT_FOUND | CONFLICT)
async def close_round(round_id: ObjectId, principal: CurrentPrincipal, session: TenantSession,
                      runtime: Runtime) -> RoundDetail:
    """Close a round before its deadline (it closes by itself the day after)."""
    access.require("mapping.round.close", principal)
    r = await mapping.load_round(session, round_id, lock=True)
    try:
        mapping.close(r, actor_of(principal))
    except CommandError as exc:
        raise http_error(exc) from exc
    session.add(r)
    await session.commit()
    return await round_detail(session, r, runtime)


@router.get("/mapping-rounds/{round_id}/missing", response_model=list[MissingUnit], responses=NOT_FOUND)
async def missing(round_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession,
                  runtime: Runtime) -> list[MissingUnit]:
    """The region's units (OPDs of the tenant directory) without a potential in the round yet."""
    access.require("mapping.missing", principal)
    r = await mapping.load_round(session, round_id)
    submitted = set((await mapping.submitted_units(session, [r.id])).get(r.id, {}))
    tenant = runtime.tenants.get(principal.tenant_id)
    return [MissingUnit(unit=u, name=tenant.unit_name(u)) for u in mapping.missing_units(tenant, submitted)]


# -- potentials ---------------------------------------------------------------------------


@router.post("/mapping-rounds/{round_id}/potentials", status_code=status.HTTP_201_CREATED,
             response_model=PotentialPublic, responses=NOT_FOUND | CONFLICT)
async def submit_potential(round_id: ObjectId, body: PotentialCreate, principal: CurrentPrincipal, session: TenantSession,
                           runtime: Runtime) -> PotentialPublic:
    """An OPD submits a cooperation potential for its unit (several per unit are welcome)."""
    access.require("mapping.potential.submit", principal)
    try:
        unit = mapping.submitting_unit(principal.unit)
        r = await mapping.load_round(session, round_id, lock=True, shared=True)  # a concurrent close waits
        for i, candidate in enumerate(body.candidate_partners):  # after the lookup: a stranger learns nothing
            check_partner(runtime, principal, candidate, f"candidate_partners.{i}.tenant")
        p = mapping.submit(r, unit, body, actor_of(principal), mapping.today_of(runtime))
    except CommandError as exc:
        raise http_error(exc) from exc
    session.add(p)
    await session.commit()
    return potential_public(p, runtime)


@router.get("/potentials", response_model=list[PotentialPublic])
async def list_potentials(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    runtime: Runtime,
    round_id: IdQuery = None,
    unit: UnitQuery = None,
    affair: AffairId | None = None,
    proposed: Annotated[bool | None, Query(description="true: became proposals; false: not yet")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[PotentialPublic]:
    """The region's potentials, oldest first."""
    access.require("mapping.read", principal)
    query = select(Potential).order_by(col(Potential.submitted_at), col(Potential.id)).limit(limit).offset(offset)
    if round_id is not None:
        query = query.where(Potential.round_id == round_id)
    if unit is not None:
        query = query.where(Potential.unit == unit)
    if affair is not None:
        query = query.where(Potential.affair == affair.value)
    if proposed is not None:
        query = query.where(col(Potential.proposal_id).is_not(None) if proposed else col(Potential.proposal_id).is_(None))
    return [potential_public(p, runtime) for p in (await session.exec(query)).all()]


@router.get("/potentials/{potential_id}", response_model=PotentialPublic, responses=NOT_FOUND)
async def get_potential(potential_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession,
                        runtime: Runtime) -> PotentialPublic:
    access.require("mapping.read", principal)
    return potential_public(await mapping.load_potential(session, potential_id), runtime)


@router.post("/potentials/{potential_id}/propose", status_code=status.HTTP_201_CREATED,
             response_model=ProposalPublic, responses=NOT_FOUND | CONFLICT)
async def propose(potential_id: ObjectId, body: PotentialPropose, principal: CurrentPrincipal, session: TenantSession,
                  runtime: Runtime) -> ProposalPublic:
    """The potential becomes a draft proposal of its unit, in one step: title, objective
    (from the benefit) and partner (the first candidate) default from the potential."""
    access.require("mapping.potential.propose", principal)
    actor, tenant = actor_of(principal), runtime.tenants.get(principal.tenant_id)
    pot = await mapping.load_potential(session, potential_id, lock=True)
    try:
        mapping.may_propose(pot, actor, principal.unit)
        create = mapping.proposal_body(pot, body, tenant)
    except CommandError as exc:
        raise http_error(exc) from exc
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    check_partner(runtime, principal, create.partner)
    proposal = await mapping.propose(session, pot, create, actor, tenant)
    await session.commit()
    return ProposalPublic.of(proposal)
