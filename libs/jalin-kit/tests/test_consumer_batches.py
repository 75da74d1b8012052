"""Consumers in batches, with a real nats-server: the messages of one pull commit in one
transaction; when that transaction fails, each is tried alone, so the good ones commit once
and the poison one alone fails and ends in the dead-letter store."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import nats
import pytest
from faststream.nats import NatsBroker
from jalin_kit.consumers import EventConsumers, EventContext
from jalin_kit.db import Database, TenantScoped, allow_new_rows_for, utcnow
from jalin_kit.events import CloudEvent, Party, ProposalApproved, ensure_stream
from jalin_kit.metrics import Metrics
from jalin_kit.settings import ServiceSettings
from jalin_kit.testing import eventually
from sqlalchemy import event as sa_event
from sqlmodel import Field, SQLModel, col, select

from jalin_kit.inbox import ProcessedEvent  # isort: skip


class BatchEffect(TenantScoped, table=True):
    __tablename__ = "kit_batch_effects"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


TABLES = [SQLModel.metadata.tables[t] for t in ("dead_letters", "processed_events", "outbox", "kit_batch_effects")]
SETTINGS = ServiceSettings.model_construct(pull_batch_size=20, max_deliver=2, backoff_seconds=[0.05], ack_wait_seconds=10)


def approved(name: str, tenant: str) -> ProposalApproved:
    return ProposalApproved(
        proposal_id=name, tenant=tenant, title="t", kind="ksdd", proposer=Party(name="A"),
        partner=Party(name="B"), objective="o", scope="s", term_months=12, financing="f", actor="x",
        occurred_at=utcnow(), term_start=date(2027, 1, 1), term_end=date(2028, 1, 1),
    )


async def publish(js: nats.js.JetStreamContext, name: str, tenant: str) -> str:
    event_id = str(uuid.uuid4())
    subject = f"jalin.{tenant}.proposal.approved"
    headers = CloudEvent(event_id, "/jalin/proposals", ProposalApproved.ce_type(), subject, tenant, "c").headers()
    await js.publish(subject, approved(name, tenant).model_dump_json().encode(), headers=headers)
    return event_id


@pytest.fixture
async def world(database_url: str, nats_url: str):  # type: ignore[no-untyped-def]
    service = f"batch{uuid.uuid4().hex[:8]}"  # its own durable names: tests share the server
    db = Database(database_url)
    await db.create_all(TABLES)
    commits: list[int] = []
    sa_event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    consumers = EventConsumers(service=service, source="/test")
    metrics = Metrics(service)
    consumers.bind(db, SETTINGS, metrics)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)
    yield db, consumers, metrics, js, commits
    for name in consumers.registrations:
        try:
            await js.delete_consumer("JALIN", name)
        except nats.js.errors.NotFoundError:
            pass
    await nc.close()
    await db.dispose()


async def start(consumers: EventConsumers, nats_url: str) -> NatsBroker:
    broker = NatsBroker(nats_url)
    broker.include_router(consumers.build_router(SETTINGS))
    await broker.start()
    return broker


async def names(db: Database, tenant: str) -> list[str]:
    async with db.tenant_session(tenant) as s:
        return sorted(e.name for e in (await s.exec(select(BatchEffect))).all())


async def test_a_backlog_commits_in_one_transaction_each_message_in_its_tenant(world, nats_url: str) -> None:  # type: ignore[no-untyped-def]
    db, consumers, metrics, js, commits = world
    a, b = tenant(), tenant()
    tenants = {a: [f"a{i}" for i in range(6)], b: [f"b{i}" for i in range(6)]}

    @consumers.on(ProposalApproved)
    async def record(ctx: EventContext, e: ProposalApproved) -> None:
        if e.tenant in tenants:  # (not another test's approval, still on the stream)
            ctx.session.add(BatchEffect(name=f"{e.tenant}:{e.proposal_id}"))

    # The backlog is there before the consumer starts: its first pull takes all of it.
    ids = []
    for i in range(6):
        for t, batch in tenants.items():
            ids.append(await publish(js, batch[i], t))
    broker = await start(consumers, nats_url)
    try:
        consumer = next(iter(consumers.registrations))
        await eventually(lambda: _done(db, ids), what="the twelve effects")
        # Each row in its own tenant's scope, though they shared a transaction.
        assert await names(db, a) == [f"{a}:{n}" for n in tenants[a]]
        assert await names(db, b) == [f"{b}:{n}" for n in tenants[b]]
        # (The stream also holds other tests' approvals: this new consumer gets them too.)
        processed = metrics.consumer_processed.labels(consumers.service, consumer)._value.get()  # noqa: SLF001
        assert processed >= 12
        # Fewer commits than messages: they were committed together (one per pull).
        assert len(commits) < processed, commits
    finally:
        await broker.stop()


def tenant() -> str:
    return f"bt{uuid.uuid4().hex[:8]}"


async def _done(db: Database, ids: list[str]) -> bool:
    async with db.system_session() as s:
        query = select(ProcessedEvent.event_id).where(col(ProcessedEvent.event_id).in_(ids))
        return len((await s.exec(query)).all()) == len(ids)


async def test_a_poison_message_fails_alone_and_the_others_commit_once(world, nats_url: str) -> None:  # type: ignore[no-untyped-def]
    db, consumers, metrics, js, commits = world
    calls: list[str] = []

    @consumers.on(ProposalApproved)
    async def record(ctx: EventContext, e: ProposalApproved) -> None:
        calls.append(e.proposal_id if e.tenant == t else "other")
        if e.tenant != t:
            return  # another test's approval, still on the stream
        if e.proposal_id == "poison":
            raise RuntimeError("this message cannot be handled")
        ctx.session.add(BatchEffect(name=e.proposal_id))

    t = tenant()
    good = [f"good{i}-{t}" for i in range(5)]
    ids = {}
    for name in [*good[:2], "poison", *good[2:]]:
        ids[name] = await publish(js, name, t)
    broker = await start(consumers, nats_url)
    try:
        await eventually(lambda: _dead_lettered(consumers), what="the poison message's dead letter")
        await eventually(lambda: _done(db, [ids[n] for n in good]), what="the five good effects")
        assert await names(db, t) == sorted(good)
        async with db.system_session() as s:
            processed = (await s.exec(select(ProcessedEvent.event_id).where(
                col(ProcessedEvent.event_id).in_(list(ids.values()))))).all()
        assert sorted(processed) == sorted(ids[n] for n in good)  # each good one once, the poison never
        # Those in the poison one's batch ran twice (which pull each came in depends on the
        # stream's earlier messages; test_the_batch_fallback_step_by_step pins it down).
        assert all(calls.count(n) in (1, 2) for n in good), calls
        assert calls.count("poison") == 1 + SETTINGS.max_deliver  # in the batch, then alone per delivery
        letters = await consumers.list_dead_letters()
        assert [(d.event_id, d.deliveries) for d in letters] == [(ids["poison"], SETTINGS.max_deliver)]
        consumer = next(iter(consumers.registrations))
        assert metrics.consumer_dead_lettered.labels(consumers.service, consumer)._value.get() == 1  # noqa: SLF001
        assert metrics.consumer_failed.labels(consumers.service, consumer)._value.get() == SETTINGS.max_deliver  # noqa: SLF001
    finally:
        await broker.stop()


async def _dead_lettered(consumers: EventConsumers) -> bool:
    return bool(await consumers.list_dead_letters())


async def test_the_batch_fallback_step_by_step(world) -> None:  # type: ignore[no-untyped-def]
    """The messages of one pull, as FastStream hands them over (each in its own task, all at
    once): one batch; it fails on the poison one; each is run alone; only the poison fails."""
    db, consumers, metrics, _js, commits = world
    calls: list[str] = []

    @consumers.on(ProposalApproved)
    async def record(ctx: EventContext, e: ProposalApproved) -> None:
        calls.append(e.proposal_id)
        if e.proposal_id == "poison":
            raise RuntimeError("this message cannot be handled")
        ctx.session.add(BatchEffect(name=e.proposal_id))

    reg = next(iter(consumers.registrations.values()))
    t = tenant()
    names_ = ["g0", "g1", "poison", "g2", "g3"]

    def envelope(name: str) -> CloudEvent:
        return CloudEvent(f"{t}-{name}", "/jalin/proposals", ProposalApproved.ce_type(),
                          f"jalin.{t}.proposal.approved", t, "c")

    commits.clear()
    outcomes = await asyncio.gather(*(consumers.submit(reg, envelope(n), approved(n, t)) for n in names_),
                                    return_exceptions=True)
    assert [o if isinstance(o, bool) else type(o).__name__ for o in outcomes] == [True, True, "RuntimeError", True, True]
    assert calls == [*names_[:3], *names_]  # the batch (it stops at the poison one), then each alone
    assert await names(db, t) == ["g0", "g1", "g2", "g3"]
    assert len(commits) == 4  # the batch committed nothing; each good one alone, once
    # Delivered again (a redelivery, or a replica's copy): duplicates, in one batch, no new effect.
    commits.clear()
    again = await asyncio.gather(*(consumers.submit(reg, envelope(n), approved(n, t)) for n in ["g0", "g1", "g2"]))
    assert again == [False, False, False] and len(commits) == 1
    assert await names(db, t) == ["g0", "g1", "g2", "g3"]


async def test_a_partners_rows_allowed_for_one_message_are_not_allowed_for_the_next(world) -> None:  # type: ignore[no-untyped-def]
    """In one batch: a message that may add a row of its partner region (allow_new_rows_for,
    as a notice to the partner) does; the next message, of another tenant, and a third of the
    same tenant that tries the same without leave, do not inherit that leave."""
    db, consumers, _metrics, _js, commits = world
    a, b, partner = tenant(), tenant(), tenant()

    @consumers.on(ProposalApproved)
    async def record(ctx: EventContext, e: ProposalApproved) -> None:
        if e.proposal_id.startswith("allowed"):
            allow_new_rows_for(ctx.session, partner)
        if e.proposal_id.startswith(("allowed", "sneaky")):
            ctx.session.add(BatchEffect(name=f"{partner}:{e.proposal_id}", tenant_id=partner))
        ctx.session.add(BatchEffect(name=f"{e.tenant}:{e.proposal_id}"))

    reg = next(iter(consumers.registrations.values()))

    def envelope(name: str, t: str) -> CloudEvent:
        return CloudEvent(f"{t}-{name}", "/jalin/proposals", ProposalApproved.ce_type(), f"jalin.{t}.proposal.approved", t, "c")

    # Allowed, then another tenant's plain message: one batch, one commit, each row where it belongs.
    commits.clear()
    ok = await asyncio.gather(*(consumers.submit(reg, envelope(n, t), approved(n, t))
                                for n, t in (("allowed1", a), ("plain", b))))
    assert ok == [True, True] and len(commits) == 1
    assert await names(db, partner) == [f"{partner}:allowed1"]
    assert await names(db, a) == [f"{a}:allowed1"] and await names(db, b) == [f"{b}:plain"]
    # Allowed, then the same tenant's message without leave: refused (alone, after the batch failed).
    outcomes = await asyncio.gather(*(consumers.submit(reg, envelope(n, a), approved(n, a))
                                      for n in ("allowed2", "sneaky")), return_exceptions=True)
    assert outcomes[0] is True and type(outcomes[1]).__name__ == "TenantScopeError", outcomes
    assert await names(db, partner) == [f"{partner}:allowed1", f"{partner}:allowed2"]
    assert await names(db, a) == [f"{a}:allowed1", f"{a}:allowed2"]
