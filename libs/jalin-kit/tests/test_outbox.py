"""Outbox: the write never fails for NATS; the relay publishes with CloudEvents headers."""

from __future__ import annotations

import nats
from jalin_kit.db import Database, utcnow
from jalin_kit.events import DocumentGenerated, ensure_stream
from jalin_kit.outbox import OutboxMessage, OutboxRelay, record_event
from jalin_kit.testing import NatsServer, eventually
from sqlmodel import SQLModel, select

TABLES = [SQLModel.metadata.tables["outbox"]]


def event(n: int) -> DocumentGenerated:
    return DocumentGenerated(
        document_id=f"d{n}", tenant="sumbar", proposal_id=f"p{n}", proposal_title="t", kind="kb",
        version=1, sha256="0" * 64, size=1, media_type="x", generated_at=utcnow(),
    )


async def write(db: Database, n: int) -> str:
    async with db.tenant_session("sumbar") as s:
        row = record_event(s, event(n), tenant_id="sumbar", source="/jalin/documents", correlation_id=f"c{n}")
        await s.commit()
        return row.id


async def pending(db: Database) -> int:
    async with db.system_session() as s:
        return len((await s.exec(select(OutboxMessage).where(OutboxMessage.sent_at == None))).all())  # noqa: E711


async def all_sent(db: Database) -> bool:
    return await pending(db) == 0


async def test_relay_publishes_with_headers_and_survives_nats_outage(
    database_url: str, own_nats: NatsServer
) -> None:
    db = Database(database_url)
    await db.create_all(TABLES)
    nc = await nats.connect(own_nats.url)
    js = nc.jetstream()
    await ensure_stream(js)
    await nc.close()

    relay_nc = await nats.connect(own_nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    relay = OutboxRelay(db, relay_nc.jetstream, poll_seconds=0.2, max_backoff_seconds=0.5, publish_timeout=1)
    relay.start()
    try:
        first = await write(db, 1)
        await eventually(lambda: all_sent(db), what="the first event published")

        own_nats.stop()
        ids = [await write(db, n) for n in range(2, 6)]  # writes succeed while NATS is away
        # Unhealthy only once it tried with NATS away: the four rows are still there then.
        await eventually(lambda: not relay.healthy, what="the relay failing while NATS is away")
        assert await pending(db) == 4

        own_nats.start()
        await eventually(lambda: all_sent(db), within=60, what="the four events published after NATS came back")

        sub_nc = await nats.connect(own_nats.url)
        psub = await sub_nc.jetstream().pull_subscribe("jalin.sumbar.>", durable=None)
        msgs = await psub.fetch(10, timeout=5)
        await sub_nc.close()
        got = [m.headers["ce-id"] for m in msgs]  # type: ignore[index]
        assert got == [first, *ids]
        m = msgs[0]
        assert m.subject == "jalin.sumbar.document.generated"
        assert m.headers["Nats-Msg-Id"] == first  # type: ignore[index]
        assert m.headers["ce-type"] == "id.jalin.document.generated.v1"  # type: ignore[index]
        assert m.headers["ce-correlationid"] == "c1"  # type: ignore[index]
        assert DocumentGenerated.model_validate_json(m.data).document_id == "d1"
    finally:
        await relay.stop()
        await relay_nc.close()
        await db.dispose()


async def parked(relay: OutboxRelay, count: int) -> bool:
    return await relay.parked_count() == count


async def test_a_commit_wakes_its_own_stores_relay_only(tmp_path, nats_url: str) -> None:  # type: ignore[no-untyped-def]
    """No polling between events: a commit that recorded one wakes the relay of that store at
    once (its poll here is a minute), and never the relay of another store in the process."""
    ours, theirs = Database(f"sqlite+aiosqlite:///{tmp_path}/a.db"), Database(f"sqlite+aiosqlite:///{tmp_path}/b.db")
    for db in (ours, theirs):
        await db.create_all(TABLES)
    nc = await nats.connect(nats_url)
    await ensure_stream(nc.jetstream())
    relay = OutboxRelay(ours, nc.jetstream, poll_seconds=60)
    other = OutboxRelay(theirs, nc.jetstream, poll_seconds=60)
    relay.start()
    try:
        await write(ours, 1)
        await eventually(lambda: all_sent(ours), within=10, what="the first event published")
        # The relay is now in its minute-long wait: only the commit's wake-up can bring the next one out.
        await write(ours, 2)
        await eventually(lambda: all_sent(ours), within=10, what="the event published on the commit's wake-up")
        assert relay.published == 2
        assert not other._wakeup.is_set()  # noqa: SLF001 - the other store's relay was not disturbed
        async with ours.tenant_session("sumbar") as s:  # a commit without an event wakes nobody
            await s.commit()
        assert not relay._wakeup.is_set()  # noqa: SLF001
    finally:
        await relay.stop()
        await nc.close()
        for db in (ours, theirs):
            await db.dispose()


async def test_unpublishable_rows_never_hold_back_a_good_one_and_are_parked(
    database_url: str, nats_url: str
) -> None:
    """500 rows no server takes (a subject with a newline or a space, a payload over the
    server's limit) sit at the head of the outbox; a good event committed after them is
    published before any of them is parked; then they are parked, listed and replayable."""
    db = Database(database_url)
    await db.create_all(TABLES)
    nc = await nats.connect(nats_url)
    await ensure_stream(nc.jetstream())
    bad_ids = []
    async with db.tenant_session("sumbar") as s:
        for n in range(500):
            row = record_event(s, event(n), tenant_id="sumbar", source="/jalin/documents")
            if n % 100 == 99:
                row.data = b"x" * (nc.max_payload + 1)
            else:
                row.subject = "jalin.sumbar\n.document.generated" if n % 2 else "jalin.sum bar.document.generated"
            bad_ids.append(row.id)
        await s.commit()
    good = await write(db, 1000)
    relay = OutboxRelay(db, nc.jetstream, poll_seconds=0.05, max_attempts=3, retry_seconds=0.01, publish_timeout=2)
    relay.start()
    try:
        await eventually(lambda: parked(relay, 500), within=60, what="the 500 bad rows parked")
        async with db.system_session() as s:
            rows = {r.id: r for r in (await s.exec(select(OutboxMessage))).all()}
        assert rows[good].sent_at is not None and rows[good].parked_at is None
        bad = [rows[i] for i in bad_ids]
        assert all(r.parked_at is not None and r.sent_at is None and r.attempts == 3 for r in bad)
        assert rows[good].sent_at < min(r.parked_at for r in bad)  # type: ignore[operator,type-var]
        assert {r.last_error.split(":")[0] for r in bad} == {"Unpublishable"}  # type: ignore[union-attr]
        assert relay.healthy
        assert [r.id for r in await relay.rows(parked=True, limit=1000)] == bad_ids

        # Replayed, a parked row is tried again (and parked again: it is still bad) ...
        await relay.replay(bad_ids[0])
        assert await relay.parked_count() == 499
        await eventually(lambda: parked(relay, 500), what="the replayed bad row parked again")
        async with db.system_session() as s:
            again = await s.get(OutboxMessage, bad_ids[0], populate_existing=True)
        assert again is not None and again.parked_at is not None and again.attempts == 3
        # ... and one mended by hand (as an operator might) goes out.
        async with db.system_session() as s:
            mended = await s.get(OutboxMessage, bad_ids[1])
            assert mended is not None
            mended.subject = "jalin.sumbar.document.generated"
            s.add(mended)
            await s.commit()
        await relay.replay(bad_ids[1])

        async def mended_sent() -> bool:
            async with db.system_session() as s:
                row = await s.get(OutboxMessage, bad_ids[1], populate_existing=True)
            return row is not None and row.sent_at is not None

        await eventually(mended_sent, what="the mended row published")
    finally:
        await relay.stop()
        await nc.close()
        await db.dispose()


async def test_an_event_of_a_shared_cooperation_has_a_copy_on_the_partners_subjects(database_url: str) -> None:
    db = Database(database_url)
    await db.create_all(TABLES)
    try:
        shared = event(1).model_copy(update={"shared_with": "kukar"})
        async with db.tenant_session("sumbar") as s:
            row = record_event(s, shared, tenant_id="sumbar", source="/jalin/documents")
            record_event(s, event(2), tenant_id="sumbar", source="/jalin/documents")  # not shared
            record_event(s, event(3).model_copy(update={"shared_with": "sumbar"}), tenant_id="sumbar", source="/jalin/documents")
            await s.commit()
        async with db.system_session() as s:
            rows = (await s.exec(select(OutboxMessage).order_by(OutboxMessage.subject))).all()
        assert [r.subject for r in rows] == [
            "jalin.kukar.shared.sumbar.document.generated",  # the partner's copy
            "jalin.sumbar.document.generated", "jalin.sumbar.document.generated", "jalin.sumbar.document.generated",
        ]
        copy = rows[0]
        assert (copy.tenant_id, copy.type, copy.data, copy.correlation_id) == ("sumbar", row.type, row.data, row.correlation_id)
        assert copy.id != row.id
    finally:
        await db.dispose()
