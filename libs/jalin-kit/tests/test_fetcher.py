"""Reading one message of a durable's filter again (a dead letter's data), when replicas of a
service share the fetcher's name."""

from __future__ import annotations

import uuid

import nats
import pytest
from jalin_kit import bus
from jalin_kit.bus import fetch_at, fetcher_of
from jalin_kit.events import ensure_stream
from jalin_kit.events.stream import STREAM_NAME
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy


async def test_a_fetcher_left_by_a_dead_replica_is_taken_over(nats_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bus, "FETCHER_WAIT_SECONDS", 0.5)
    subject = f"jalin.fetchtest.proposal.{uuid.uuid4().hex}"
    durable = f"kittest-{uuid.uuid4().hex[:8]}"
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js)
        first = (await js.publish(subject, b"one")).seq
        second = (await js.publish(subject, b"two")).seq
        # What a replica killed mid-read leaves: the fetcher, at another start sequence.
        await js.add_consumer(STREAM_NAME, ConsumerConfig(
            name=fetcher_of(durable), filter_subject=subject, deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=first, ack_policy=AckPolicy.NONE, inactive_threshold=60.0))
        msg = await fetch_at(js, durable, subject, second)
        assert msg is not None and msg.data == b"two"
        names = [c.name for c in await js.consumers_info(STREAM_NAME)]
        assert fetcher_of(durable) not in names  # deleted after the read
    finally:
        await nc.close()
