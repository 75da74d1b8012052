"""Wiring: settings, runtime, HTTP app. ``python -m jalin_evaluation`` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from jalin_kit.http import create_app
from jalin_kit.runtime import ServiceRuntime

from jalin_evaluation import access
from jalin_evaluation.api import router
from jalin_evaluation.deps import Deps
from jalin_evaluation.handlers import build_consumers
from jalin_evaluation.scanner import due_scanner, settings_clock
from jalin_evaluation.settings import EvaluationSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: EvaluationSettings | None = None) -> FastAPI:
    """One app with its own consumers, store and metrics: two in one process share nothing."""
    settings = settings or EvaluationSettings()
    consumers = build_consumers()
    runtime = ServiceRuntime(settings, MIGRATIONS, consumers=consumers, background=[due_scanner])
    # The runtime makes the tenant directory the dependencies hold, so they are handed to the
    # consumers once it exists (before anything runs).
    deps = Deps(tenants=runtime.tenants, today=settings_clock(settings))  # the scanner's clock: what is past is not planned
    consumers.deps = deps
    app = create_app(
        runtime,
        title="Jalin evaluation",
        description="Evaluation plans: monev rounds and expiry reminders.",
        routers=[router],
        operations=access.OPERATIONS,
    )
    app.state.deps = deps
    return app
