"""The JALIN stream applied with the operator's credential, and a bus URL fit to print. The
nats-server process itself (``NatsServer``, ``nats_server_binary``) is the kit's
(``jalin_kit.testing``): the kit's tests start it without this command."""

from __future__ import annotations

import re

from jalin_cli.bus import STREAMER, inbox_of


async def _quiet(_exc: Exception) -> None:
    """nats-py logs every failed attempt with a traceback; the caller reports the last one."""


def redacted(url: str) -> str:
    """A bus URL fit to print: its password hidden."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def apply_stream(url: str, attempts: int = 50, within: float | None = None) -> None:
    """Create or update the JALIN stream from its one definition (jalin-kit); ``url`` carries
    the bus's stream credential (``nats://streamer:…@host:port``). Tries ``attempts`` times, or
    until ``within`` seconds have passed when that is given."""
    from urllib.parse import urlsplit

    servers = [u.strip() for u in url.split(",") if u.strip()]  # a cluster: its nodes, tried in turn
    user = urlsplit(servers[0]).username or STREAMER
    import asyncio

    import nats
    from jalin_kit.events import ensure_stream

    async def apply() -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within if within is not None else None
        attempt = 0
        while True:
            attempt += 1
            try:
                # nats-py keeps retrying a refused first connection: bound it ourselves.
                nc = await asyncio.wait_for(
                    nats.connect(servers, connect_timeout=2, allow_reconnect=False, error_cb=_quiet,
                                 inbox_prefix=inbox_of(user).encode()), timeout=1 + 2 * len(servers)
                )
                try:
                    await ensure_stream(nc.jetstream())
                    return
                finally:
                    await nc.close()
            except Exception as exc:  # noqa: BLE001 - JetStream may still be recovering
                if (deadline is not None and loop.time() >= deadline) or (deadline is None and attempt >= attempts):
                    raise ConnectionError(f"NATS at {redacted(url)} did not answer ({type(exc).__name__} {exc})") from exc
                await asyncio.sleep(0.2)

    asyncio.run(apply())
