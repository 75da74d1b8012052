"""HTTP routes of the tenant registry: the operator's (``/v1/admin/tenants``) and the regions'
(``/v1/tenants``: who is on Jalin to cooperate with; ``/v1/regions``: the reference list)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from jalin_kit.auth import CurrentPrincipal, PlatformOperator
from jalin_kit.http import Runtime
from jalin_kit.identifiers import TENANT_ID
from jalin_kit.openapi import NOT_FOUND, error
from jalin_kit.regions import RegionKind, regions
from jalin_kit.tenants import TenantInfo, TenantStatus
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals import access
from jalin_proposals.commands import CommandError
from jalin_proposals.partners import invalid
from jalin_proposals.registry import commands
from jalin_proposals.registry.commands import RegistryInvalid
from jalin_proposals.registry.schemas import RegionPublic, TenantChange, TenantEntry, TenantOnboard

router = APIRouter(prefix="/v1", tags=["tenants"])

TenantId = Annotated[str, Path(pattern=TENANT_ID.schema, description="The tenant id, e.g. sumbar.")]


@router.get("/admin/tenants", response_model=list[TenantInfo])
async def list_tenants(
    _op: PlatformOperator,
    runtime: Runtime,
    status_: Annotated[TenantStatus | None, Query(alias="status")] = None,
    kind: RegionKind | None = None,
) -> list[TenantInfo]:
    """Every onboarded region (the registry), by tenant id."""
    await runtime.tenants.reload()
    return [t for t in runtime.tenants.all() if (status_ is None or t.status is status_) and (kind is None or t.kind is kind)]


async def _registry_change(runtime: Runtime, work: Callable[[AsyncSession], Awaitable[TenantInfo]]) -> TenantInfo:
    """One change of the registry in its transaction, its refusals as HTTP answers: what the
    body cannot be (422), what the registry holds already or no longer (409, 404)."""
    try:
        async with runtime.db.system_session() as session:
            info = await work(session)
            await session.commit()
    except RegistryInvalid as exc:
        raise invalid(exc.field, str(exc)) from exc
    except CommandError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except IntegrityError as exc:  # another request onboarded the same id or region at the same moment
        raise HTTPException(409, "the tenant id or the region was onboarded by another request just now") from exc
    runtime.tenants.put(info)
    return info


@router.post("/admin/tenants", status_code=status.HTTP_201_CREATED, response_model=TenantInfo,
             responses={409: error("The tenant id is taken, or the region is onboarded already.")})
async def onboard_tenant(body: TenantOnboard, operator: PlatformOperator, runtime: Runtime) -> TenantInfo:
    """Onboard a region: from now on its tokens are admitted by every service (as soon as each
    has the ``tenant.changed`` event) and other regions may name it as a partner."""
    return await _registry_change(runtime, lambda session: commands.onboard(session, body, operator.user_id))


@router.get("/admin/tenants/{tenant_id}", response_model=TenantInfo, responses=NOT_FOUND)
async def show_tenant(tenant_id: TenantId, _op: PlatformOperator, runtime: Runtime) -> TenantInfo:
    await runtime.tenants.reload()
    if tenant_id not in runtime.tenants:
        raise HTTPException(404, f"no tenant {tenant_id!r}")
    return runtime.tenants.get(tenant_id)


@router.patch("/admin/tenants/{tenant_id}", response_model=TenantInfo, responses=NOT_FOUND)
async def change_tenant(tenant_id: TenantId, body: TenantChange, operator: PlatformOperator, runtime: Runtime) -> TenantInfo:
    """Change what the region says of itself: its kepala daerah, seat, section, units, settings."""
    return await _registry_change(runtime, lambda session: commands.change(session, tenant_id, body, operator.user_id))


async def _set_status(tenant_id: str, state: TenantStatus, operator: PlatformOperator, runtime: Runtime) -> TenantInfo:
    return await _registry_change(runtime, lambda session: commands.set_status(session, tenant_id, state, operator.user_id))


@router.post("/admin/tenants/{tenant_id}/disable", response_model=TenantInfo, responses=NOT_FOUND)
async def disable_tenant(tenant_id: TenantId, operator: PlatformOperator, runtime: Runtime) -> TenantInfo:
    """Every service refuses the region's tokens (403) once it has the event; its data stays."""
    return await _set_status(tenant_id, TenantStatus.DISABLED, operator, runtime)


@router.post("/admin/tenants/{tenant_id}/enable", response_model=TenantInfo, responses=NOT_FOUND)
async def enable_tenant(tenant_id: TenantId, operator: PlatformOperator, runtime: Runtime) -> TenantInfo:
    return await _set_status(tenant_id, TenantStatus.ACTIVE, operator, runtime)


@router.get("/tenants", response_model=list[TenantEntry])
async def list_regions_on_jalin(principal: CurrentPrincipal, runtime: Runtime) -> list[TenantEntry]:
    """The regions enabled on this Jalin: the partners a cooperation may name by tenant id."""
    access.require("tenant.directory", principal)
    return [
        TenantEntry(id=t.id, name=t.name, kind=t.kind, region_code=t.region_code, province_code=t.province_code,
                    timezone=t.timezone)
        for t in runtime.tenants.all()
        if t.active
    ]


@router.get("/regions", response_model=list[RegionPublic])
async def list_regions(
    principal: CurrentPrincipal,
    runtime: Runtime,
    kind: RegionKind | None = None,
    province_code: Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="A province's regencies and cities")] = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100, description="Part of the name")] = None,
) -> list[RegionPublic]:
    """Indonesia's 38 provinces and 514 regencies and cities (Kemendagri codes), each with its
    tenant id when it is onboarded here."""
    access.require("region.read", principal)
    onboarded = {t.region_code: t.id for t in runtime.tenants.all() if t.region_code}
    needle = q.lower() if q else None
    return [
        RegionPublic.of(r, onboarded.get(r.code))
        for r in regions().values()
        if (kind is None or r.kind is kind)
        and (province_code is None or r.province_code == province_code or r.code == province_code)
        and (needle is None or needle in r.name.lower())
    ]
