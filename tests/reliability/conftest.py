from __future__ import annotations

from collections.abc import Iterator

import pytest
from jalin_e2e import CollectingSMTP, start_platform

from jalin_cli.platform import Platform


@pytest.fixture
def own_platform(tmp_path_factory: pytest.TempPathFactory, smtp: CollectingSMTP) -> Iterator[Platform]:
    """A platform (SQLite) only this test uses: it may kill its processes."""
    platform = start_platform(tmp_path_factory.mktemp("reliability"), smtp.port)
    yield platform
    platform.stop()


@pytest.fixture(scope="session")
def shared_platform(tmp_path_factory: pytest.TempPathFactory, smtp: CollectingSMTP) -> Iterator[Platform]:
    """A platform (SQLite) the reliability tests that kill nothing share. Outbox rows failing
    for their own reasons get three quick tries (the default is ten, over minutes)."""
    platform = start_platform(tmp_path_factory.mktemp("reliability-shared"), smtp.port, extra_env={
        "JALIN_RELAY_MAX_ATTEMPTS": "3", "JALIN_RELAY_RETRY_SECONDS": "0.2",
    })
    yield platform
    platform.stop()
