"""What the deploy tests share: the locked-down bus as the platform renders it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jalin_cli.bus import BusCredentials, render_config
from jalin_cli.platform import NatsServer, free_port


@pytest.fixture
def locked_bus(tmp_path: Path) -> Iterator[tuple[BusCredentials, int]]:
    """The locked-down bus (the platform's users and permissions), JALIN not there yet."""
    creds = BusCredentials.load_or_create(tmp_path / "bus")
    port = free_port()
    conf = tmp_path / "bus" / "nats-server.conf"
    conf.write_text(render_config(creds, [], host="127.0.0.1", port=port, store_dir=tmp_path / "jetstream"))
    server = NatsServer(tmp_path / "jetstream", port, config=conf)
    server.start()
    try:
        yield creds, port
    finally:
        server.stop()
