"""What the routes share: the caller as an actor, loading what the caller may see,
and opening the owner's transaction for a step the partner region makes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException
from jalin_kit.access import unit_scope
from jalin_kit.auth import Principal
from jalin_kit.db import get_scoped
from jalin_kit.http import not_found
from jalin_kit.runtime import ServiceRuntime
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals.commands import Actor, CommandError
from jalin_proposals.models import Proposal


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.tenant_id, principal.roles)


async def load(session: AsyncSession, proposal_id: str, *, for_update: bool = False) -> Proposal:
    """A proposal the session's tenant owns or shares in, or 404."""
    proposal = await get_scoped(session, Proposal, proposal_id, for_update=for_update)
    if proposal is None:
        raise not_found("proposal")
    return proposal


@asynccontextmanager
async def owner_session(runtime: ServiceRuntime, principal: Principal, proposal_id: str) -> AsyncIterator[
    tuple[AsyncSession, Proposal]
]:
    """The proposal, locked, in a transaction of its owner's tenant.

    The caller must see it (own it, or be the partner it is shared with); the partner's
    steps are written in the owner's tenant, which is the one place a request of one
    tenant writes rows of another. What the partner may do is checked by the caller.
    """
    async with runtime.db.tenant_session(principal.tenant_id, readonly=True, unit=unit_scope(principal)) as seen:
        owner = (await load(seen, proposal_id)).tenant_id
    async with runtime.db.tenant_session(owner) as session:
        proposal = await load(session, proposal_id, for_update=True)
        if principal.tenant_id not in (proposal.tenant_id, proposal.shared_with):
            raise not_found("proposal")  # un-shared between the two reads
        yield session, proposal


def http_error(exc: CommandError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def owner_only(proposal: Proposal, principal: Principal, what: str) -> None:
    if proposal.tenant_id != principal.tenant_id:
        raise HTTPException(403, f"only the proposing region ({proposal.tenant_id}) may {what}")

