"""Tenants: the onboarded regions (the registry), as every service sees them.

- ``info``: a tenant's record and per-tenant settings, and the embedded default's demo regions;
- ``registry``: the ``tenants`` table every service keeps and the ``tenant.changed`` event
  that keeps the copies in step with the owner's (the proposals service);
- ``directory``: the in-memory snapshot a process consults on every request.
"""

from jalin_kit.tenants.directory import Admission, TenantDirectory, UnknownTenant
from jalin_kit.tenants.info import DEMO_TENANTS, DEMO_USERS, DemoUser, TenantInfo, TenantSettings, TenantStatus
from jalin_kit.tenants.registry import TenantRecord, follow_registry

__all__ = [
    "DEMO_TENANTS",
    "DEMO_USERS",
    "DemoUser",
    "Admission",
    "TenantDirectory",
    "TenantInfo",
    "TenantRecord",
    "TenantSettings",
    "TenantStatus",
    "UnknownTenant",
    "follow_registry",
]
