"""Production mode as the images start it (``python -m jalin_<service>``): every development
default refused with one line naming the setting and a non-zero exit; with every setting given,
the secrets from ``*_FILE`` files (mounted Docker or Kubernetes secrets), the service starts on
PostgreSQL and the locked-down bus."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from jalin_dbs import create_pg_database, drop_pg_database, require_pg
from jalin_e2e import wait_for
from jalin_s3 import create_bucket, moto_server

from jalin_cli.bus import BusCredentials
from jalin_cli.platform import SERVICES, apply_stream, free_port

ISSUER = "https://sso.sumbarprov.go.id/realms/jalin"
# Tokens are verified against the provider's keys when one arrives; a start fetches nothing.
JWKS = f"{ISSUER}/protocol/openid-connect/certs"


def production_env(service: str, **settings: str) -> dict[str, str]:
    """The environment of a production container: nothing of this machine's JALIN_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    prefix = f"JALIN_{service.upper()}_"
    env.update({
        "JALIN_ENVIRONMENT": "production",
        "JALIN_JWT_JWKS_URL": JWKS,
        "JALIN_JWT_ISSUER": ISSUER,
        "JALIN_JWT_ALGORITHMS": '["RS256"]',
        f"{prefix}DATABASE_URL": "postgresql+asyncpg://jalin@127.0.0.1:1/jalin",
        f"{prefix}NATS_USER": service,
        f"{prefix}NATS_PASSWORD": "a-bus-password",
        "JALIN_LOG_JSON": "true",
        "JALIN_NOTIFICATIONS_SMTP_HOST": "smtp.sumbarprov.go.id", "JALIN_DATABASE_POOL_SIZE": "3",
    })
    for name, value in settings.items():
        if value == "":
            env.pop(name, None)
        else:
            env[name] = value
    return env


def start(service: str, env: dict[str, str], log: Path | None = None) -> subprocess.Popen[str]:
    """The image's command. Its output is read at the end (a refusal), or goes to ``log`` (a
    service that keeps running would otherwise fill the pipe and stall)."""
    if log is None:
        return subprocess.Popen([sys.executable, "-m", f"jalin_{service}"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "-m", f"jalin_{service}"], env=env, text=True,
                                stdout=out, stderr=subprocess.STDOUT)


# Each development default in turn, and the setting the refusal must name.
DEFAULTS = {
    "sqlite": ({"JALIN_PROPOSALS_DATABASE_URL": "sqlite+aiosqlite:////tmp/proposals.db"}, "JALIN_DATABASE_URL"),
    "no database": ({"JALIN_PROPOSALS_DATABASE_URL": ""}, "JALIN_DATABASE_URL"),
    "shared JWT secret": ({"JALIN_JWT_SECRET": "a-real-secret-from-the-vault-0123456789"}, "JALIN_JWT_SECRET"),
    "no OIDC keys": ({"JALIN_JWT_JWKS_URL": ""}, "JALIN_JWT_JWKS_URL"),
    "development issuer": ({"JALIN_JWT_ISSUER": ""}, "JALIN_JWT_ISSUER"),
    "no bus user": ({"JALIN_PROPOSALS_NATS_USER": ""}, "JALIN_NATS_USER"),
    "no bus password": ({"JALIN_PROPOSALS_NATS_PASSWORD": ""}, "JALIN_NATS_PASSWORD"),
    "blobs in a local folder": ({"JALIN_DOCUMENTS_BLOB_STORE": "local"}, "JALIN_DOCUMENTS_BLOB_STORE=s3"),
    "mail to the embedded default's sink": ({"JALIN_NOTIFICATIONS_SMTP_HOST": ""}, "JALIN_NOTIFICATIONS_SMTP_HOST"),
    "a demonstration's clock": ({"JALIN_PROPOSALS_TODAY": "2027-01-01"}, "JALIN_PROPOSALS_TODAY"),
    "unreadable secret file": ({"JALIN_PROPOSALS_NATS_PASSWORD": "", "JALIN_PROPOSALS_NATS_PASSWORD_FILE": "/run/secrets/none"},
                               "JALIN_PROPOSALS_NATS_PASSWORD_FILE"),
}


def test_each_development_default_is_refused_naming_the_setting() -> None:
    def service_of(change: dict[str, str]) -> str:
        for service in ("documents", "notifications"):
            if any(k.startswith(f"JALIN_{service.upper()}_") for k in change):
                return service
        return "proposals"

    started = {}
    for case, (change, _) in DEFAULTS.items():
        service = service_of(change)
        env = production_env(service, **{k.replace("JALIN_PROPOSALS_", f"JALIN_{service.upper()}_")
                                         if not k.endswith("_TODAY") else k: v for k, v in change.items()})
        if service == "documents" and "JALIN_DOCUMENTS_BLOB_STORE" not in change:
            env.update(S3_SETTINGS)
        started[case] = (service, start(service, env))
    for case, (service, proc) in started.items():
        out, err = proc.communicate(timeout=120)
        named = DEFAULTS[case][1]
        assert proc.returncode != 0, (case, out, err)
        assert err.startswith(f"jalin-{service} cannot start:\n  - "), (case, err)
        assert named in err and "Traceback" not in err, (case, err)
        assert len(err.strip().splitlines()) == 2, (case, err)  # the heading and one line


def test_a_start_that_says_nothing_is_refused_by_every_service() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    started = {service: start(service, env) for service in SERVICES}
    for service, proc in started.items():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode != 0 and err.startswith(f"jalin-{service} cannot start:"), (service, err)
        assert "Traceback" not in err


@dataclass
class Bus:
    creds: BusCredentials
    port: int

    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


@pytest.fixture
def bus(locked_bus: tuple[BusCredentials, int]) -> Bus:
    """The locked-down bus (the platform's accounts and users), with JALIN applied."""
    creds, port = locked_bus
    apply_stream(f"nats://streamer:{creds.streamer}@127.0.0.1:{port}")
    return Bus(creds, port)


STARTED = SERVICES
S3_SETTINGS = {
    "JALIN_DOCUMENTS_BLOB_STORE": "s3", "JALIN_DOCUMENTS_S3_BUCKET": "jalin", "JALIN_DOCUMENTS_S3_REGION": "us-east-1",
    "JALIN_DOCUMENTS_S3_ENDPOINT_URL": "http://127.0.0.1:1", "JALIN_DOCUMENTS_S3_ALLOW_HTTP": "true",
    "JALIN_DOCUMENTS_S3_ACCESS_KEY_ID": "jalin", "JALIN_DOCUMENTS_S3_SECRET_ACCESS_KEY": "an-s3-secret",
}


def test_with_every_secret_from_a_file_each_service_starts(bus: Bus, tmp_path: Path) -> None:
    require_pg()
    with moto_server(tmp_path / "moto.log") as s3:
        started_with_secrets_from_files(bus, tmp_path, s3, create_bucket(s3))


def started_with_secrets_from_files(bus: Bus, tmp_path: Path, s3: str, bucket: str) -> None:
    urls = {service: asyncio.run(create_pg_database(f"jp_{service}")) for service in STARTED}
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    procs: dict[str, subprocess.Popen[str]] = {}
    ports = {service: free_port() for service in STARTED}
    try:
        for service in STARTED:
            prefix = f"JALIN_{service.upper()}_"
            (secrets / f"{service}-db").write_text(urls[service] + "\n")
            (secrets / f"{service}-nats").write_text(bus.creds.services[service] + "\n")
            env = production_env(service, **{
                f"{prefix}DATABASE_URL": "", f"{prefix}DATABASE_URL_FILE": str(secrets / f"{service}-db"),
                f"{prefix}NATS_PASSWORD": "", f"{prefix}NATS_PASSWORD_FILE": str(secrets / f"{service}-nats"),
                "JALIN_NATS_URL": bus.url(), f"{prefix}PORT": str(ports[service]),
                "JALIN_DATA_DIR": str(tmp_path / "data"),
            })
            if service == "documents":
                (secrets / "s3").write_text("testing\n")
                env.update({**S3_SETTINGS, "JALIN_DOCUMENTS_S3_ENDPOINT_URL": s3, "JALIN_DOCUMENTS_S3_BUCKET": bucket,
                            "JALIN_DOCUMENTS_S3_ACCESS_KEY_ID": "testing",
                            "JALIN_DOCUMENTS_S3_SECRET_ACCESS_KEY_FILE": str(secrets / "s3")})
                env.pop("JALIN_DOCUMENTS_S3_SECRET_ACCESS_KEY")
            procs[service] = start(service, env, log=tmp_path / f"{service}.log")

        def ready() -> bool:
            for service, proc in procs.items():
                if proc.poll() is not None:
                    raise AssertionError(f"{service} exited: {(tmp_path / f'{service}.log').read_text()[-3000:]}")
            try:
                return all(httpx.get(f"http://127.0.0.1:{ports[s]}/readyz", timeout=2).status_code == 200 for s in STARTED)
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=90, interval=0.3, what="every service ready in production mode")
        for service in STARTED:
            log = (tmp_path / f"{service}.log").read_text()
            assert '"environment": "production"' in log and bus.creds.services[service] not in log  # no secret logged
            assert "postgresql" in log and urls[service] not in log
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for url in urls.values():
            asyncio.run(drop_pg_database(url))
