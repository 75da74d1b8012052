"""An S3-compatible server for the tests: moto's standalone server, started as a process on a
free port (a real server over HTTP, never a mock object), and buckets on it."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from jalin_cli.platform import free_port


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """The server's endpoint URL while the block runs."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto_server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/moto-api/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not answer on {url} within 30 s: {log.read_text()[-2000:]}")
            time.sleep(0.1)
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
