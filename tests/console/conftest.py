"""The console on the platform as processes (SQLite): one platform for the console's tests,
with the console started beside the four services."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from jalin_e2e import CollectingSMTP, start_platform

from jalin_cli.platform import Platform


@pytest.fixture(scope="session")
def console_platform(tmp_path_factory: pytest.TempPathFactory, smtp: CollectingSMTP) -> Iterator[Platform]:
    platform = start_platform(tmp_path_factory.mktemp("console"), smtp.port, console=True)
    yield platform
    platform.stop()


def signed_in(platform: Platform, tenant: str, user: str) -> httpx.Client:
    """An HTTP client with a console session of a demo user (through the development sign-in,
    as a browser would: the sign-in page's CSRF token, then its form)."""
    client = httpx.Client(base_url=platform.url("console"), timeout=30, follow_redirects=False)
    page = client.get("/masuk")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post("/masuk/dev", data={"csrf": csrf, "user": user, "tenant": tenant, "next": "/"})
    assert r.status_code == 303, r.text
    return client


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    page = client.get(path)
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
