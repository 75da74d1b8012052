"""The consumer pipeline: replay of a dead letter, and constraint violations that are not
duplicates (they must fail, not be acked as if processed)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from jalin_kit.consumers import EventConsumers, EventContext
from jalin_kit.db import Database, TenantScoped, utcnow
from jalin_kit.events import CloudEvent, Party, ProposalApproved
from sqlmodel import Field, SQLModel, select


class Effect(TenantScoped, table=True):
    __tablename__ = "kit_test_effects"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


TABLES = [SQLModel.metadata.tables[t] for t in ("dead_letters", "processed_events", "outbox", "kit_test_effects")]


def event(name: str) -> ProposalApproved:
    return ProposalApproved(
        proposal_id=name, tenant="sumbar", title="t", kind="ksdd", proposer=Party(name="A"),
        partner=Party(name="B"), objective="o", scope="s", term_months=12, financing="f", actor="x",
        occurred_at=utcnow(), term_start=date(2027, 1, 1), term_end=date(2028, 1, 1),
    )


def envelope(event_id: str) -> CloudEvent:
    return CloudEvent(event_id, "/jalin/proposals", ProposalApproved.ce_type(), "jalin.sumbar.proposal.approved", "sumbar", "c")


@pytest.fixture
async def setup(database_url: str):  # type: ignore[no-untyped-def]
    db = Database(database_url)
    await db.create_all(TABLES)
    consumers = EventConsumers(service="kittest", source="/test")
    failing = {"on": True}

    @consumers.on(ProposalApproved)
    async def record(ctx: EventContext, e: ProposalApproved) -> None:
        if failing["on"]:
            raise RuntimeError("the handler's dependency is down")
        ctx.session.add(Effect(name=e.proposal_id))

    consumers.db = db
    yield db, consumers, failing
    await db.dispose()


async def effects(db: Database) -> list[str]:
    async with db.tenant_session("sumbar") as s:
        return [e.name for e in (await s.exec(select(Effect))).all()]


async def test_replay_succeeds_once_the_cause_is_fixed(setup) -> None:  # type: ignore[no-untyped-def]
    db, consumers, failing = setup
    ev_id = str(uuid.uuid4())
    row = await consumers.store_dead_letter(
        "kittest-proposal-approved", "jalin.sumbar.proposal.approved", envelope(ev_id).headers(),
        event("p-replay").model_dump_json().encode(), RuntimeError("down"), stream_seq=7, deliveries=5,
    )
    # Still failing: the outcome is recorded, nothing happens, and the store is not blocked.
    again = await asyncio.wait_for(consumers.replay(row.id), timeout=20)
    assert again is not None and again.replayed_at is None and again.replay_count == 1
    assert (again.replay_error or "").startswith("RuntimeError at ")  # the class and place, not the message
    failing["on"] = False
    done = await asyncio.wait_for(consumers.replay(row.id), timeout=20)
    assert done is not None and done.replayed_at is not None and done.replay_error is None
    assert done.replay_count == 2
    assert await effects(db) == ["p-replay"]
    assert [r.id for r in await consumers.list_dead_letters()] == []  # replayed ones are hidden
    assert await consumers.replay(10_000) is None


async def test_constraint_violation_of_another_event_is_a_failure_not_a_duplicate(setup) -> None:  # type: ignore[no-untyped-def]
    db, consumers, failing = setup
    failing["on"] = False
    reg = consumers.registrations["kittest-proposal-approved"]
    first = str(uuid.uuid4())
    assert await consumers.process(reg, envelope(first), event("same-name")) is True
    assert await consumers.process(reg, envelope(first), event("same-name")) is False  # a duplicate
    with pytest.raises(RuntimeError, match="violated a constraint"):
        await consumers.process(reg, envelope(str(uuid.uuid4())), event("same-name"))
    assert await effects(db) == ["same-name"]


def test_a_consumer_refuses_an_event_its_source_could_not_have_published() -> None:
    from jalin_kit.consumers import Refused, check_publisher
    from jalin_kit.events import CloudEvent

    def envelope(source: str, tenant: str = "sumbar") -> CloudEvent:
        return CloudEvent(id="e1", source=source, type="id.jalin.proposal.approved.v1",
                          subject="jalin.sumbar.proposal.approved", tenant_id=tenant, correlation_id="c")

    check_publisher("jalin.sumbar.proposal.approved", envelope("/jalin/proposals"))
    check_publisher("jalin.sumbar.document.generated", envelope("/jalin/documents"))
    for subject, env, why in [
        ("jalin.sumbar.proposal.approved", envelope("/jalin/documents"), "cannot publish proposal events"),
        ("jalin.sumbar.proposal.approved", envelope("/evil"), "cannot publish proposal events"),
        ("jalin.sumbar.unknown.happened", envelope("/jalin/proposals"), "cannot publish unknown events"),
        ("jalin.kukar.proposal.approved", envelope("/jalin/proposals"), "differs from ce-tenantid"),
        ("jalin.kukar.shared.sumbar.proposal.approved", envelope("/jalin/proposals"), "is not jalin"),
    ]:
        with pytest.raises(Refused, match=why):
            check_publisher(subject, env)
