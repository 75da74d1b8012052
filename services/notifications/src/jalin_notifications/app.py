"""Wiring: settings, runtime, HTTP app. ``python -m jalin_notifications`` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jalin_kit.http import create_app
from jalin_kit.runtime import ServiceRuntime

from jalin_notifications import access
from jalin_notifications.api import router
from jalin_notifications.handlers import consumers, deps
from jalin_notifications.mailer import mailer
from jalin_notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, consumers=consumers, background=[mailer])
    deps.tenants = runtime.tenants
    return create_app(
        runtime,
        title="Jalin notifications",
        description="Inbox messages and emails for the people of each region.",
        routers=[router],
        operations=access.OPERATIONS,
    )
