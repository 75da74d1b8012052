"""The rules of potential mapping and its steps, in the caller's transaction.

A round accepts potentials up to and including its deadline day while it is open; a unit
counts as submitted with one potential; the units come from the tenant directory. A
potential becomes a draft proposal of its unit once, by that unit or the cooperation
section. A rule that refuses raises :class:`~jalin_proposals.commands.CommandError` with
the HTTP status that says why; the routes (``mapping/api.py``) check the roles first.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from jalin_kit.db import get_scoped, utcnow
from jalin_kit.http import not_found
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import TenantInfo
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals import terms
from jalin_proposals.commands import Actor, CommandError, add_draft
from jalin_proposals.mapping.models import MappingRound, Potential, RoundStatus
from jalin_proposals.mapping.schemas import PotentialCreate, PotentialPropose, RoundCreate, checked_offsets
from jalin_proposals.models import Proposal
from jalin_proposals.schemas import PartnerIn, ProposalCreate

MAX_DEADLINE_AHEAD = timedelta(days=2 * 366)


def today_of(runtime: ServiceRuntime) -> date:
    """The service's date (``ProposalsSettings.today`` overrides it in demos and tests)."""
    return getattr(runtime.settings, "today", None) or utcnow().date()


# -- rounds ---------------------------------------------------------------------------------


def accepting(r: MappingRound, today: date) -> bool:
    """Whether the round takes potentials: open, and its deadline day not past."""
    return r.status == RoundStatus.OPEN.value and today <= r.deadline


def open_round(body: RoundCreate, actor: Actor, tenant: TenantInfo, today: date) -> MappingRound:
    """A new round (not yet added to a session): its deadline from today to two years ahead,
    its reminder offsets its own or the region's setting."""
    if not today <= body.deadline <= today + MAX_DEADLINE_AHEAD:
        raise CommandError(422, "deadline must lie between today and two years ahead")
    offsets = body.reminder_offsets_days
    return MappingRound(
        tenant_id=tenant.id, title=body.title, year=body.year, description=body.description,
        deadline=body.deadline, created_by=actor.user,
        reminder_offsets_days=offsets if offsets is not None else checked_offsets(tenant.mapping_reminder_offsets_days),
    )


def close(r: MappingRound, actor: Actor) -> None:
    """Close a round before its deadline (the scanner closes it the day after)."""
    if r.status == RoundStatus.CLOSED.value:
        raise CommandError(409, "the round is already closed")
    r.status, r.closed_by, r.closed_at = RoundStatus.CLOSED.value, actor.user, utcnow()


def missing_units(tenant: TenantInfo, submitted: set[str]) -> list[str]:
    """The tenant's units (its directory) that have not submitted, in directory order."""
    return [u for u in tenant.units if u not in submitted]


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


async def load_round(session: AsyncSession, round_id: str, *, lock: bool = False, shared: bool = False) -> MappingRound:
    """A round of the session's tenant (404 otherwise); ``lock`` takes a row lock, ``shared``
    a shared one (submissions) that a concurrent close waits for."""
    if lock:
        query = select(MappingRound).where(MappingRound.id == round_id).with_for_update(read=shared)
        found = (await session.exec(query)).first()
    else:
        found = await get_scoped(session, MappingRound, round_id)
    if found is None:
        raise not_found("mapping round")
    return found


# -- potentials -----------------------------------------------------------------------------


def submitting_unit(unit: str | None) -> str:
    """The unit a potential is submitted for: the caller's own (the token's unit claim)."""
    if not unit:
        raise CommandError(403, "submitting a potential needs a unit (OPD) in the token's unit claim")
    return unit


def submit(r: MappingRound, unit: str, body: PotentialCreate, actor: Actor, today: date) -> Potential:
    """A unit's potential in an open round, up to and including its deadline day (not yet
    added to a session)."""
    if r.status != RoundStatus.OPEN.value:
        raise CommandError(409, "the round is closed")
    if today > r.deadline:
        raise CommandError(409, f"the round's deadline ({r.deadline.isoformat()}) has passed")
    return Potential(
        tenant_id=actor.tenant, round_id=r.id, unit=unit, affair=body.affair.value, title=body.title,
        description=body.description, benefit=body.benefit,
        candidate_partners=[c.model_dump() for c in body.candidate_partners], submitted_by=actor.user,
    )


async def load_potential(session: AsyncSession, potential_id: str, *, lock: bool = False) -> Potential:
    """A potential of the session's tenant (404 otherwise)."""
    found = await get_scoped(session, Potential, potential_id, for_update=lock)
    if found is None:
        raise not_found("potential")
    return found


def may_propose(pot: Potential, actor: Actor, unit: str | None) -> None:
    """A potential is proposed once, by the unit that submitted it or the cooperation section."""
    if "kerja_sama" not in actor.roles and unit != pot.unit:
        raise CommandError(403, f"only the unit that submitted the potential ({pot.unit}) or the cooperation section "
                                "may propose it")
    if pot.proposal_id is not None:
        raise CommandError(409, f"the potential is already proposal {pot.proposal_id}")


def proposal_body(pot: Potential, body: PotentialPropose, tenant: TenantInfo) -> ProposalCreate:
    """The proposal a potential becomes: title, objective (from the benefit) and partner (the
    first candidate) default from the potential. A body the proposal's own schema refuses
    raises pydantic's ``ValidationError``."""
    try:
        terms.validate_term(body.term_months, tenant.max_term_months)
    except ValueError as exc:
        raise CommandError(422, str(exc)) from exc
    partner: PartnerIn | dict[str, Any] | None = body.partner
    if partner is None:
        if not pot.candidate_partners:
            raise CommandError(422, "the potential names no candidate partner: give partner")
        partner = pot.candidate_partners[0]
    fields = body.model_dump(exclude_none=True, exclude={"partner", "title", "objective"})
    return ProposalCreate.model_validate(
        {**fields, "title": body.title or pot.title, "objective": body.objective or pot.benefit, "partner": partner}
    )


async def propose(session: AsyncSession, pot: Potential, create: ProposalCreate, actor: Actor,
                  tenant: TenantInfo) -> Proposal:
    """The draft proposal of the potential's unit (its ``create`` audit entry noting the potential
    and its round), and the potential linked to it; the caller commits."""
    r = await get_scoped(session, MappingRound, pot.round_id)
    note = f"Dari potensi {pot.id}" + (f" (pemetaan «{r.title}»)" if r else "")
    proposal = add_draft(session, create, actor, tenant, pot.unit, note=note)
    await session.flush()  # the proposal row before the potential points at it
    pot.proposal_id, pot.proposed_by, pot.proposed_at = proposal.id, actor.user, utcnow()
    session.add(pot)
    return proposal
