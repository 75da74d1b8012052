"""Wiring: settings, runtime, HTTP app. ``python -m jalin_proposals`` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jalin_kit.http import create_app
from jalin_kit.runtime import ServiceRuntime

from jalin_proposals.api import routers
from jalin_proposals.expiry import expiry_scanner
from jalin_proposals.mapping.scanner import mapping_scanner
from jalin_proposals.settings import ProposalsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: ProposalsSettings | None = None) -> FastAPI:
    settings = settings or ProposalsSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, background=[expiry_scanner, mapping_scanner])
    return create_app(
        runtime,
        title="Jalin proposals",
        description="Cooperation proposals (usulan kerja sama) and their lifecycle.",
        routers=routers,
        own_body_limits=["/v1/imports/agreements"],  # read_upload bounds the file by max_upload_bytes
    )
