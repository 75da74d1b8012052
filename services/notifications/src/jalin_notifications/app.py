"""Wiring: settings, runtime, HTTP app. ``python -m jalin_notifications`` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jalin_kit.http import create_app
from jalin_kit.runtime import ServiceRuntime

from jalin_notifications import access
from jalin_notifications.api import router
from jalin_notifications.deps import Deps
from jalin_notifications.handlers import build_consumers
from jalin_notifications.mailer import mailer, watch_mail_queue
from jalin_notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: NotificationsSettings | None = None) -> FastAPI:
    """One app with its own consumers, store and metrics: two in one process share nothing."""
    settings = settings or NotificationsSettings()
    consumers = build_consumers()
    runtime = ServiceRuntime(settings, MIGRATIONS, consumers=consumers, background=[mailer])
    # The runtime makes the tenant directory the dependencies hold, so they are handed to the
    # consumers once it exists (before anything runs).
    deps = Deps(tenants=runtime.tenants)
    consumers.deps = deps
    watch_mail_queue(runtime)
    app = create_app(
        runtime,
        title="Jalin notifications",
        description="Inbox messages and emails for the people of each region.",
        routers=[router],
        operations=access.OPERATIONS,
    )
    app.state.deps = deps
    return app
