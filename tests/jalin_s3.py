"""An S3-compatible server for the tests: moto's standalone server, started as a process on a
free port (a real server over HTTP, never a mock object), and buckets on it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from jalin_kit.testing import eventually_sync, free_port


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """The server's endpoint URL while the block runs."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{url}/moto-api/", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        try:
            eventually_sync(answers, within=30, what=f"moto_server on {url}")
        except AssertionError as exc:
            raise RuntimeError(f"{exc}: {log.read_text()[-2000:]}") from None
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def create_bucket(endpoint: str) -> str:
    name = f"jalin-{uuid.uuid4().hex[:12]}"
    r = httpx.put(f"{endpoint}/{name}", timeout=10)
    assert r.status_code == 200, r.text
    return name
