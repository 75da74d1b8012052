"""Settings from the environment, one prefix per service.

A service reads ``JALIN_<SERVICE>_<NAME>`` first and falls back to the shared
``JALIN_<NAME>`` (so one ``JALIN_NATS_URL`` serves every service on a host).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEV_PLACEHOLDER_SECRET = "change-me"
ASYMMETRIC_PREFIXES = ("RS", "PS", "ES", "EDDSA")


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``service_name`` and ``default_port``."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8100

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".jalin")
    nats_url: str = "nats://127.0.0.1:4322"
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 0

    # JWT: a shared secret (HS256) for the development issuer, or OIDC (issuer, audience, JWKS).
    jwt_secret: str = DEV_PLACEHOLDER_SECRET
    jwt_issuer: str = "jalin-dev"
    jwt_audience: str = "jalin"
    jwt_jwks_url: str | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["HS256"])

    # Consumers: redelivery with backoff, then the dead-letter store.
    max_deliver: int = 5
    backoff_seconds: list[float] = Field(default_factory=lambda: [0.5, 1.0, 2.0, 5.0])
    ack_wait_seconds: float = 30.0
    pull_batch_size: int = 20

    # Outbox relay.
    relay_batch_size: int = 200
    relay_poll_seconds: float = 1.0
    relay_max_backoff_seconds: float = 5.0

    tenants_file: Path | None = None
    log_level: str = "INFO"
    log_json: bool = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        own = EnvSettingsSource(settings_cls, env_prefix=f"JALIN_{cls.service_name.upper()}_")
        shared = EnvSettingsSource(settings_cls, env_prefix="JALIN_")
        return (init_settings, own, shared)

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> ServiceSettings:
        if not self.database_url:
            path = (self.data_dir / "data" / f"{self.service_name}.db").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        if not self.port:
            self.port = self.default_port
        if self.jwt_jwks_url:
            symmetric = [a for a in self.jwt_algorithms if not a.upper().startswith(ASYMMETRIC_PREFIXES)]
            if symmetric:
                raise ValueError(
                    f"with JWT_JWKS_URL set, JWT_ALGORITHMS must be asymmetric (RS*, PS*, ES*, EdDSA); "
                    f"refused: {', '.join(symmetric)}"
                )
        elif self.environment == "production":
            if self.jwt_secret == DEV_PLACEHOLDER_SECRET:
                raise ValueError(
                    "JWT secret is the development placeholder: set JALIN_JWT_SECRET "
                    "or JALIN_JWT_JWKS_URL in production"
                )
            if len(self.jwt_secret.encode()) < 32:
                raise ValueError("JALIN_JWT_SECRET must be at least 32 bytes in production")
        return self

    @property
    def blob_dir(self) -> Path:
        return (self.data_dir / "blobs" / self.service_name).resolve()

    def public(self) -> dict[str, Any]:
        """Settings safe to log (no secrets)."""
        data = self.model_dump(mode="json")
        data["jwt_secret"] = "***"
        data["database_url"] = _redact_url(self.database_url)
        return data


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
