"""Readiness sees a consumer that went quiet: messages wait and nobody pulls them."""

from __future__ import annotations

import nats
from jalin_kit.consumers import consumer_health
from jalin_kit.events import ensure_stream
from jalin_kit.testing import eventually
from nats.js.api import AckPolicy, ConsumerConfig


async def test_waiting_messages_without_a_puller_are_stalled_and_a_puller_heals_it(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)
    name = "healthtest-consumer"
    sub = await js.pull_subscribe(
        "jalin.healthtenant.thing.happened", durable=name, config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT)
    )
    try:
        assert await consumer_health(js, name, settle_seconds=0.2) == "ok"  # nothing waiting: idle is fine
        for i in range(3):
            await js.publish("jalin.healthtenant.thing.happened", str(i).encode())
        async def three_pending() -> bool:  # the server counts them as pending a moment after the PubAcks
            return (await js.consumer_info("JALIN", name)).num_pending == 3

        await eventually(three_pending, within=10, what="three messages pending for the consumer")
        assert await consumer_health(js, name, settle_seconds=0.2) == "stalled"
        for msg in await sub.fetch(3, timeout=5):
            await msg.ack_sync()
        assert await consumer_health(js, name, settle_seconds=0.2) == "ok"
    finally:
        await js.delete_consumer("JALIN", name)
        await nc.close()
