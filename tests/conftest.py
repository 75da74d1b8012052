"""The platform as real processes, on SQLite and (with JALIN_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from jalin_cli.platform import SERVICES, Platform
from jalin_dbs import create_pg_database, drop_pg_database, require_pg
from jalin_e2e import Api, CollectingSMTP, start_platform

@pytest.fixture(scope="session")
def smtp() -> Iterator[CollectingSMTP]:
    server = CollectingSMTP()
    server.start()
    yield server
    server.stop()


def _pg_urls() -> dict[str, str]:
    return {name: asyncio.run(create_pg_database(f"jt_{name}")) for name in SERVICES}


def _drop(urls: dict[str, str]) -> None:
    for url in urls.values():
        asyncio.run(drop_pg_database(url))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp: CollectingSMTP
) -> Iterator[Platform]:
    urls: dict[str, str] = {}
    if request.param == "postgresql":
        require_pg()
        urls = _pg_urls()
    started = start_platform(tmp_path_factory.mktemp(f"platform-{request.param}"), smtp.port, urls)
    yield started
    started.stop()
    if urls:
        _drop(urls)


@pytest.fixture
def api(platform: Platform) -> Api:
    return Api(platform)
