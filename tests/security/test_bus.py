"""The bus is not a trusted network: nothing connects without credentials; a region's
credential reads that region's events (and those of cooperations shared with it) and
nothing else, changes nothing, and catches up after being offline; a service may publish
only its own aggregates; a consumer refuses an event its publisher could not have sent.
On the platform as processes (the bus does not depend on the store: SQLite only)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import nats.errors
import pytest
from jalin_e2e import Api, wait_for
from jalin_kit.db import utcnow
from jalin_kit.events import CloudEvent, Party, ProposalApproved
from jalin_kit.testing import eventually
from nats.aio.client import Client
from nats.js.api import ConsumerConfig, DeliverPolicy, RePublish

from jalin_cli.platform import Platform

JS_TIMEOUT = 1.0  # a refused JetStream call answers nothing: it times out


@pytest.fixture
def bus_platform(platform: Platform) -> Platform:
    if platform.config.database_urls:
        pytest.skip("the bus does not depend on the store: checked on the SQLite platform")
    return platform


class Refusals:
    """What the server says to a client it refuses (nats-py hands it to the error callback)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

        async def record(exc: Exception) -> None:  # nats-py wants a coroutine function
            self.errors.append(str(exc))

        self.cb = record


@pytest.fixture
async def kukar(bus_platform: Platform) -> AsyncIterator[tuple[Client, Refusals]]:
    refusals = Refusals()
    nc = await nats.connect(bus_platform.tenant_url("kukar"), error_cb=refusals.cb)
    yield nc, refusals
    await nc.close()


def pid_of(msg: Any) -> str | None:
    try:
        return json.loads(msg.data).get("proposal_id")  # type: ignore[no-any-return]
    except ValueError:
        return None


async def drain(sub: Any, want: int = 500) -> list[Any]:
    """Everything the durable has now, acked."""
    out: list[Any] = []
    while len(out) < want:
        try:
            msgs = await sub.fetch(100, timeout=1)
        except TimeoutError:  # nats-py raises its own or asyncio's
            break
        for m in msgs:
            await m.ack()
        out += msgs
    return out


async def test_an_anonymous_or_wrong_connection_is_refused(bus_platform: Platform) -> None:
    for url in (bus_platform.nats_url, bus_platform.nats_url.replace("nats://", "nats://kukar:wrong@")):
        refusals = Refusals()
        with pytest.raises((nats.errors.NoServersError, nats.errors.Error)):
            await nats.connect(url, max_reconnect_attempts=1, reconnect_time_wait=0.1, error_cb=refusals.cb)
        assert any("Authorization Violation" in e for e in refusals.errors), refusals.errors


async def test_a_region_reads_its_own_events_and_the_cooperations_shared_with_it(
    bus_platform: Platform, kukar: tuple[Client, Refusals]
) -> None:
    nc, _ = kukar
    js = nc.jetstream()
    sub = await js.pull_subscribe("jalin.kukar.>", durable=f"erp-{uuid.uuid4().hex[:8]}", stream="EVENTS")
    await drain(sub)  # start from now
    sumbar, kukar_api = Api(bus_platform), Api(bus_platform, tenant="kukar", unit="dishub")
    shared = await asyncio.to_thread(sumbar.approved_proposal, title="Kerja sama bersama kukar")  # offered to kukar
    own_of_sumbar = await asyncio.to_thread(sumbar.approved_proposal, partner={"name": "PT Swasta"})
    own_of_kukar = await asyncio.to_thread(kukar_api.create, partner={"name": "Kota Balikpapan"})
    await asyncio.to_thread(kukar_api.submit, own_of_kukar["id"])

    got: list[Any] = []

    async def received() -> bool:
        got.extend(await drain(sub))
        return any(m.subject == "jalin.kukar.proposal.submitted" and pid_of(m) == own_of_kukar["id"] for m in got)

    # kukar's own submission is the marker for the checks below that nothing else came: it was
    # published after everything of sumbar's here (the proposals relay publishes oldest first),
    # the region's stream takes JALIN's messages in JALIN's order, and the durable delivers in
    # that order; once it is here, whatever of sumbar's could have leaked would be too.
    await eventually(received, what="kukar's own submission on its stream")
    assert all(m.subject.startswith("jalin.kukar.") for m in got)
    own = [m for m in got if pid_of(m) == own_of_kukar["id"]]
    assert [m.subject for m in own] == ["jalin.kukar.proposal.drafted", "jalin.kukar.proposal.submitted"]
    copies = {m.subject for m in got if pid_of(m) == shared["id"]}
    assert "jalin.kukar.shared.sumbar.proposal.approved" in copies
    copy = next(m for m in got if m.subject == "jalin.kukar.shared.sumbar.proposal.approved")
    assert (copy.headers["ce-tenantid"], copy.headers["ce-source"]) == ("sumbar", "/jalin/proposals")
    assert ProposalApproved.model_validate_json(copy.data).shared_with == "kukar"
    # Nothing of sumbar's own: neither its internal steps nor a cooperation with someone else.
    assert not any(pid_of(m) == own_of_sumbar["id"] for m in got)
    assert "jalin.kukar.shared.sumbar.proposal.submitted" not in copies  # before the offer it was sumbar's


async def test_a_region_can_neither_publish_nor_reach_the_platforms_stream(
    bus_platform: Platform, kukar: tuple[Client, Refusals]
) -> None:
    nc, refusals = kukar
    js = nc.jetstream(timeout=JS_TIMEOUT)
    forged_id = str(uuid.uuid4())
    with pytest.raises(nats.errors.TimeoutError):
        await js.publish("jalin.kukar.proposal.approved", b"{}", headers={"ce-id": forged_id})
    attempts = {
        "read JALIN": js.stream_info("JALIN"),
        "purge JALIN": js.purge_stream("JALIN"),
        "delete JALIN": js.delete_stream("JALIN"),
        "read a platform consumer": js.consumer_info("JALIN", "documents-proposal-approved"),
        "delete a platform consumer": js.delete_consumer("JALIN", "documents-proposal-approved"),
        "purge its own stream": js.purge_stream("EVENTS"),
        "delete its own stream": js.delete_stream("EVENTS"),
    }
    for what, attempt in attempts.items():
        with pytest.raises((nats.errors.TimeoutError, nats.js.errors.NotFoundError)):
            await attempt
            pytest.fail(f"a region could {what}")
    assert any("permissions violation for publish to" in e.lower() for e in refusals.errors)

    admin = await nats.connect(bus_platform.unrestricted_url)  # to read the stream's content: past the bus
    try:
        ajs = admin.jetstream()
        info = await ajs.stream_info("JALIN")
        assert info.state.messages > 0
        await ajs.consumer_info("JALIN", "documents-proposal-approved")
        # The forgery never reached the platform's stream: no service could act on it. Had the
        # server taken it, it would be stored before the refused call returned: counted first,
        # the subject's messages are read to the last one there is (not until a pause).
        subject = "jalin.kukar.proposal.approved"
        stored = ((await ajs.stream_info("JALIN", subjects_filter=subject)).state.subjects or {}).get(subject, 0)
        sub = await ajs.subscribe(subject, ordered_consumer=True, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
        seen = [((await sub.next_msg(timeout=10)).headers or {}).get("ce-id", "") for _ in range(stored)]
        await sub.unsubscribe()
        assert forged_id not in seen
    finally:
        await admin.close()
    assert (await js.stream_info("EVENTS")).config.name == "EVENTS"  # its own stream is untouched


async def test_a_region_catches_up_on_what_was_published_while_it_was_away(bus_platform: Platform) -> None:
    durable = f"catch-up-{uuid.uuid4().hex[:8]}"
    nc = await nats.connect(bus_platform.tenant_url("kukar"))
    js = nc.jetstream()
    sub = await js.pull_subscribe("jalin.kukar.>", durable=durable, stream="EVENTS")
    await drain(sub)
    await nc.close()  # offline

    kukar_api = Api(bus_platform, tenant="kukar", unit="dishub")

    def fifty() -> list[str]:
        ids = []
        for n in range(50):
            draft = kukar_api.create(title=f"Usulan {n:02d}", partner={"name": "PT Mitra"})
            kukar_api.submit(draft["id"])
            ids.append(draft["id"])
        return ids

    ids = await asyncio.to_thread(fifty)
    # A marker after the 50: the proposals relay publishes its outbox oldest first, the region's
    # stream keeps JALIN's order and the durable delivers in stream order, so once the marker
    # is delivered every submission (and any copy of one published again) has been.
    marker = (await asyncio.to_thread(kukar_api.create, title="Usulan penanda", partner={"name": "PT Mitra"}))["id"]

    async def pending_at_least(count: int) -> bool:  # what waits for the durable, without taking it
        probe = await nats.connect(bus_platform.tenant_url("kukar"))
        try:
            return (await probe.jetstream().consumer_info("EVENTS", durable)).num_pending >= count
        finally:
            await probe.close()

    # The 101 events (50 drafts, 50 submissions, the marker) reach the region's stream while it is away.
    await eventually(lambda: pending_at_least(101), what="the events of the 50 proposals on the region's stream")

    got: list[Any] = []
    again = await nats.connect(bus_platform.tenant_url("kukar"))  # back online, once
    try:
        resumed = await again.jetstream().pull_subscribe("jalin.kukar.>", durable=durable, stream="EVENTS")

        async def marker_delivered() -> bool:
            got.extend(await drain(resumed))
            return any(pid_of(m) == marker for m in got)

        await eventually(marker_delivered, what="the marker after the 50 proposals")
    finally:
        await again.close()
    submitted = [pid_of(m) for m in got if m.subject == "jalin.kukar.proposal.submitted"]
    assert sorted(submitted) == sorted(ids)  # all 50, each once


async def test_a_service_may_publish_only_its_own_aggregates(bus_platform: Platform) -> None:
    refusals = Refusals()
    nc = await nats.connect(bus_platform.service_url("documents"), error_cb=refusals.cb, inbox_prefix="_INBOX_documents")
    try:
        js = nc.jetstream(timeout=JS_TIMEOUT)
        ack = await js.publish("jalin.sumbar.document.bus-test", b"{}")  # its own aggregate (no consumer takes it)
        assert ack.stream == "JALIN"
        with pytest.raises(nats.errors.TimeoutError):
            await js.publish("jalin.sumbar.proposal.approved", b"{}")
        with pytest.raises(nats.errors.TimeoutError):
            await js.delete_stream("JALIN")
        assert any('permissions violation for publish to "jalin.sumbar.proposal.approved"' in e.lower()
                   for e in refusals.errors), refusals.errors
    finally:
        await nc.close()


async def test_an_event_its_source_could_not_have_published_is_dead_lettered(bus_platform: Platform) -> None:
    """Published with the operator's unrestricted user, to get past the bus: a proposal
    approval that claims to come from the documents service."""
    pid = str(uuid.uuid4())
    event = ProposalApproved(
        proposal_id=pid, tenant="sumbar", title="Palsu", kind="ksdd", proposer=Party(name="Sumbar"),
        partner=Party(name="Kukar", tenant="kukar"), objective="o", scope="s", term_months=12, financing="f",
        actor="x", occurred_at=utcnow(), term_start=utcnow().date(), term_end=utcnow().date(), shared_with="kukar",
    )
    event_id = str(uuid.uuid4())
    headers = CloudEvent(id=event_id, source="/jalin/documents", type=ProposalApproved.ce_type(),
                         subject="jalin.sumbar.proposal.approved", tenant_id="sumbar", correlation_id=pid).headers()
    nc = await nats.connect(bus_platform.unrestricted_url)
    try:
        await nc.jetstream().publish("jalin.sumbar.proposal.approved", event.model_dump_json().encode(), headers=headers)
    finally:
        await nc.close()

    api = Api(bus_platform)
    operator = Api(bus_platform, tenant="platform").headers("platform_admin", unit=None)
    for service in ("documents", "notifications", "evaluation"):
        def refused(s: str = service) -> list[dict[str, Any]]:
            rows = api.get(s, "/v1/admin/dead-letters", headers=operator).json()
            return [r for r in rows if r["event_id"] == event_id]

        [row] = await eventually(refused, what=f"{service}'s dead letter")
        assert row["deliveries"] == 1  # refused at once, not retried
        assert row["error"] == ("Refused: ce-source '/jalin/documents' cannot publish proposal events "
                                "(only '/jalin/proposals' does)")
        # A replay by the operator is refused the same way: it never acts on the forgery.
        replayed = api.client.post(api.url(service, f"/v1/admin/dead-letters/{row['id']}/replay"), headers=operator)
        assert replayed.status_code == 200 and replayed.json()["replayed_at"] is None
        assert replayed.json()["replay_error"].startswith("Refused: ce-source '/jalin/documents' cannot publish")
    assert api.documents(pid) == [] and api.plans(pid) == []
    assert api.inbox(pid, headers=Api(bus_platform, tenant="kukar").section) == []


async def test_a_service_reads_no_more_than_it_consumes(bus_platform: Platform) -> None:
    """Not another user's replies, not any message of the stream by its sequence; only a
    message of its own consumers' subjects, again, for a dead letter."""
    from jalin_kit.bus import fetch_at

    api = Api(bus_platform)
    pid = (await asyncio.to_thread(api.approved_proposal, title="Dibaca lagi"))["id"]
    await eventually(lambda: api.documents(pid), what="the document")
    refusals = Refusals()
    nc = await nats.connect(bus_platform.service_url("evaluation"), error_cb=refusals.cb,
                            inbox_prefix="_INBOX_evaluation")
    try:
        await nc.subscribe("_INBOX.>")  # the replies of every other user of the account
        await nc.subscribe("_INBOX_documents.>")
        await nc.flush()
        js = nc.jetstream(timeout=JS_TIMEOUT)
        with pytest.raises(TimeoutError):
            await js.get_msg("JALIN", 1)
        approved = await fetch_at(js, "evaluation-proposal-approved", "jalin.*.proposal.approved",
                                  await first_seq(bus_platform, "jalin.sumbar.proposal.approved"), "_INBOX_evaluation")
        assert approved is not None and approved.subject == "jalin.sumbar.proposal.approved"
        with pytest.raises(TimeoutError):  # another's durable, or another filter: refused
            await fetch_at(js, "documents-proposal-approved", "jalin.*.proposal.approved", 1, "_INBOX_evaluation")
    finally:
        await nc.close()
    denied = " ".join(refusals.errors).lower()
    assert 'subscription to "_inbox.>"' in denied and 'subscription to "_inbox_documents.>"' in denied


async def first_seq(platform: Platform, subject: str) -> int:
    nc = await nats.connect(platform.unrestricted_url)
    try:
        return (await nc.jetstream().get_last_msg("JALIN", subject)).seq  # type: ignore[no-any-return]
    finally:
        await nc.close()


async def test_the_operators_tool_user_manages_the_stream_and_reads_no_event(bus_platform: Platform) -> None:
    refusals = Refusals()
    nc = await nats.connect(bus_platform.admin_url, error_cb=refusals.cb, inbox_prefix="_INBOX_admin")
    try:
        js = nc.jetstream(timeout=JS_TIMEOUT)
        info = await js.stream_info("JALIN")
        assert info.config.subjects == ["jalin.>"] and info.state.messages > 0
        names = {c.name for c in await js.consumers_info("JALIN")}
        assert "documents-proposal-approved" in names
        await nc.subscribe("jalin.>")
        await nc.flush()
        with pytest.raises(TimeoutError):
            await js.get_msg("JALIN", 1)
        with pytest.raises(TimeoutError):
            await js.publish("jalin.sumbar.proposal.approved", b"{}")
        with pytest.raises(TimeoutError):
            await js.add_consumer("JALIN", ConsumerConfig(name="peek", filter_subject="jalin.>"))
        # A republish of everything to its own inbox would read every event: no change of the stream.
        spy = dataclasses.replace(info.config, republish=RePublish(src=">", dest="_INBOX_admin.spy.>"))
        with pytest.raises(TimeoutError):
            await js.update_stream(spy)
    finally:
        await nc.close()
    assert any('subscription to "jalin.>"' in e.lower() for e in refusals.errors), refusals.errors


async def test_a_stream_changed_to_copy_events_elsewhere_is_reported(bus_platform: Platform) -> None:
    """Whoever holds the stream credential could still make JALIN republish; the services say so."""
    nc = await nats.connect(bus_platform.unrestricted_url)
    js = nc.jetstream(timeout=JS_TIMEOUT)
    original = (await js.stream_info("JALIN")).config
    try:
        await js.update_stream(dataclasses.replace(original, republish=RePublish(src=">", dest="elsewhere.>")))

        def reported() -> dict[str, Any]:
            r = httpx.get(f"{bus_platform.url('documents')}/readyz", timeout=5)
            return r.json() if r.status_code == 200 and "bus_config" in r.json()["checks"] else {}

        answer = wait_for(reported, timeout=60, what="the drift in readiness")  # reported, still ready
        assert "republish" in answer["checks"]["bus_config"]
    finally:
        await js.update_stream(dataclasses.replace(original, republish=None))
        await nc.close()
    wait_for(lambda: "bus_config" not in httpx.get(f"{bus_platform.url('documents')}/readyz", timeout=5).json()["checks"],
             timeout=60, what="the report gone once the definition is back")
