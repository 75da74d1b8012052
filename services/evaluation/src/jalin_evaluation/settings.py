from __future__ import annotations

from datetime import date
from typing import ClassVar

from jalin_kit.settings import ServiceSettings


class EvaluationSettings(ServiceSettings):
    """Environment: ``JALIN_EVALUATION_*``, falling back to ``JALIN_*``."""

    service_name: ClassVar[str] = "evaluation"
    default_port: ClassVar[int] = 8104
    development_only: ClassVar[tuple[str, ...]] = ("today",)

    scan_interval_seconds: float = 60.0
    # For demonstrations and tests of the reminder path only: pretend today is this date.
    today: date | None = None
