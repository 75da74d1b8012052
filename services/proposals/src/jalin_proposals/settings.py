from __future__ import annotations

from typing import ClassVar

from jalin_kit.settings import ServiceSettings


class ProposalsSettings(ServiceSettings):
    """Environment: ``JALIN_PROPOSALS_*``, falling back to ``JALIN_*``."""

    service_name: ClassVar[str] = "proposals"
    default_port: ClassVar[int] = 8101
