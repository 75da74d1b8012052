"""The console on the platform as processes (SQLite): one platform for the console's tests,
with the console started beside the four services."""

from __future__ import annotations

import fcntl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from jalin_e2e import CollectingSMTP, start_platform
from jalin_kit.tenants import DEMO_USERS

from jalin_cli.platform import Platform


@pytest.fixture(scope="session")
def console_platform(tmp_path_factory: pytest.TempPathFactory, smtp: CollectingSMTP) -> Iterator[Platform]:
    platform = start_platform(tmp_path_factory.mktemp("console"), smtp.port, console=True)
    yield platform
    platform.stop()


USERS = {demo.user: demo.tenant for demo in DEMO_USERS}
"""Each demo user's tenant."""

MESSAGES = {403: "Anda tidak berwenang membuka halaman ini.", 404: "Halaman atau data tidak ditemukan.",
            405: "Cara membuka halaman ini tidak didukung.",
            "csrf": "Formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi."}
"""The console's error pages' words (Indonesian)."""


def error_page(r: httpx.Response, status: int, message: str) -> None:
    """The console's own page: HTML, Indonesian, the reason, a way back; never a trace or JSON."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Terjadi masalah</h1>" in r.text and message in r.text
    assert '<a class="button" href="/">Kembali ke Beranda</a>' in r.text
    assert "Traceback" not in r.text and not r.text.lstrip().startswith("{")


def signed_in(platform: Platform, tenant: str, user: str) -> httpx.Client:
    """An HTTP client with a console session of a demo user (through the development sign-in,
    as a browser would: the sign-in page's CSRF token, then its form)."""
    client = httpx.Client(base_url=platform.url("console"), timeout=30, follow_redirects=False)
    page = client.get("/masuk")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post("/masuk/dev", data={"csrf": csrf, "user": user, "tenant": tenant, "next": "/"})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def session(console_platform: Platform) -> Iterator[Callable[[str | None], httpx.Client]]:
    """One console session per demo user (None: no session), kept for the module."""
    clients: dict[str | None, httpx.Client] = {}

    def get(user: str | None) -> httpx.Client:
        if user not in clients:
            clients[user] = (signed_in(console_platform, USERS[user], user) if user else
                             httpx.Client(base_url=console_platform.url("console"), timeout=60))
        return clients[user]

    yield get
    for client in clients.values():
        client.close()


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    page = client.get(path)
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def npm_install(folder: Path) -> None:
    """``npm ci`` in ``folder`` unless a finished install is there. One at a time across the
    test workers (two installs at once, sharing npm's cache, left a file half-written), and an
    install counts only once it finished (its stamp), so a broken one is redone."""
    stamp = folder / "node_modules" / ".jalin-installed"
    with open(folder.parent / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return
        done = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=folder,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"npm ci in {folder} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        stamp.write_text("ok\n")
