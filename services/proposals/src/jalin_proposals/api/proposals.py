"""Proposals: draft, edit, read, list, the partner's offers, extension."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from jalin_kit.access import roles_in_effect
from jalin_kit.auth import CurrentPrincipal, Principal
from jalin_kit.db import utcnow
from jalin_kit.http import OBJECT_ID, ObjectId, Runtime, TenantReadSession, TenantSession
from jalin_kit.identifiers import TENANT_ID, UNIT_ID
from jalin_kit.openapi import CONFLICT, NOT_FOUND
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.text import Day, contains, search_words
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import ColumnElement, func, or_
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


class ProposalFilters:
    """The filters of the list and of its counts (a dependency: the same query parameters for both)."""

    def __init__(
        self,
        status_: Annotated[list[Status] | None, Query(alias="status", max_length=len(Status),
                                                      description="One or more statuses (repeat the parameter).")] = None,
        stage: Stage | None = None,
        side: Annotated[Literal["own", "partner"] | None, Query(description="own: ours; partner: shared with us")] = None,
        q: Annotated[str | None, Query(max_length=200, description="Words in the title or the partner's name.")] = None,
        kind: Kind | None = None,
        unit: Annotated[str | None, Query(pattern=UNIT_ID.schema, description="The proposing unit (OPD).")] = None,
        partner: Annotated[str | None, Query(pattern=TENANT_ID.schema,
                                             description="A region on either side: the partner named, or the owner.")] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100, description="The year it was drafted (UTC).")] = None,
        ends_before: Annotated[Day | None, Query(description="Its term ends on or before this day.")] = None,
    ) -> None:
        self.status, self.stage, self.side, self.kind, self.unit, self.partner, self.year = (
            status_, stage, side, kind, unit, partner, year)
        self.ends_before = ends_before
        self.q = search_words(q)

    def apply(self, query: Any, tenant: str, *, ignore_stage: bool = False) -> Any:
        conditions: list[ColumnElement[bool]] = []
        if self.status:
            conditions.append(col(Proposal.status).in_([s.value for s in self.status]))
        if self.stage is not None and not ignore_stage:
            conditions.append(col(Proposal.stage) == self.stage.value)
        if self.side == "own":
            conditions.append(col(Proposal.tenant_id) == tenant)
        elif self.side == "partner":
            conditions.append(col(Proposal.tenant_id) != tenant)
        if self.kind is not None:
            conditions.append(col(Proposal.kind) == self.kind.value)
        if self.unit is not None:
            conditions.append(col(Proposal.unit) == self.unit)
        if self.partner is not None:
            conditions.append(or_(col(Proposal.partner_tenant) == self.partner, col(Proposal.tenant_id) == self.partner))
        if self.year is not None:
            conditions.append(col(Proposal.created_at) >= datetime(self.year, 1, 1, tzinfo=UTC))
            conditions.append(col(Proposal.created_at) < datetime(self.year + 1, 1, 1, tzinfo=UTC))
        if self.ends_before is not None:
            conditions.append(col(Proposal.term_end) <= self.ends_before)
        if self.q:
            conditions.append(or_(contains(col(Proposal.title), self.q), contains(col(Proposal.partner_name), self.q)))
        return query.where(*conditions) if conditions else query


Filters = Annotated[ProposalFilters, Depends()]


@router.get("/proposals", response_model=list[ProposalPublic], responses={200: {
    "description": "The page asked for, newest first.",
    "headers": {"X-Total-Count": {"description": "How many proposals the filters match (all pages).",
                                  "schema": {"type": "integer"}}}}})
async def list_proposals(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    response: Response,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ProposalPublic]:
    """Our proposals and the cooperations partner regions share with us, filtered and paged."""
    access.require("proposal.read", principal)
    query = filters.apply(select(Proposal), principal.tenant_id)
    rows = (await session.exec(query.order_by(col(Proposal.created_at).desc(), col(Proposal.id)).limit(limit)
                               .offset(offset))).all()
    total = await session.scalar(filters.apply(select(func.count(col(Proposal.id))), principal.tenant_id))
    response.headers["X-Total-Count"] = str(total or 0)
    return [ProposalPublic.of(p) for p in rows]


class ProposalCounts(BaseModel):
    """How many proposals the filters match, by stage, by unit and by the year they were drafted
    (the stage filter does not narrow ``by_stage``: every stage's count is given)."""

    total: int
    by_stage: dict[str, int]
    by_unit: dict[str, int] = Field(description="Units with proposals; those without a unit are not counted here.")
    by_year: dict[str, int]


@router.get("/proposal-counts", response_model=ProposalCounts)
async def proposal_counts(principal: CurrentPrincipal, session: TenantReadSession, filters: Filters) -> ProposalCounts:
    """Counts for a dashboard and for the list's filters, over every proposal the caller sees."""
    access.require("proposal.read", principal)
    year = func.extract("year", col(Proposal.created_at))

    async def grouped(column: Any, ignore_stage: bool = False, number: bool = False) -> dict[str, int]:
        query = filters.apply(select(column, func.count(col(Proposal.id))), principal.tenant_id, ignore_stage=ignore_stage)
        return {str(int(k)) if number else str(k): n  # a year: a float on SQLite, a Decimal on PostgreSQL
                for k, n in (await session.exec(query.group_by(column))).all() if k is not None}

    by_stage = await grouped(Proposal.stage, ignore_stage=True)
    by_unit = await grouped(Proposal.unit)
    by_year = await grouped(year, number=True)
    total = sum(by_stage.values()) if filters.stage is None else by_stage.get(filters.stage.value, 0)
    return ProposalCounts(total=total, by_stage=by_stage, by_unit=by_unit, by_year=by_year)


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
    p = await load(session, proposal_id)
    editable = (access.allowed("proposal.edit", roles_in_effect(principal))
                and p.tenant_id == principal.tenant_id and Stage(p.stage) in DRAFT_STAGES)
    return ProposalPublic.of(p).model_copy(update={"editable": editable})


def _actions(p: Proposal, principal: Principal, runtime: ServiceRuntime) -> list[ActionPublic]:
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


@router.get("/proposals/{proposal_id}/actions", response_model=list[ActionPublic], responses=NOT_FOUND)
async def available_actions(
    proposal_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession, runtime: Runtime
) -> list[ActionPublic]:
    """What the caller may do next (the commands of POST .../actions/{command})."""
    access.require("proposal.read", principal)
    return _actions(await load(session, proposal_id), principal, runtime)


class ProposalActions(BaseModel):
    proposal_id: str
    actions: list[ActionPublic]


async def _reader(principal: CurrentPrincipal) -> None:
    """The role check as a dependency: it runs before the parameters are validated (403 before 422)."""
    access.require("proposal.read", principal)


@router.get("/proposal-actions", response_model=list[ProposalActions], dependencies=[Depends(_reader)])
async def actions_of_many(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    runtime: Runtime,
    ids: Annotated[list[Annotated[str, StringConstraints(pattern=OBJECT_ID.schema)]],
                   Query(alias="id", min_length=1, max_length=50, description="Up to 50 proposal ids.")],
) -> list[ProposalActions]:
    """``GET /v1/proposals/{id}/actions`` for many proposals at once (a dashboard's tasks), in
    the order asked; an id the caller does not see is left out."""
    found = {p.id: p for p in (await session.exec(select(Proposal).where(col(Proposal.id).in_(set(ids))))).all()}
    return [ProposalActions(proposal_id=i, actions=_actions(found[i], principal, runtime))
            for i in dict.fromkeys(ids) if i in found]


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
