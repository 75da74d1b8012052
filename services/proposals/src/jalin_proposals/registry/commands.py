"""Onboarding, changing, disabling and enabling a region: the record and its event in one
transaction. The record's ``version`` grows with each change, so the other services' copies
keep the newest whatever order the events come in."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

import structlog
from jalin_kit.auth import PLATFORM_TENANT
from jalin_kit.db import Database, utcnow
from jalin_kit.events import REGISTRY_TENANT, TenantChanged
from jalin_kit.outbox import record_event
from jalin_kit.regions import Region, RegionKind, region
from jalin_kit.tenants import TenantInfo, TenantRecord, TenantStatus
from jalin_kit.tenants.registry import acceptable_seed
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals.commands import SOURCE, CommandError
from jalin_proposals.registry.schemas import TenantChange, TenantOnboard

log = structlog.get_logger(__name__)

Change = Literal["onboarded", "updated", "disabled", "enabled", "synced"]


class RegistryInvalid(ValueError):
    """An onboarding or change the registry refuses: ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def default_id(r: Region) -> str:
    """``prov-sumatera-barat``, ``kab-kutai-kartanegara``, ``kota-padang``."""
    short = r.name.removeprefix("Kabupaten ").removeprefix("Kota ")
    prefix = {RegionKind.PROVINSI: "prov", RegionKind.KABUPATEN: "kab", RegionKind.KOTA: "kota"}[r.kind]
    ascii_name = unicodedata.normalize("NFKD", short).encode("ascii", "ignore").decode().lower()
    return f"{prefix}-{re.sub(r'[^a-z0-9]+', '-', ascii_name).strip('-')}"[:64].rstrip("-")


def default_section(r: Region) -> str:
    if r.kind is RegionKind.PROVINSI:
        return f"Biro Kerja Sama Setda Provinsi {r.name}"
    return f"Bagian Kerja Sama Setda {r.name}"


def _info(**fields: Any) -> TenantInfo:
    try:
        return TenantInfo.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RegistryInvalid(".".join(str(p) for p in first["loc"]) or "body", first["msg"]) from exc


def _emit(session: AsyncSession, info: TenantInfo, change: Change, by: str) -> None:
    event = TenantChanged(tenant_id=info.id, change=change, record=info, changed_by=by, changed_at=utcnow())
    record_event(session, event, tenant_id=REGISTRY_TENANT, source=SOURCE, correlation_id=info.id)


async def onboard(session: AsyncSession, body: TenantOnboard, by: str) -> TenantInfo:
    r = region(body.region_code)
    if r is None:
        raise RegistryInvalid("region_code", f"{body.region_code!r} is not a Kemendagri region code (GET /v1/regions)")
    tenant_id = body.id or default_id(r)
    if tenant_id == PLATFORM_TENANT:
        raise RegistryInvalid("id", f"{PLATFORM_TENANT!r} is the operators' tenant")
    if await session.get(TenantRecord, tenant_id) is not None:
        raise CommandError(409, f"the tenant id {tenant_id!r} is taken")
    taken = (await session.exec(select(TenantRecord.id).where(TenantRecord.region_code == r.code))).first()
    if taken is not None:
        raise CommandError(409, f"{r.name} ({r.code}) is onboarded already, as tenant {taken!r}")
    info = _info(
        id=tenant_id, region_code=r.code, kind=r.kind, province_code=r.province_code, timezone=r.timezone,
        name=r.government, head_name=body.head_name, head_title=body.head_title or r.head_title, seat=body.seat,
        email_domain=body.email_domain, cooperation_section=body.cooperation_section or default_section(r),
        units=body.units, status=TenantStatus.ACTIVE, version=1, **body.settings.model_dump(),
    )
    session.add(TenantRecord.of(info))
    _emit(session, info, "onboarded", by)
    log.info("tenants.onboarded", tenant_id=info.id, region_code=r.code, by=by)
    return info


async def _locked(session: AsyncSession, tenant_id: str) -> TenantRecord:
    row = await session.get(TenantRecord, tenant_id, with_for_update=True)
    if row is None:
        raise CommandError(404, f"no tenant {tenant_id!r}")
    return row


async def change(session: AsyncSession, tenant_id: str, body: TenantChange, by: str) -> TenantInfo:
    row = await _locked(session, tenant_id)
    current = row.info()
    changes = body.model_dump(exclude_unset=True, exclude={"settings"})
    if body.settings is not None:
        changes.update(body.settings.model_dump())
    merged = {**current.model_dump(), **{k: v for k, v in changes.items() if v is not None}}
    info = _info(**{**merged, "version": current.version + 1})
    row.update_from(info)
    session.add(row)
    _emit(session, info, "updated", by)
    return info


async def set_status(session: AsyncSession, tenant_id: str, status: TenantStatus, by: str) -> TenantInfo:
    row = await _locked(session, tenant_id)
    current = row.info()
    if current.status is status:
        return current
    info = current.model_copy(update={"status": status, "version": current.version + 1})
    row.update_from(info)
    session.add(row)
    _emit(session, info, "disabled" if status is TenantStatus.DISABLED else "enabled", by)
    log.info(f"tenants.{status.value}", tenant_id=tenant_id, by=by)
    return info


async def seed_registry(db: Database, seed: list[TenantInfo]) -> list[TenantInfo]:
    """The deployment's first regions, onboarded (with their events) when the registry lacks
    them; a region already onboarded under another id is left alone. Replicas starting
    together may seed at once: the one that loses the race reads again."""
    for attempt in range(3):
        try:
            return await _seed_registry(db, seed)
        except IntegrityError:
            log.info("tenants.seed_raced", attempt=attempt + 1)
    return []


async def _seed_registry(db: Database, seed: list[TenantInfo]) -> list[TenantInfo]:
    added: list[TenantInfo] = []
    async with db.system_session() as session:
        rows = list((await session.exec(select(TenantRecord))).all())
        known = {row.id: row.region_code for row in rows}
        codes = set(known.values())
        # Every start says again what the registry holds: a copy that missed an event (a new
        # replica's store, a restored one, events aged out of the stream) catches up.
        for row in rows:
            _emit(session, row.info(), "synced", "registry")
        for item in acceptable_seed(seed):
            if item.id in known:
                continue
            if item.region_code is not None and item.region_code in codes:
                log.warning("tenants.seed_region_taken", tenant_id=item.id, region_code=item.region_code)
                continue
            info = item.model_copy(update={"version": max(item.version, 1)})
            session.add(TenantRecord.of(info))
            _emit(session, info, "onboarded", "seed")
            added.append(info)
            codes.add(info.region_code)
        await session.commit()
    return added
