from __future__ import annotations

from collections.abc import Iterator

import pytest

from jalin_cli.platform import Platform
from jalin_e2e import CollectingSMTP, start_platform


@pytest.fixture
def own_platform(tmp_path_factory: pytest.TempPathFactory, smtp: CollectingSMTP) -> Iterator[Platform]:
    """A platform (SQLite) only this test uses: it may kill its processes."""
    platform = start_platform(tmp_path_factory.mktemp("reliability"), smtp.port)
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def shared_platform(tmp_path_factory: pytest.TempPathFactory, smtp: CollectingSMTP) -> Iterator[Platform]:
    platform = start_platform(tmp_path_factory.mktemp("reliability-shared"), smtp.port)
    yield platform
    platform.stop()
