"""The console's settings: ``JALIN_CONSOLE_<NAME>``, falling back to ``JALIN_<NAME>``; each
secret also from a file (``<NAME>_FILE``).

The console owns no data, so it has no database and no bus: it needs the four services'
URLs, a key to sign its session cookie, and in production the identity provider (OpenID
Connect). On the embedded default (``JALIN_ENVIRONMENT=development``) it offers a
development sign-in that mints the development issuer's tokens for the demo users instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from jalin_kit.settings import (
    DEV_ISSUER,
    PLACEHOLDER_SECRETS,
    development_secret,
    service_sources,
)
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

SERVICES = ("proposals", "documents", "notifications", "evaluation")
SESSION_SECRET_FILE = "console-session-secret"


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str] = "console"
    default_port: ClassVar[int] = 8100
    secret_fields: ClassVar[tuple[str, ...]] = ("session_secret", "oidc_client_secret", "jwt_secret")

    environment: Literal["development", "test", "production"] = "production"
    data_dir: Path = Path(".jalin")
    host: str = "127.0.0.1"
    port: int = 8100
    public_url: str | None = Field(None, description="The console's address as browsers reach it (https://…); "
                                   "the OIDC redirect URI is <public_url>/masuk/oidc/kembali.")

    proposals_url: str = "http://127.0.0.1:8101"
    documents_url: str = "http://127.0.0.1:8102"
    notifications_url: str = "http://127.0.0.1:8103"
    evaluation_url: str = "http://127.0.0.1:8104"
    service_timeout_seconds: float = Field(10.0, gt=0, le=120)

    session_secret: str | None = Field(None, description="Signs the session cookie (at least 32 characters). "
                                       "The embedded default generates one into its data folder.")
    session_hours: float = Field(8.0, gt=0, le=24 * 7, description="How long a sign-in lasts.")

    # Production: the identity provider (authorization code flow with PKCE).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scope: str = "openid profile"
    oidc_resource: str | None = Field(None, description="The API resource (audience) the access token is for, "
                                      "when the provider needs it named (RFC 8707).")

    # The embedded default: the development issuer's shared secret, to mint the demo users' tokens.
    jwt_secret: str | None = None

    max_form_bytes: int = Field(256 * 1024, ge=16 * 1024, le=16 * 1024 * 1024,
                                description="Largest form the console reads (uploads go to the documents service).")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, le=1024 * 1024 * 1024,
                                  description="Largest file the console passes on to a service (an attachment, an import); "
                                  "each service applies its own limit, which the pages show before the upload.")
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return service_sources(settings_cls, cls.service_name, init_settings)

    @model_validator(mode="after")
    def _safety(self) -> ConsoleSettings:
        for name in ("session_secret", "jwt_secret", "oidc_client_secret"):
            value = getattr(self, name)
            if value is not None and value.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(f"JALIN_CONSOLE_{name.upper()} is a placeholder ({value!r}): set a real secret")
        if self.session_secret is not None and len(self.session_secret) < 32:
            raise ValueError("JALIN_CONSOLE_SESSION_SECRET must be at least 32 characters")
        if self.environment == "production":
            if not self.session_secret:
                raise ValueError("set JALIN_CONSOLE_SESSION_SECRET: only the embedded default generates one")
            if not (self.oidc_issuer and self.oidc_client_id):
                raise ValueError("set JALIN_CONSOLE_OIDC_ISSUER and JALIN_CONSOLE_OIDC_CLIENT_ID: production signs in "
                                 "through the identity provider (the development sign-in is refused)")
            if self.jwt_secret:
                raise ValueError("JALIN_CONSOLE_JWT_SECRET is the development issuer's shared secret: unset it in "
                                 "production (users sign in through the identity provider)")
            if not (self.public_url or "").startswith("https://"):
                raise ValueError("set JALIN_CONSOLE_PUBLIC_URL to the console's https:// address")
            if not self.oidc_client_secret:
                raise ValueError("set JALIN_CONSOLE_OIDC_CLIENT_SECRET (or _FILE): the console is a confidential client")
        elif self.environment != "development" and not (self.oidc_issuer or self.jwt_secret):
            raise ValueError("no sign-in: set JALIN_CONSOLE_OIDC_ISSUER (OpenID Connect) or JALIN_CONSOLE_JWT_SECRET "
                             "(the development issuer)")
        return self

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def dev_sign_in(self) -> bool:
        """The demo users' sign-in page: never in production."""
        return not self.production and (self.environment == "development" or bool(self.jwt_secret))

    def service_url(self, name: str) -> str:
        return str(getattr(self, f"{name}_url")).rstrip("/")

    def session_key(self) -> str:
        if self.session_secret:
            return self.session_secret
        return development_secret(self.data_dir, SESSION_SECRET_FILE)

    def dev_jwt_key(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        return development_secret(self.data_dir)

    dev_issuer: ClassVar[str] = DEV_ISSUER

    def public(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        for name in self.secret_fields:
            data[name] = "***" if data.get(name) else None
        return data
