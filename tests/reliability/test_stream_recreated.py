"""``JALIN`` deleted by the operator while the platform runs: the services recreate it and
their consumers from the kit's one definition, say so in readiness while it lasts, and a
new approval gets its effects — nobody restarts anything."""

from __future__ import annotations

import httpx
import nats
from jalin_e2e import Api, wait_for

from jalin_cli.platform import SERVICES, Platform

CONSUMERS = ("documents", "notifications", "evaluation")


def ready(platform: Platform, service: str) -> bool:
    return httpx.get(f"{platform.url(service)}/readyz", timeout=10).status_code == 200


async def test_the_services_recreate_the_stream_and_their_consumers(own_platform: Platform) -> None:
    api = Api(own_platform)
    before = api.approved_proposal(title="Sebelum aliran dihapus")
    wait_for(lambda: api.documents(before["id"]) and api.plans(before["id"]), what="effects before the deletion")

    nc = await nats.connect(own_platform.admin_url, inbox_prefix="_INBOX_admin")  # the operator's tool user
    try:
        js = nc.jetstream()
        assert await js.delete_stream("JALIN")

        def recreated() -> bool:
            return all(ready(own_platform, s) for s in CONSUMERS)

        # Within a minute (each service checks every few seconds), with no restart.
        wait_for(recreated, timeout=60, interval=0.5, what="every service ready again")
        info = await js.stream_info("JALIN")
        assert info.config.subjects == ["jalin.>"]
        names = set()
        for durable in await js.consumers_info("JALIN"):
            names.add(durable.name)
        for service in CONSUMERS:
            assert any(n.startswith(f"{service}-") for n in names), (service, names)
    finally:
        await nc.close()

    after = api.approved_proposal(title="Sesudah aliran dibuat lagi")
    wait_for(lambda: api.documents(after["id"]) and api.plans(after["id"]) and api.inbox(after["id"]),
             timeout=60, what="the new approval's effects")
    # Whichever service noticed first recreated the stream (the proposals service too, whose
    # relay publishes into it); the consumers' services recreated their durables.
    logs = {s: (own_platform.config.data_dir / "logs" / f"{s}.log").read_text() for s in SERVICES}
    assert any("bus.stream_recreated" in text for text in logs.values())
    assert all("bus.consumer_recreated" in logs[s] for s in CONSUMERS)
