"""Cooperations past the end of their term are closed automatically (``agreement.expired``).

Each is closed in its owner's transaction, with its audit entry and event, by the
lifecycle's ``expire`` transition made by the platform itself.
"""

from __future__ import annotations

import asyncio
from datetime import date

import structlog
from jalin_kit.db import Database, get_scoped, utcnow
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import TenantDirectory

from jalin_proposals.commands import SYSTEM, carry_out, due_to_expire, lifecycle_of
from jalin_proposals.lifecycle import Stage
from jalin_proposals.models import Proposal
from jalin_proposals.schemas import NoteRequest
from jalin_proposals.settings import ProposalsSettings

log = structlog.get_logger(__name__)


async def expire_due(db: Database, tenants: TenantDirectory, today: date) -> int:
    """Close every running cooperation whose term ended before ``today``; returns how many."""
    closed = 0
    while True:
        async with db.system_session() as session:
            due = [(p.id, p.tenant_id) for p in await due_to_expire(session, today)]
        if not due:
            return closed
        for proposal_id, tenant in due:
            async with db.tenant_session(tenant) as session:
                p = await get_scoped(session, Proposal, proposal_id, for_update=True)
                if p is None or p.stage != Stage.PELAKSANAAN.value or not p.term_end or p.term_end >= today:
                    continue  # someone else closed or amended it meanwhile
                t = lifecycle_of(p, tenants.get(tenant)).apply(Stage(p.stage), "expire", SYSTEM.roles)
                await carry_out(session, p, t, NoteRequest(note=f"Jangka waktu berakhir {p.term_end.isoformat()}"),
                                SYSTEM, tenants)
                await session.commit()
                closed += 1
        log.info("cooperations.expired", count=len(due), today=today.isoformat())


async def expiry_scanner(runtime: ServiceRuntime) -> None:
    """Background job: close expired cooperations every ``expiry_interval_seconds``."""
    settings = runtime.settings
    assert isinstance(settings, ProposalsSettings)
    while True:  # first wait: start-up is not the moment for a sweep, and a stop rarely cuts one short
        await asyncio.sleep(settings.expiry_interval_seconds)
        await expire_due(runtime.db, runtime.tenants, settings.today or utcnow().date())
