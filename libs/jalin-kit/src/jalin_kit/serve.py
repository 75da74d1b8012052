"""Run a service's FastAPI app on uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import uvicorn

from jalin_kit.settings import ServiceSettings


def serve(build: Callable[[Any], Any], settings: ServiceSettings) -> None:
    app = build(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
