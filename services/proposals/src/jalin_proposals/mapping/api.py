"""Potential mapping over HTTP: rounds, potentials, who is missing, a potential to a proposal.

Roles are checked before any lookup (403); another tenant's round or potential answers 404.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from jalin_kit.auth import CurrentPrincipal, Principal
from jalin_kit.db import get_scoped, utcnow
from jalin_kit.http import IdQuery, ObjectId, Runtime, TenantReadSession, TenantSession, UnitQuery, not_found
from jalin_kit.openapi import CONFLICT, NOT_FOUND
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import TenantInfo
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals import access, terms
from jalin_proposals.commands import Actor, add_draft
from jalin_proposals.mapping import affairs
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
    checked_offsets,
)
from jalin_proposals.partners import check_partner
from jalin_proposals.schemas import ProposalCreate, ProposalPublic

router = APIRouter(prefix="/v1", tags=["mapping"])

MAX_DEADLINE_AHEAD = timedelta(days=2 * 366)


def today_of(runtime: ServiceRuntime) -> date:
    """The service's date (``ProposalsSettings.today`` overrides it in demos and tests)."""
    return getattr(runtime.settings, "today", None) or utcnow().date()


def accepting(r: MappingRound, today: date) -> bool:
    return r.status == RoundStatus.OPEN.value and today <= r.deadline


async def submitted_units(session: AsyncSession, round_ids: list[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per round: unit -> (potentials, of which proposed)."""
    if not round_ids:
        return {}
    rows = await session.exec(
        select(Potential.round_id, Potential.unit, func.count(), func.count(col(Potential.proposal_id)))
        .where(col(Potential.round_id).in_(round_ids))
        .group_by(col(Potential.round_id), col(Potential.unit))
    )
    out: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for round_id, unit, n, proposed in rows.all():
        out[round_id][unit] = (n, proposed)
    return out


def missing_units(tenant: TenantInfo, submitted: set[str]) -> list[str]:
    """The tenant's units (its directory) that have not submitted, in directory order."""
    return [u for u in tenant.units if u not in submitted]


def counts(tenant: TenantInfo, per_unit: dict[str, tuple[int, int]]) -> RoundCounts:
    return RoundCounts(
        potentials=sum(n for n, _ in per_unit.values()),
        units_total=len(tenant.units),
        units_submitted=len(per_unit),
        units_missing=len(missing_units(tenant, set(per_unit))),
        proposed=sum(p for _, p in per_unit.values()),
    )


def round_public(r: MappingRound, c: RoundCounts, today: date) -> RoundPublic:
    return RoundPublic(
        id=r.id, title=r.title, year=r.year, description=r.description, deadline=r.deadline,
        reminder_offsets_days=list(r.reminder_offsets_days), status=r.status, accepting=accepting(r, today),
        created_by=r.created_by, created_at=r.created_at, closed_by=r.closed_by, closed_at=r.closed_at, counts=c,
    )


async def round_detail(session: AsyncSession, r: MappingRound, runtime: ServiceRuntime) -> RoundDetail:
    per_unit = (await submitted_units(session, [r.id])).get(r.id, {})
    base = round_public(r, counts(runtime.tenants.get(r.tenant_id), per_unit), today_of(runtime))
    reminders = await session.exec(
        select(MappingReminder).where(MappingReminder.round_id == r.id).order_by(col(MappingReminder.days_before).desc())
    )
    return RoundDetail(**base.model_dump(), reminders=[ReminderPublic.of(m) for m in reminders.all()])


async def load_round(session: AsyncSession, round_id: str, *, lock: bool = False, shared: bool = False) -> MappingRound:
    if lock:
        query = select(MappingRound).where(MappingRound.id == round_id).with_for_update(read=shared)
        found = (await session.exec(query)).first()
    else:
        found = await get_scoped(session, MappingRound, round_id)
    if found is None:
        raise not_found("mapping round")
    return found


async def load_potential(session: AsyncSession, potential_id: str, *, lock: bool = False) -> Potential:
    found = await get_scoped(session, Potential, potential_id, for_update=lock)
    if found is None:
        raise not_found("potential")
    return found


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
    today = today_of(runtime)
    if not today <= body.deadline <= today + MAX_DEADLINE_AHEAD:
        raise HTTPException(422, "deadline must lie between today and two years ahead")
    r = MappingRound(
        tenant_id=principal.tenant_id, title=body.title, year=body.year, description=body.description,
        deadline=body.deadline, created_by=principal.user_id,
        reminder_offsets_days=body.reminder_offsets_days if body.reminder_offsets_days is not None
        else checked_offsets(runtime.tenants.get(principal.tenant_id).mapping_reminder_offsets_days),
    )
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
    per_round = await submitted_units(session, [r.id for r in rounds])
    tenant, today = runtime.tenants.get(principal.tenant_id), today_of(runtime)
    return [round_public(r, counts(tenant, per_round.get(r.id, {})), today) for r in rounds]


@router.get("/mapping-rounds/{round_id}", response_model=RoundDetail, responses=NOT_FOUND)
async def get_round(round_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession,
                    runtime: Runtime) -> RoundDetail:
    access.require("mapping.read", principal)
    return await round_detail(session, await load_round(session, round_id), runtime)


@router.post("/mapping-rounds/{round_id}/close", response_model=RoundDetail, responses=NOT_FOUND | CONFLICT)
async def close_round(round_id: ObjectId, principal: CurrentPrincipal, session: TenantSession,
                      runtime: Runtime) -> RoundDetail:
    """Close a round before its deadline (it closes by itself the day after)."""
    access.require("mapping.round.close", principal)
    r = await load_round(session, round_id, lock=True)
    if r.status == RoundStatus.CLOSED.value:
        raise HTTPException(409, "the round is already closed")
    r.status, r.closed_by, r.closed_at = RoundStatus.CLOSED.value, principal.user_id, utcnow()
    session.add(r)
    await session.commit()
    return await round_detail(session, r, runtime)


@router.get("/mapping-rounds/{round_id}/missing", response_model=list[MissingUnit], responses=NOT_FOUND)
async def missing(round_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession,
                  runtime: Runtime) -> list[MissingUnit]:
    """The region's units (OPDs of the tenant directory) without a potential in the round yet."""
    access.require("mapping.missing", principal)
    r = await load_round(session, round_id)
    submitted = set((await submitted_units(session, [r.id])).get(r.id, {}))
    tenant = runtime.tenants.get(principal.tenant_id)
    return [MissingUnit(unit=u, name=tenant.unit_name(u)) for u in missing_units(tenant, submitted)]


# -- potentials ---------------------------------------------------------------------------


def _require_unit(principal: Principal) -> str:
    if not principal.unit:
        raise HTTPException(403, "submitting a potential needs a unit (OPD) in the token's unit claim")
    return principal.unit


@router.post("/mapping-rounds/{round_id}/potentials", status_code=status.HTTP_201_CREATED,
             response_model=PotentialPublic, responses=NOT_FOUND | CONFLICT)
async def submit_potential(round_id: ObjectId, body: PotentialCreate, principal: CurrentPrincipal, session: TenantSession,
                           runtime: Runtime) -> PotentialPublic:
    """An OPD submits a cooperation potential for its unit (several per unit are welcome)."""
    access.require("mapping.potential.submit", principal)
    unit = _require_unit(principal)
    r = await load_round(session, round_id, lock=True, shared=True)  # a concurrent close waits
    for i, candidate in enumerate(body.candidate_partners):  # after the lookup: a stranger learns nothing
        check_partner(runtime, principal, candidate, f"candidate_partners.{i}.tenant")
    if r.status != RoundStatus.OPEN.value:
        raise HTTPException(409, "the round is closed")
    if today_of(runtime) > r.deadline:
        raise HTTPException(409, f"the round's deadline ({r.deadline.isoformat()}) has passed")
    p = Potential(
        tenant_id=principal.tenant_id, round_id=r.id, unit=unit, affair=body.affair.value, title=body.title,
        description=body.description, benefit=body.benefit,
        candidate_partners=[c.model_dump() for c in body.candidate_partners], submitted_by=principal.user_id,
    )
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
    return potential_public(await load_potential(session, potential_id), runtime)


@router.post("/potentials/{potential_id}/propose", status_code=status.HTTP_201_CREATED,
             response_model=ProposalPublic, responses=NOT_FOUND | CONFLICT)
async def propose(potential_id: ObjectId, body: PotentialPropose, principal: CurrentPrincipal, session: TenantSession,
                  runtime: Runtime) -> ProposalPublic:
    """The potential becomes a draft proposal of its unit, in one step: title, objective
    (from the benefit) and partner (the first candidate) default from the potential."""
    access.require("mapping.potential.propose", principal)
    pot = await load_potential(session, potential_id, lock=True)
    if "kerja_sama" not in principal.roles and principal.unit != pot.unit:
        raise HTTPException(403, f"only the unit that submitted the potential ({pot.unit}) or the cooperation section "
                                 "may propose it")
    if pot.proposal_id is not None:
        raise HTTPException(409, f"the potential is already proposal {pot.proposal_id}")
    tenant = runtime.tenants.get(principal.tenant_id)
    try:
        terms.validate_term(body.term_months, tenant.max_term_months)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    partner = body.partner
    if partner is None:
        if not pot.candidate_partners:
            raise HTTPException(422, "the potential names no candidate partner: give partner")
        partner = pot.candidate_partners[0]
    fields = body.model_dump(exclude_none=True, exclude={"partner", "title", "objective"})
    try:
        create = ProposalCreate.model_validate(
            {**fields, "title": body.title or pot.title, "objective": body.objective or pot.benefit, "partner": partner}
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    check_partner(runtime, principal, create.partner)
    r = await get_scoped(session, MappingRound, pot.round_id)
    note = f"Dari potensi {pot.id}" + (f" (pemetaan «{r.title}»)" if r else "")
    proposal = add_draft(session, create, Actor(principal.user_id, principal.tenant_id, principal.roles), tenant,
                         pot.unit, note=note)
    await session.flush()  # the proposal row before the potential points at it
    pot.proposal_id, pot.proposed_by, pot.proposed_at = proposal.id, principal.user_id, utcnow()
    session.add(pot)
    await session.commit()
    return ProposalPublic.of(proposal)
