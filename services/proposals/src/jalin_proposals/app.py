"""Wiring: settings, runtime, HTTP app. ``python -m jalin_proposals`` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jalin_kit.http import create_app
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import TenantInfo

from jalin_proposals import access
from jalin_proposals.api import routers
from jalin_proposals.expiry import expiry_scanner
from jalin_proposals.mapping.scanner import mapping_scanner
from jalin_proposals.registry.commands import seed_registry
from jalin_proposals.settings import ProposalsSettings


async def seed_tenants(runtime: ServiceRuntime, seed: list[TenantInfo]) -> None:
    """This service owns the registry: the deployment's first regions are onboarded, with
    their events, so that the other services' copies follow."""
    await seed_registry(runtime.db, seed)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: ProposalsSettings | None = None) -> FastAPI:
    settings = settings or ProposalsSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, background=[expiry_scanner, mapping_scanner], registry_owner=seed_tenants)
    return create_app(
        runtime,
        title="Jalin proposals",
        description="Cooperation proposals (usulan kerja sama) and their lifecycle.",
        routers=routers,
        operations=access.OPERATIONS,
        own_body_limits=["/v1/imports/agreements"],  # read_upload bounds the file by max_upload_bytes
    )
