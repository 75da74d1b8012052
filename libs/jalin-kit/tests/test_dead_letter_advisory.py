"""A message the server stops delivering without the consumer's last attempt failing in
Python (the handler killed the process, say) still reaches the dead-letter store, through
the server's MAX_DELIVERIES advisory."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import nats
from jalin_kit.consumers import MAX_DELIVERIES_ADVISORIES, EventConsumers, EventContext
from jalin_kit.db import Database, utcnow
from jalin_kit.events import CloudEvent, Party, ProposalApproved, ensure_stream
from nats.js.api import AckPolicy, ConsumerConfig
from sqlmodel import SQLModel

KIT_TABLES = [SQLModel.metadata.tables[t] for t in ("dead_letters", "processed_events", "outbox")]


async def test_advisory_stores_the_message_once(database_url: str, nats_url: str) -> None:
    db = Database(database_url)
    await db.create_all(KIT_TABLES)
    consumers = EventConsumers(service="advisorytest", source="/test")

    @consumers.on(ProposalApproved)
    async def never_finishes(ctx: EventContext, event: ProposalApproved) -> None:
        raise AssertionError("not called in this test")

    consumers.db = db
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)
    advisories: asyncio.Queue[dict[str, object]] = asyncio.Queue()

    async def on_advisory(msg: nats.aio.msg.Msg) -> None:
        payload = json.loads(msg.data)
        await consumers.on_max_deliveries(js, payload)
        await advisories.put(payload)

    await nc.subscribe(MAX_DELIVERIES_ADVISORIES, cb=on_advisory)
    consumer = "advisorytest-proposal-approved"
    sub = await js.pull_subscribe(
        "jalin.advtenant.proposal.approved",
        durable=consumer,
        config=ConsumerConfig(max_deliver=2, ack_wait=0.5, ack_policy=AckPolicy.EXPLICIT),
    )
    event = ProposalApproved(
        proposal_id="p1", tenant="advtenant", title="t", kind="ksdd", proposer=Party(name="A"),
        partner=Party(name="B"), objective="o", scope="s", term_months=12, financing="f", actor="x",
        occurred_at=utcnow(), term_start=date(2027, 1, 1), term_end=date(2028, 1, 1),
    )
    headers = CloudEvent("ev-adv-1", "/test", ProposalApproved.ce_type(),
                         "jalin.advtenant.proposal.approved", "advtenant", "c").headers()
    ack = await js.publish("jalin.advtenant.proposal.approved", event.model_dump_json().encode(), headers=headers)
    try:
        # Delivered twice, acknowledged never: a crashing handler. No sleep for the ack wait: the
        # second pull waits until the server delivers the message again.
        assert [(await sub.fetch(1, timeout=5))[0].metadata.num_delivered for _ in range(2)] == [1, 2]
        # The server notices the limit when the consumer asks again, as a service's pull loop does;
        # that pull gets nothing (it ends when the server gives up on the message, or at its timeout).
        try:
            again = await sub.fetch(1, timeout=2)
        except nats.errors.TimeoutError:
            again = []
        assert again == []
        payload = await asyncio.wait_for(advisories.get(), timeout=15)
        # Given up on for good: nothing of it is left to deliver or waiting for an acknowledgement.
        info = await js.consumer_info("JALIN", consumer)
        assert (info.num_pending, info.num_ack_pending) == (0, 0)
        assert payload["consumer"] == consumer and payload["stream_seq"] == ack.seq
        rows = await consumers.list_dead_letters()
        assert len(rows) == 1
        row = rows[0]
        assert (row.consumer, row.stream_seq, row.event_id, row.tenant_id) == (consumer, ack.seq, "ev-adv-1", "advtenant")
        assert ProposalApproved.model_validate_json(row.data).proposal_id == "p1"
        # The same advisory again (or the middleware having stored it first) adds nothing.
        assert await consumers.on_max_deliveries(js, payload) is None
        assert len(await consumers.list_dead_letters()) == 1
    finally:
        await js.delete_consumer("JALIN", consumer)
        await nc.close()
        await db.dispose()
