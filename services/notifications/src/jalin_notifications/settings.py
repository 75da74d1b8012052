from __future__ import annotations

from typing import ClassVar

from jalin_kit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """Environment: ``JALIN_NOTIFICATIONS_*``, falling back to ``JALIN_*``."""

    service_name: ClassVar[str] = "notifications"
    default_port: ClassVar[int] = 8103
    secret_fields: ClassVar[tuple[str, ...]] = (*ServiceSettings.secret_fields, "smtp_password")
    production_requires: ClassVar[tuple[str, ...]] = ("smtp_host",)  # the default is jalin up's mail sink

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8125
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Jalin <noreply@jalin.example.id>"
    mailer_poll_seconds: float = 0.5
    mailer_batch_size: int = 50
    mailer_max_attempts: int = 8
