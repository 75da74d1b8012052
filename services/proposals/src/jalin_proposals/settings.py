from __future__ import annotations

from datetime import date
from typing import ClassVar

from jalin_kit.settings import ServiceSettings


class ProposalsSettings(ServiceSettings):
    """Environment: ``JALIN_PROPOSALS_*``, falling back to ``JALIN_*``."""

    service_name: ClassVar[str] = "proposals"
    default_port: ClassVar[int] = 8101
    development_only: ClassVar[tuple[str, ...]] = ("today",)

    expiry_interval_seconds: float = 3600.0
    """How often running cooperations past their end date are closed (docs/domain.md: a daily check in practice)."""
    today: date | None = None
    """For demonstrations and tests only: the date expiry, mapping deadlines and reminders use."""
    max_upload_bytes: int = 10 * 1024 * 1024
    """Largest legacy register file accepted by the import."""
    mapping_scan_interval_seconds: float = 3600.0
    """How often open mapping rounds are checked for reminders due and for a passed deadline."""
