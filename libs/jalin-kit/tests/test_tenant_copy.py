"""A service's copy of the tenant registry, seeded by replicas that start together."""

from __future__ import annotations

import asyncio

from jalin_kit.db import Database
from jalin_kit.tenants import DEMO_TENANTS
from jalin_kit.tenants.registry import TenantRecord, load_all, seed_copy


async def test_replicas_seeding_at_once_store_each_region_once(database_url: str) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        await first.create_all([TenantRecord.__table__])  # type: ignore[attr-defined]
        seed = list(DEMO_TENANTS.values())
        added = await asyncio.gather(*(seed_copy(db, seed) for db in (first, second, first, second)))
        assert sum(added) == len(seed)  # the winner added them; whoever raced read again and added none
        stored = await load_all(first)
        assert sorted(stored) == sorted(DEMO_TENANTS) and {t.version for t in stored.values()} == {0}
    finally:
        await first.dispose()
        await second.dispose()
