"""Start and stop the platform's processes: nats-server, the four services, a mail sink.

Used by ``jalin up`` and by the cross-service tests, so both run the same thing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from jalin_kit.auth import issue_dev_token
from jalin_kit.settings import development_secret
from jalin_kit.tenants import DEMO_TENANTS
from jalin_kit.testing import NatsServer as NatsServer
from jalin_kit.testing import free_port as free_port
from jalin_kit.testing import nats_server_binary as nats_server_binary

from jalin_cli.bus import ADMIN, SERVICES, STREAMER, UNRESTRICTED, BusCredentials, BusReconciler
from jalin_cli.natsproc import apply_stream as apply_stream
from jalin_cli.natsproc import redacted as redacted

DEFAULT_PORTS = {"proposals": 8101, "documents": 8102, "notifications": 8103, "evaluation": 8104}
DEFAULT_CONSOLE_PORT = 8100
DEFAULT_NATS_PORT = 4322
DEFAULT_SMTP_PORT = 8125


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", f"jalin_{self.name}"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60.0, probe: str = "/readyz") -> None:
        """Until the probe answers 200: ``/readyz`` (all dependencies) or ``/healthz`` (serving)."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; its log: {self.log_path}\n{_tail(self.log_path)}")
            try:
                r = httpx.get(f"{self.url}{probe}", timeout=2)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s: {last}\n{_tail(self.log_path)}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks run (the reliability tests' crash)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None


def postgres_databases(server_url: str, prefix: str = "jalin") -> dict[str, str]:
    """One database per service on this PostgreSQL server (``<prefix>_<service>``), created
    when missing; the services' URLs (asyncpg driver)."""
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    if not url.drivername.startswith("postgresql"):
        raise ValueError(f"--database must be a PostgreSQL URL (postgresql://user@host:port/db), not {url.drivername}")
    url = url.set(drivername="postgresql+asyncpg")

    async def create() -> None:
        import asyncpg

        conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                     password=url.password, database=url.database or "postgres", timeout=10)
        try:
            for name in SERVICES:
                db = f"{prefix}_{name}"
                if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db):
                    await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return {name: url.set(database=f"{prefix}_{name}").render_as_string(hide_password=False) for name in SERVICES}


def parse_replicas(text: str) -> dict[str, int]:
    """``documents=3,notifications=2`` -> {"documents": 3, "notifications": 2}."""
    replicas: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, count = part.partition("=")
        if not sep or not count.strip().isdigit():
            raise ValueError(f"--replicas takes service=count pairs (documents=3,notifications=2), not {part!r}")
        replicas[name.strip()] = int(count)
    return replicas


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class PlatformConfig:
    data_dir: Path
    nats_port: int = DEFAULT_NATS_PORT
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    smtp_host: str = "127.0.0.1"
    smtp_port: int = DEFAULT_SMTP_PORT
    jwt_secret: str = ""
    database_urls: Mapping[str, str] = field(default_factory=dict)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    environment: str = "development"
    bus_sync_seconds: float = 1.0
    unrestricted_user: bool = False
    """A user with every right in the platform account, for tests that must get past the bus
    (``Platform.unrestricted_url``); never for ``jalin up``."""
    console_port: int | None = None
    """The console (the officials' web application) on this port; none: no console."""
    reassign_busy_ports: bool = False
    """A process whose port another took meanwhile starts again on a free one (the tests pick
    free ports, and a port free when picked may not be when bound); ``jalin up`` keeps the
    ports it was given."""
    replicas: Mapping[str, int] = field(default_factory=dict)
    """Processes per service (default 1). More than one share the service's store and its
    durable consumers: PostgreSQL only (``database_urls``)."""

    def __post_init__(self) -> None:
        for name, count in self.replicas.items():
            if name not in SERVICES:
                raise ValueError(f"unknown service {name!r} in replicas: the services are {', '.join(SERVICES)}")
            if not 1 <= count <= 8:
                raise ValueError(f"replicas of {name} must be between 1 and 8, not {count}")
            if count > 1 and not self.database_urls.get(name, "").startswith("postgresql"):
                raise ValueError(f"{count} replicas of {name} need PostgreSQL: replicas share one store, and SQLite "
                                 "has one writer per file (give a PostgreSQL database)")


class Platform:
    """The whole platform as processes: the locked-down bus (nats-server), the four services,
    and the reconciler that keeps the bus's accounts in step with the tenant registry."""

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        (config.data_dir / "logs").mkdir(exist_ok=True)
        self.creds = BusCredentials.load_or_create(config.data_dir / "bus")
        self.nats = NatsServer(config.data_dir / "nats" / "jetstream", config.nats_port,
                               config=config.data_dir / "bus" / "nats-server.conf")
        self.bus = BusReconciler(self.creds, config.data_dir / "bus" / "nats-server.conf", "127.0.0.1",
                                 config.nats_port, config.data_dir / "nats" / "jetstream", self.nats.reload,
                                 unrestricted=config.unrestricted_user)
        self._sync_stop = threading.Event()
        self._sync_thread: threading.Thread | None = None
        self.services: dict[str, ServiceProcess] = {
            name: ServiceProcess(
                name,
                config.ports[name],
                self._env(name),
                config.data_dir / "logs" / f"{name}.log",
            )
            for name in SERVICES
        }
        self.replicas: dict[str, list[ServiceProcess]] = {
            name: [primary] + [
                ServiceProcess(name, free_port(), {**primary.env, f"JALIN_{name.upper()}_PORT": ""},
                               config.data_dir / "logs" / f"{name}-{i}.log")
                for i in range(2, config.replicas.get(name, 1) + 1)
            ]
            for name, primary in self.services.items()
        }
        for name, processes in self.replicas.items():
            for replica in processes[1:]:
                replica.env[f"JALIN_{name.upper()}_PORT"] = str(replica.port)
        self.console: ServiceProcess | None = None
        if config.console_port is not None:
            self.console = ServiceProcess("console", config.console_port, self._console_env(),
                                          config.data_dir / "logs" / "console.log")

    @property
    def nats_url(self) -> str:
        return self.nats.url

    @property
    def admin_url(self) -> str:
        """The bus with the operator's user (the stream's and consumers' state, deletion; no
        event's content; replies on ``inbox_of(ADMIN)``)."""
        return f"nats://{ADMIN}:{self.creds.admin}@127.0.0.1:{self.config.nats_port}"

    @property
    def streamer_url(self) -> str:
        """The bus with the stream user's credential (creates and updates JALIN)."""
        return f"nats://{STREAMER}:{self.creds.streamer}@127.0.0.1:{self.config.nats_port}"

    @property
    def unrestricted_url(self) -> str:
        """The bus with every right in the platform account (only with ``unrestricted_user``)."""
        assert self.config.unrestricted_user, "this platform has no unrestricted user"
        return f"nats://{UNRESTRICTED}:{self.creds.unrestricted}@127.0.0.1:{self.config.nats_port}"

    def tenant_url(self, tenant: str) -> str:
        """The bus with a region's credential for its external systems."""
        return f"nats://{tenant}:{self.creds.tenant(tenant)['user']}@127.0.0.1:{self.config.nats_port}"

    def service_url(self, service: str) -> str:
        return f"nats://{service}:{self.creds.services[service]}@127.0.0.1:{self.config.nats_port}"

    def _env(self, name: str) -> dict[str, str]:
        c = self.config
        env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
        prefix = f"JALIN_{name.upper()}_"
        env.update(
            {
                "JALIN_ENVIRONMENT": c.environment,
                "JALIN_DATA_DIR": str(c.data_dir.resolve()),
                "JALIN_NATS_URL": f"nats://127.0.0.1:{c.nats_port}",
                f"{prefix}NATS_USER": name,
                f"{prefix}NATS_PASSWORD": self.creds.services[name],
                "JALIN_LOG_JSON": "true",
                f"{prefix}PORT": str(c.ports[name]),
                "JALIN_NOTIFICATIONS_SMTP_HOST": c.smtp_host,
                "JALIN_NOTIFICATIONS_SMTP_PORT": str(c.smtp_port),
            }
        )
        if c.jwt_secret:  # else the embedded default's services use the data folder's
            env["JALIN_JWT_SECRET"] = c.jwt_secret
        if name in c.database_urls:
            env[f"{prefix}DATABASE_URL"] = c.database_urls[name]
        # glibc gives each thread its own malloc arena; with aiosqlite's and the renderer's
        # threads that multiplies resident memory. Two arenas are plenty for a service.
        env.setdefault("MALLOC_ARENA_MAX", "2")
        env.update(c.extra_env)
        return env

    def _console_env(self) -> dict[str, str]:
        c = self.config
        env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
        env.update({
            "JALIN_ENVIRONMENT": c.environment,
            "JALIN_DATA_DIR": str(c.data_dir.resolve()),
            "JALIN_CONSOLE_PORT": str(c.console_port),
            **{f"JALIN_CONSOLE_{name.upper()}_URL": self.url(name) for name in SERVICES},
        })
        if c.jwt_secret:
            env["JALIN_CONSOLE_JWT_SECRET"] = c.jwt_secret
        env.setdefault("MALLOC_ARENA_MAX", "2")
        env.update({k: v for k, v in c.extra_env.items() if k.startswith("JALIN_CONSOLE_")})
        return env

    def _first_tenants(self) -> dict[str, bool]:
        """Before the registry answers: the regions the bus had, and the demo ones (the
        services onboard them on the embedded default's first start)."""
        with self.creds.lock:
            known = {t: bool(v.get("active", True)) for t, v in self.creds.tenants.items()}
        if self.config.environment != "production":
            known.update({t: known.get(t, True) for t in DEMO_TENANTS})
        return known

    def registry(self) -> dict[str, bool]:
        """The tenant registry as the proposals service has it: region -> enabled."""
        secret = self.config.jwt_secret or development_secret(self.config.data_dir)
        token = issue_dev_token(secret, tenant="platform", roles=["platform_admin"], user="bus-reconciler")
        r = httpx.get(f"{self.url('proposals')}/v1/admin/tenants", headers={"Authorization": f"Bearer {token}"},
                      timeout=10)
        r.raise_for_status()
        return {t["id"]: t["status"] == "active" for t in r.json()}

    def sync_bus(self) -> list[str]:
        """One round of the reconciler (accounts of new regions, external users of disabled ones)."""
        tenants = self.registry()
        self.creds.set_active(tenants)
        return self.bus.sync(tenants)

    def _keep_bus(self) -> None:
        log = self.config.data_dir / "logs" / "bus.log"
        while not self._sync_stop.wait(self.config.bus_sync_seconds):
            try:
                created = self.sync_bus()
            except Exception as exc:  # noqa: BLE001 - the proposals service may be restarting
                with open(log, "a") as out:
                    out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} bus sync failed: {type(exc).__name__}: {exc}\n")
                continue
            if created:
                with open(log, "a") as out:
                    out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} streams created for {', '.join(created)}\n")

    def start(self, timeout: float = 60.0) -> None:
        self.bus.write(self._first_tenants())
        self.nats.start()
        apply_stream(self.streamer_url)
        # The first process of each service migrates its store; replicas join once it is ready.
        self._start_all(list(self.services.values()), timeout)
        self._start_all([p for processes in self.replicas.values() for p in processes[1:]], timeout)
        if self.console is not None:
            self.console.env = self._console_env()  # the services' ports as they are now
            self._start_all([self.console], timeout)
        self.sync_bus()  # the demo regions' streams exist before anyone subscribes
        self._sync_stop.clear()
        self._sync_thread = threading.Thread(target=self._keep_bus, name="bus-reconciler", daemon=True)
        self._sync_thread.start()

    def _start_all(self, processes: list[ServiceProcess], timeout: float) -> None:
        for svc in processes:
            svc.start()
        for svc in processes:
            try:
                svc.wait_ready(timeout)
            except RuntimeError as exc:
                if not (self.config.reassign_busy_ports and "address already in use" in str(exc)):
                    raise
                svc.port = free_port()
                svc.env[f"JALIN_{svc.name.upper()}_PORT"] = str(svc.port)
                svc.start()
                svc.wait_ready(timeout)

    def stop(self) -> None:
        self._sync_stop.set()
        if self._sync_thread is not None:
            self._sync_thread.join(timeout=15)
            self._sync_thread = None
        for svc in self.processes():
            svc.stop()
        self.nats.stop()

    def url(self, service: str) -> str:
        """The service's first process (each replica answers on its own port), or the console."""
        if service == "console":
            assert self.console is not None, "this platform runs no console"
            return self.console.url
        return self.services[service].url

    def processes(self) -> list[ServiceProcess]:
        """Every process of the platform but nats-server: the console first, then the services
        with their replicas."""
        return ([self.console] if self.console else []) + [p for processes in self.replicas.values() for p in processes]
