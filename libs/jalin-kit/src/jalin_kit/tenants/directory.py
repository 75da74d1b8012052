"""The registry as one service process reads it: an in-memory snapshot of its table, which
requests consult on every call (is this token's tenant onboarded and enabled?) and which
is reloaded from the table every few seconds, at once for a tenant it does not know yet,
and at once when this process changes the registry itself."""

from __future__ import annotations

import asyncio
import time
from enum import StrEnum

import structlog

from jalin_kit.db import Database
from jalin_kit.tenants.info import TenantInfo, TenantStatus
from jalin_kit.tenants.registry import load_all

log = structlog.get_logger(__name__)

UNKNOWN_RELOAD_SECONDS = 1.0
"""A token of a tenant not in the snapshot reloads it at most this often (a new region is
admitted as soon as this service's copy has it; a stream of unknown tenants costs one
query a second)."""


class UnknownTenant(LookupError):
    """An event names a tenant this service's copy of the registry does not have (yet): the
    consumer retries it (the copy may lag the owner's registry by a moment) rather than act
    on guesses."""


class Admission(StrEnum):
    ADMITTED = "admitted"
    UNKNOWN = "unknown"
    DISABLED = "disabled"


class TenantDirectory:
    """The regions this service knows. Built from a table (``db``) or, in tests of pure
    logic, from a dict."""

    def __init__(self, tenants: dict[str, TenantInfo] | None = None, db: Database | None = None) -> None:
        self._tenants = dict(tenants or {})
        self._db = db
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    def get(self, tenant_id: str) -> TenantInfo:
        """A tenant's info; one the service does not know (a partner outside Jalin, an old
        event) gets neutral defaults rather than an error."""
        info = self._tenants.get(tenant_id)
        if info is None:
            return TenantInfo(
                id=tenant_id if tenant_id else "unknown",
                name=tenant_id or "-",
                head_title="Kepala Daerah",
                seat="-",
                email_domain="invalid.example",
                status=TenantStatus.DISABLED,
            )
        return info

    def __contains__(self, tenant_id: object) -> bool:
        """Onboarded (enabled or not)."""
        return tenant_id in self._tenants

    def is_active(self, tenant_id: str | None) -> bool:
        info = self._tenants.get(tenant_id or "")
        return info is not None and info.active

    def ids(self) -> list[str]:
        return sorted(self._tenants)

    def all(self) -> list[TenantInfo]:
        return [self._tenants[t] for t in sorted(self._tenants)]

    def put(self, info: TenantInfo) -> None:
        """This process changed the registry: no need to wait for the next reload."""
        known = self._tenants.get(info.id)
        if known is None or known.version <= info.version:
            self._tenants[info.id] = info

    async def reload(self) -> None:
        if self._db is None:
            return
        async with self._lock:
            self._tenants = await load_all(self._db)
            self._loaded_at = time.monotonic()

    async def require(self, tenant_id: str) -> TenantInfo:
        """The tenant's record; one not in the snapshot is looked for in the table once more,
        and else :class:`UnknownTenant` (for an event's handler: try again later)."""
        if tenant_id not in self._tenants and self._db is not None:
            await self.reload()
        if tenant_id not in self._tenants:
            raise UnknownTenant(f"tenant {tenant_id!r} is not in this service's copy of the registry (yet)")
        return self._tenants[tenant_id]

    async def admission(self, tenant_id: str) -> Admission:
        info = self._tenants.get(tenant_id)
        if info is None and self._db is not None and time.monotonic() - self._loaded_at >= UNKNOWN_RELOAD_SECONDS:
            await self.reload()
            info = self._tenants.get(tenant_id)
        if info is None:
            return Admission.UNKNOWN
        return Admission.ADMITTED if info.active else Admission.DISABLED

    async def keep_fresh(self, every_seconds: float) -> None:
        """Reload forever (a background job of the service)."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.reload()
            except Exception as exc:  # noqa: BLE001 - keep the last snapshot; try again
                log.warning("tenants.reload_failed", error=type(exc).__name__)
