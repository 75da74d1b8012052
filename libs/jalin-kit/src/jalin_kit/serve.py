"""Run a service's FastAPI app on uvicorn."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from pydantic import ValidationError

from jalin_kit.settings import ServiceSettings, SettingsProblem


def load_settings(settings_cls: type[ServiceSettings]) -> ServiceSettings:
    """The service's settings from the environment, or a clear refusal naming what is wrong
    (a start without a JWT secret or bus credential outside the embedded default, a
    placeholder secret, ...) instead of a traceback."""
    try:
        return settings_cls()
    except ValidationError as exc:
        problems = "\n".join(f"  - {_located(e)}{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        sys.exit(f"jalin-{settings_cls.service_name} cannot start:\n{problems}")
    except SettingsProblem as exc:
        sys.exit(f"jalin-{settings_cls.service_name} cannot start:\n  - {exc}")


def _located(error: Any) -> str:
    """A field's own error (a number that is not one) names the field; the checks across
    fields name their settings themselves."""
    loc = [str(part) for part in error.get("loc", ())]
    return f"JALIN_{'_'.join(loc).upper()}: " if loc else ""


def serve(build: Callable[[Any], Any], settings: ServiceSettings | type[ServiceSettings]) -> None:
    if isinstance(settings, type):
        settings = load_settings(settings)
    app = build(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
