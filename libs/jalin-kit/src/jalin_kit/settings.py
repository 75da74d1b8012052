"""Settings from the environment, one prefix per service.

A service reads ``JALIN_<SERVICE>_<NAME>`` first and falls back to the shared
``JALIN_<NAME>`` (so one ``JALIN_NATS_URL`` serves every service on a host). Each secret
may instead be given as a file, ``JALIN_[<SERVICE>_]<NAME>_FILE`` (a mounted Docker or
Kubernetes secret): its content, without the final newline.

``JALIN_ENVIRONMENT=production`` (also a start that says nothing) refuses every development
default: a shared JWT secret or the development issuer instead of OIDC, no bus credential,
SQLite. ``development`` is the embedded default (``jalin up``).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from jalin_kit.limits import DEFAULT_MAX_BODY_BYTES

MAX_SECRET_FILE_BYTES = 64 * 1024
DEV_ISSUER = "jalin-dev"


class SettingsProblem(ValueError):
    """A setting that cannot be read (a secret file missing, a value given twice)."""


class SecretFilesSource(PydanticBaseSettingsSource):
    """``<PREFIX><NAME>_FILE`` for each of the settings class's ``secret_fields``."""

    def __init__(self, settings_cls: type[BaseSettings], prefix: str) -> None:
        super().__init__(settings_cls)
        self.prefix = prefix

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in getattr(self.settings_cls, "secret_fields", ()):
            env = f"{self.prefix}{name.upper()}"
            path = os.environ.get(f"{env}_FILE")
            if path is None:
                continue
            if os.environ.get(env) is not None:
                raise SettingsProblem(f"{env} and {env}_FILE are both set: give the secret once")
            found[name] = read_secret_file(f"{env}_FILE", Path(path))
        return found


def read_secret_file(env: str, path: Path) -> str:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise SettingsProblem(f"{env}: cannot read {path} ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise SettingsProblem(f"{env}: {path} is larger than {MAX_SECRET_FILE_BYTES} bytes: not a secret")
    try:
        value = data.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        raise SettingsProblem(f"{env}: {path} is not UTF-8 text") from None
    if not value.strip():
        raise SettingsProblem(f"{env}: {path} is empty")
    return value


PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme", "secret", "dev", "development"})
"""Values someone copies from an example: refused in every mode."""
DEV_SECRET_FILE = "dev-jwt-secret"
ASYMMETRIC_PREFIXES = ("RS", "PS", "ES", "EDDSA")


def service_sources(
    settings_cls: type[BaseSettings], service: str, init_settings: PydanticBaseSettingsSource
) -> tuple[PydanticBaseSettingsSource, ...]:
    """Where a service's settings come from, first match wins: given in code, then
    ``JALIN_<SERVICE>_<NAME>`` and its ``_FILE``, then the shared ``JALIN_<NAME>`` and its ``_FILE``."""
    own = f"JALIN_{service.upper()}_"
    return (init_settings, EnvSettingsSource(settings_cls, env_prefix=own), SecretFilesSource(settings_cls, own),
            EnvSettingsSource(settings_cls, env_prefix="JALIN_"), SecretFilesSource(settings_cls, "JALIN_"))


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``service_name`` and ``default_port``."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8100
    secret_fields: ClassVar[tuple[str, ...]] = ("jwt_secret", "nats_password", "database_url")
    """Settings that may be given as a file (``<NAME>_FILE``); subclasses add theirs."""
    development_only: ClassVar[tuple[str, ...]] = ()
    """Settings production refuses when they are set (a demo's clock, ...)."""
    production_requires: ClassVar[tuple[str, ...]] = ()
    """Settings production needs given, whatever their default (which serves the embedded default)."""

    environment: Literal["development", "test", "production"] = "production"
    """``development`` is the embedded default (``jalin up`` sets it); a start that says
    nothing is a production start, which refuses every development default."""
    data_dir: Path = Path(".jalin")
    nats_url: str = "nats://127.0.0.1:4322"
    """The bus; a cluster as its nodes' URLs separated by commas (the client fails over)."""
    nats_user: str | None = None
    """This service's user on the bus (the platform account): it may publish only its own
    aggregates' subjects and use only the JetStream calls it needs."""
    nats_password: str | None = None
    bus_check_seconds: float = Field(5.0, gt=0, description="How often JALIN and this service's consumers are checked.")
    database_url: str = ""
    database_pool_size: int = Field(10, ge=1, le=100, description="PostgreSQL connections kept per process (as many "
                                    "more in a burst): a server's max_connections is shared by every replica.")
    host: str = "127.0.0.1"
    port: int = 0

    # JWT: a shared secret (HS256) for the development issuer, or OIDC (issuer, audience, JWKS).
    # Unset on the embedded default (development): generated into the data folder on first use.
    jwt_secret: str | None = None
    jwt_issuer: str = DEV_ISSUER
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
    relay_max_attempts: int = Field(10, ge=1, description="Failures of a row's own before it is parked.")
    relay_retry_seconds: float = Field(1.0, gt=0, description="First wait before a failed row is tried again (doubling).")
    relay_max_retry_seconds: float = Field(300.0, gt=0, description="Longest wait between two tries of a row.")

    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024, description="Largest request body; file routes have their own.")

    tenants_seed: Path | None = None
    """A JSON list of regions (``TenantInfo``) onboarded at start when the registry lacks them:
    the deployment's first tenants. Without it, outside production, the demo regions."""
    tenant_refresh_seconds: float = Field(2.0, gt=0, description="How often the registry's snapshot is reloaded.")
    log_level: str = "INFO"
    log_json: bool = True
    http_workers: int = Field(1, ge=1, le=32, description=(
        "Processes answering HTTP on the service's port (SO_REUSEPORT). The first one does everything "
        "(migrations, consumers, scheduled jobs); the others serve the API and run an outbox relay too "
        "(role api). Reads scale with them; a store they share: WAL SQLite on one machine, or PostgreSQL."))
    role: Literal["all", "api"] = Field("all", description=(
        "all: HTTP, consumers, scheduled jobs and migrations. api: HTTP and its outbox only (an extra "
        "worker or an API-only replica: another process of the service migrates and consumes)."))

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
    def _defaults_and_safety(self) -> ServiceSettings:
        production = self.environment == "production"
        if production and (not self.database_url or self.database_url.startswith("sqlite")):
            self._refuse(f"{self._env_name('DATABASE_URL')} must name PostgreSQL (postgresql+asyncpg://…) in production: "
                         "SQLite is the embedded default's store")
        if not self.database_url:
            path = (self.data_dir / "data" / f"{self.service_name}.db").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        if not self.port:
            self.port = self.default_port
        if self.jwt_secret is not None and self.jwt_secret.strip().lower() in PLACEHOLDER_SECRETS:
            self._refuse(f"{self._env_name('JWT_SECRET')} is a placeholder ({self.jwt_secret!r}): set a real secret")
        if self.jwt_jwks_url:
            symmetric = [a for a in self.jwt_algorithms if not a.upper().startswith(ASYMMETRIC_PREFIXES)]
            if symmetric:
                self._refuse(f"with {self._env_name('JWT_JWKS_URL')} set, {self._env_name('JWT_ALGORITHMS')} must be "
                             f"asymmetric (RS*, PS*, ES*, EdDSA); refused: {', '.join(symmetric)}")
        if production:
            if self.jwt_secret:
                self._refuse(f"{self._env_name('JWT_SECRET')} is the development issuer's shared secret: production "
                             f"verifies the identity provider's tokens (set {self._env_name('JWT_JWKS_URL')} and "
                             f"{self._env_name('JWT_ISSUER')} instead)")
            elif not self.jwt_jwks_url:
                self._refuse(f"no JWT key: set {self._env_name('JWT_JWKS_URL')} and {self._env_name('JWT_ISSUER')} "
                             "(the identity provider, OIDC); only the embedded default (JALIN_ENVIRONMENT=development) "
                             "generates a secret into its data folder")
            if self.jwt_issuer == DEV_ISSUER:
                self._refuse(f"{self._env_name('JWT_ISSUER')} is the development issuer ({DEV_ISSUER!r}): set the "
                             "identity provider's issuer")
            if not (self.nats_user and self.nats_password):
                self._refuse(f"the bus admits no anonymous client: set {self._env_name('NATS_USER')} and "
                             f"{self._env_name('NATS_PASSWORD')}")
            for name in self.development_only:
                if getattr(self, name) is not None:
                    self._refuse(f"{self._own_env_name(name)} is for demonstrations and tests only: unset it in production")
            for name in self.production_requires:
                if name not in self.model_fields_set:
                    self._refuse(f"set {self._own_env_name(name)}: its default serves only the embedded default")
        elif not self.jwt_jwks_url and not self.jwt_secret and self.environment != "development":
            self._refuse(f"no JWT key: set {self._env_name('JWT_SECRET')}, or {self._env_name('JWT_JWKS_URL')} for OIDC; "
                         "only the embedded default (JALIN_ENVIRONMENT=development) generates one into its data folder")
        return self

    def _refuse(self, problem: str) -> None:
        raise ValueError(problem + self._also())

    @classmethod
    def _env_name(cls, name: str) -> str:
        return f"JALIN_{name}"

    @classmethod
    def _own_env_name(cls, name: str) -> str:
        return f"JALIN_{cls.service_name.upper()}_{name.upper()}"

    @classmethod
    def _also(cls) -> str:
        return f" (each also as JALIN_{cls.service_name.upper()}_<NAME>, a secret also from a file as <NAME>_FILE)"

    def nats_servers(self) -> list[str]:
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    def jwt_key(self) -> str:
        """The HS256 secret: the configured one, or on the embedded default the data folder's."""
        if self.jwt_secret:
            return self.jwt_secret
        if self.environment != "development":  # refused at construction; never a silent default
            raise RuntimeError("no JWT secret configured")
        return development_secret(self.data_dir)

    @property
    def blob_dir(self) -> Path:
        return (self.data_dir / "blobs" / self.service_name).resolve()

    def public(self) -> dict[str, Any]:
        """Settings safe to log (no secrets)."""
        data = self.model_dump(mode="json")
        for name in self.secret_fields:
            if name.endswith("_url"):
                data[name] = _redact_url(data[name]) if data.get(name) else data.get(name)
            else:
                data[name] = "***" if data.get(name) else None
        return data


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def development_secret(folder: Path, name: str = DEV_SECRET_FILE) -> str:
    """The embedded default's JWT secret (or another of its secrets, by file name), kept in its
    data folder: created on first use with owner-only permissions, read by every process of the
    platform afterwards (the first of several processes starting at once creates it, the others
    read what it wrote)."""
    path = folder.resolve() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):  # another process created it a moment ago: wait for its write
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.05)
        raise RuntimeError(f"{path} is empty: remove it to have a new secret generated") from None
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    return value
