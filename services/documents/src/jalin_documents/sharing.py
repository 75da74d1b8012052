"""Which proposals this service knows, whose they are, and who else sees them: the partner
region, when it is a Jalin tenant.

A proposal becomes known from ``proposal.drafted`` (or ``agreement.imported``, for a
cooperation entered from a legacy register): its owner and unit (OPD), kept in
``cooperation_parties``; files are accepted only for a known proposal. The proposals service
shares a proposal with its partner at approval; this service learns the partner from the
same ``proposal.approved`` event. The owner's documents and attachments of that proposal carry
``shared_with`` = the partner; the partner's own uploads carry ``shared_with`` = the owner.
A third tenant sees none of it (the kit's tenant scope).
"""

from __future__ import annotations

import structlog
from jalin_kit.db import utcnow
from jalin_kit.events import ProposalApproved
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_documents.models import Attachment, CooperationParty, Document

log = structlog.get_logger(__name__)


def partner_tenant(event: ProposalApproved) -> str | None:
    """The partner's tenant id when the owner shared the proposal with another region on Jalin
    (the proposals service shares only with a region of its registry), else None."""
    partner = event.shared_with
    return partner if partner and partner != event.tenant else None


async def known_proposal(session: AsyncSession, proposal_id: str) -> CooperationParty | None:
    """The proposal as this service knows it, if the session's tenant (and unit) may see it:
    its owner's (of the OPD's unit, for an OPD), or the partner's it is shared with."""
    return (
        await session.exec(select(CooperationParty).where(CooperationParty.proposal_id == proposal_id))
    ).first()


async def know_proposal(session: AsyncSession, proposal_id: str, owner: str, unit: str | None) -> None:
    """Remember a proposal (idempotent; a proposal id is never re-pointed to another owner)."""
    found = (
        await session.exec(select(CooperationParty).where(CooperationParty.proposal_id == proposal_id))
    ).first()
    if found is None:
        session.add(CooperationParty(proposal_id=proposal_id, tenant_id=owner, unit=unit))
    elif found.tenant_id != owner:
        log.warning("sharing.proposal_of_another_owner", proposal_id=proposal_id)


async def record_parties(
    session: AsyncSession, proposal_id: str, owner: str, partner: str | None, unit: str | None = None
) -> None:
    """Remember the parties and share the owner's existing rows of the proposal with the
    partner (idempotent: an approval may come again after a revision). ``session`` is the
    owner's tenant session, so the updates reach the owner's rows only."""
    found = (
        await session.exec(select(CooperationParty).where(CooperationParty.proposal_id == proposal_id))
    ).first()
    if found is not None and found.tenant_id != owner:
        # The proposal id is known as another region's: never re-point it.
        log.warning("sharing.proposal_of_another_owner", proposal_id=proposal_id)
        return
    if found is None:
        session.add(CooperationParty(proposal_id=proposal_id, tenant_id=owner, shared_with=partner, unit=unit))
    elif found.shared_with != partner:
        found.shared_with = partner
        found.updated_at = utcnow()
    for model in (Document, Attachment):
        await session.exec(
            update(model)
            .where(col(model.proposal_id) == proposal_id)
            .where(col(model.shared_with).is_distinct_from(partner))
            .values(shared_with=partner)
        )


async def counterpart(session: AsyncSession, proposal_id: str, tenant: str) -> str | None:
    """The other party of ``tenant`` in this proposal's cooperation, if the service knows one.

    An unknown proposal (not approved yet, or not a cooperation between two tenants) has
    none: what ``tenant`` uploads for it stays its own.
    """
    parties = (
        await session.exec(select(CooperationParty).where(CooperationParty.proposal_id == proposal_id))
    ).first()
    if parties is None or parties.shared_with is None:
        return None
    if parties.tenant_id == tenant:
        return parties.shared_with
    if parties.shared_with == tenant:
        return parties.tenant_id
    return None
