"""Production mode as the images start it (``python -m jalin_<service>``): every development
default refused with one line naming the setting and a non-zero exit; with every setting given,
the secrets from ``*_FILE`` files (mounted Docker or Kubernetes secrets), the service starts on
PostgreSQL and the locked-down bus. The console (``python -m jalin_console``) likewise: refused
without its session secret, the identity provider or an https address; started, with neither
database nor bus, from its secret files."""

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


# -- the console: no database, no bus; its session secret, the identity provider, an https address --

CONSOLE_SESSION_SECRET = "a-session-secret-from-the-vault-0123456789"
CONSOLE_CLIENT_SECRET = "a-client-secret-from-the-provider-0123456789"


def console_env(**settings: str) -> dict[str, str]:
    """The environment of a production console container (compose.yaml's, deploy/k8s's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    env.update({
        "JALIN_ENVIRONMENT": "production",
        "JALIN_CONSOLE_PUBLIC_URL": "https://jalin.sumbarprov.go.id",
        "JALIN_CONSOLE_OIDC_ISSUER": ISSUER,
        "JALIN_CONSOLE_OIDC_CLIENT_ID": "jalin-console",
        "JALIN_CONSOLE_SESSION_SECRET": CONSOLE_SESSION_SECRET,
        "JALIN_CONSOLE_OIDC_CLIENT_SECRET": CONSOLE_CLIENT_SECRET,
    })
    for name, value in settings.items():
        if value == "":
            env.pop(name, None)
        else:
            env[name] = value
    return env


def refusal(err: str) -> str:
    """The console's refusal, past what its imports may print first (a library's warning)."""
    return err[err.index("jalin-console cannot start:"):] if "jalin-console cannot start:" in err else err


CONSOLE_DEFAULTS = {
    "no session secret": {"JALIN_CONSOLE_SESSION_SECRET": ""},
    "a short session secret": {"JALIN_CONSOLE_SESSION_SECRET": "0123456789"},
    "no identity provider": {"JALIN_CONSOLE_OIDC_ISSUER": ""},
    "no client at the provider": {"JALIN_CONSOLE_OIDC_CLIENT_ID": ""},
    "the development issuer's secret": {"JALIN_JWT_SECRET": "a-real-secret-from-the-vault-0123456789"},
    "no public address": {"JALIN_CONSOLE_PUBLIC_URL": ""},
    "plain http": {"JALIN_CONSOLE_PUBLIC_URL": "http://jalin.sumbarprov.go.id"},
    "no client secret": {"JALIN_CONSOLE_OIDC_CLIENT_SECRET": ""},
}


def test_each_development_default_is_refused_by_the_console_naming_the_setting() -> None:
    named = {"no session secret": "JALIN_CONSOLE_SESSION_SECRET", "a short session secret": "JALIN_CONSOLE_SESSION_SECRET",
             "no identity provider": "JALIN_CONSOLE_OIDC_ISSUER", "no client at the provider": "JALIN_CONSOLE_OIDC_CLIENT_ID",
             "the development issuer's secret": "JALIN_CONSOLE_JWT_SECRET", "no public address": "JALIN_CONSOLE_PUBLIC_URL",
             "plain http": "JALIN_CONSOLE_PUBLIC_URL", "no client secret": "JALIN_CONSOLE_OIDC_CLIENT_SECRET"}
    started = {case: start("console", console_env(**change)) for case, change in CONSOLE_DEFAULTS.items()}
    started["a start that says nothing"] = start("console", {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")})
    named["a start that says nothing"] = "JALIN_CONSOLE_SESSION_SECRET"
    for case, proc in started.items():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode != 0, (case, err)
        assert refusal(err).startswith("jalin-console cannot start:\n  - "), (case, err)
        assert named[case] in err and "Traceback" not in err, (case, err)
        assert len(refusal(err).strip().splitlines()) == 2, (case, err)  # the heading and one line


def test_the_console_names_an_unreadable_secret_file() -> None:
    proc = start("console", console_env(JALIN_CONSOLE_SESSION_SECRET="",
                                        JALIN_CONSOLE_SESSION_SECRET_FILE="/run/secrets/none"))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert refusal(err).startswith("jalin-console cannot start:\n  - JALIN_CONSOLE_SESSION_SECRET_FILE"), err


def test_with_its_secrets_from_files_the_console_starts(tmp_path: Path) -> None:
    """No database, no bus, no provider reached at start: ready once it serves."""
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "session").write_text(CONSOLE_SESSION_SECRET + "\n")
    (secrets / "client").write_text(CONSOLE_CLIENT_SECRET)
    port = free_port()
    env = console_env(JALIN_CONSOLE_SESSION_SECRET="", JALIN_CONSOLE_SESSION_SECRET_FILE=str(secrets / "session"),
                      JALIN_CONSOLE_OIDC_CLIENT_SECRET="", JALIN_CONSOLE_OIDC_CLIENT_SECRET_FILE=str(secrets / "client"),
                      JALIN_CONSOLE_PORT=str(port),
                      JALIN_DATA_DIR=str(tmp_path / "data"),
                      **{f"JALIN_CONSOLE_{s.upper()}_URL": "http://127.0.0.1:1" for s in SERVICES})
    log = tmp_path / "console.log"
    proc = start("console", env, log=log)
    try:
        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"the console exited: {log.read_text()[-3000:]}")
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=60, interval=0.3, what="the console ready in production mode")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        # Signing in goes to the identity provider (its discovery is fetched then, not at start).
        page = httpx.get(f"http://127.0.0.1:{port}/masuk", timeout=5)
        assert page.status_code == 200 and "/masuk/oidc" in page.text
        assert "/masuk/dev" not in page.text  # no development sign-in
        text = log.read_text()
        assert CONSOLE_SESSION_SECRET not in text and CONSOLE_CLIENT_SECRET not in text
        assert not (tmp_path / "data").exists()  # nothing written: the secret came from its file
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
