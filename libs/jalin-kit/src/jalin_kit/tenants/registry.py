"""The tenant registry's table, which every service keeps, and the event that keeps the
copies in step.

The proposals service owns the registry: the platform operator onboards, changes and
disables regions there, and each change commits with a ``tenant.changed`` event carrying
the whole record. The other services keep a copy of the table from those events
(:func:`apply_change`, registered by :func:`follow_registry`), so every service refuses a
token of a region that is not onboarded or is disabled, and learns of a change without a
restart. A copy keeps the newest version of each record, whatever order events come in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import Column, Text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_kit.db import Database, utcnow
from jalin_kit.events import catalogue
from jalin_kit.tenants.info import TenantInfo

if TYPE_CHECKING:
    from jalin_kit.consumers import EventConsumers, EventContext
    from jalin_kit.events.catalogue import TenantChanged

log = structlog.get_logger(__name__)

class TenantRecord(SQLModel, table=True):
    """One region in the registry (the owner's table, or a service's copy of it)."""

    __tablename__ = "tenants"

    id: str = Field(primary_key=True, max_length=64)
    region_code: str | None = Field(default=None, max_length=8, unique=True)
    status: str = Field(max_length=16, index=True)
    version: int = 0
    data: str = Field(sa_column=Column(Text, nullable=False))
    """The whole :class:`TenantInfo` as JSON."""
    updated_at: datetime = Field(default_factory=utcnow)

    def info(self) -> TenantInfo:
        return TenantInfo.model_validate_json(self.data)

    @classmethod
    def of(cls, info: TenantInfo) -> TenantRecord:
        return cls(id=info.id, region_code=info.region_code, status=info.status.value, version=info.version,
                   data=info.model_dump_json())

    def update_from(self, info: TenantInfo) -> None:
        self.region_code, self.status, self.version = info.region_code, info.status.value, info.version
        self.data, self.updated_at = info.model_dump_json(), utcnow()


async def load_all(db: Database) -> dict[str, TenantInfo]:
    async with db.system_session(readonly=True) as session:  # (a reader: a handler holding the writer may call it)
        rows = (await session.exec(select(TenantRecord))).all()
    return {row.id: row.info() for row in rows}


async def store(session: AsyncSession, info: TenantInfo) -> bool:
    """Insert or update a record if ``info`` is newer than the stored one; True if it was.
    The owner's record wins over a copy's: one that holds the same region under another id
    (a stale seed) gives way."""
    row = await session.get(TenantRecord, info.id, with_for_update=True)
    if row is not None and row.version >= info.version:
        return False
    if info.region_code is not None:
        stale = (await session.exec(
            select(TenantRecord).where(TenantRecord.region_code == info.region_code, TenantRecord.id != info.id)
        )).all()
        for other in stale:
            log.warning("tenants.copy_region_reassigned", region_code=info.region_code, dropped=other.id, kept=info.id)
            await session.delete(other)
        if stale:
            await session.flush()
    if row is None:
        session.add(TenantRecord.of(info))
    else:
        row.update_from(info)
        session.add(row)
    return True


async def seed_copy(db: Database, tenants: Iterable[TenantInfo]) -> int:
    """A service's copy starts with the deployment's seed (version 0: any event of the
    owner's, version 1 and up, replaces it). Only what is missing is added. Replicas starting
    together may seed at once: the one that loses the race reads again and adds nothing."""
    seed = acceptable_seed(tenants)
    for attempt in range(3):
        added = 0
        try:
            async with db.system_session() as session:
                rows = (await session.exec(select(TenantRecord))).all()
                known, codes = {r.id for r in rows}, {r.region_code for r in rows if r.region_code}
                for info in seed:
                    region = info.region_code
                    if info.id not in known and (region is None or region not in codes):  # as the owner seeds: no region twice
                        session.add(TenantRecord.of(info.model_copy(update={"version": 0})))
                        known.add(info.id)
                        if region is not None:
                            codes.add(region)
                        added += 1
                await session.commit()
            return added
        except IntegrityError:
            log.info("tenants.seed_raced", attempt=attempt + 1)  # another replica seeded the same rows
    return 0


def acceptable_seed(tenants: Iterable[TenantInfo]) -> list[TenantInfo]:
    """The seed's regions that may be tenants: a real Kemendagri code (when it names one) and
    not the operators' id. The others are left out, with a warning."""
    from jalin_kit.auth import PLATFORM_TENANT
    from jalin_kit.regions import region

    out = []
    for info in tenants:
        if info.id == PLATFORM_TENANT or (info.region_code is not None and region(info.region_code) is None):
            log.warning("tenants.seed_entry_refused", tenant_id=info.id, region_code=info.region_code)
            continue
        out.append(info)
    return out


async def apply_change(ctx: EventContext, event: TenantChanged) -> None:
    """A service's copy follows the owner's registry."""
    if event.record.id != event.tenant_id:
        from jalin_kit.consumers import Refused

        raise Refused("tenant.changed names two different tenants")
    if await store(ctx.session, event.record):
        log.info("tenants.copy_updated", tenant_id=event.tenant_id, change=event.change, version=event.record.version)


def follow_registry(consumers: EventConsumers) -> None:
    """Keep this service's copy of the registry (every service but its owner)."""
    consumers.on(catalogue.TenantChanged, "tenant-changed")(apply_change)
