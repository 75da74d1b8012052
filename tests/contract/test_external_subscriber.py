"""An external system on plain nats-py, subscribed to one tenant's subjects, gets the
CloudEvents headers and the JSON payload of ``proposal.approved`` (and nothing of others)."""

from __future__ import annotations

import asyncio

import nats
from jalin_e2e import Api
from jalin_kit.events import ProposalApproved
from jalin_kit.testing import eventually

from jalin_cli.platform import Platform


async def test_plain_nats_subscriber_receives_cloudevent(platform: Platform, api: Api) -> None:
    """A plain nats-py client with sumbar's own credential (its external system)."""
    nc = await nats.connect(platform.tenant_url("sumbar"))
    received: list[nats.aio.msg.Msg] = []

    async def on_message(msg: nats.aio.msg.Msg) -> None:
        received.append(msg)

    sub = await nc.subscribe("jalin.sumbar.>", cb=on_message)
    other = Api(platform, tenant="kukar", unit="dishub")
    try:
        proposal = await asyncio.to_thread(api.create)
        await asyncio.to_thread(api.submit, proposal["id"])
        await asyncio.to_thread(api.approve, proposal["id"])
        kukar = await asyncio.to_thread(lambda: other.approved_proposal(partner={"name": "PT Mitra Usaha"}))
        # The checks that sumbar's approval came once and nothing of kukar's leaked wait on a
        # marker, not a sleep: sumbar's next draft is written after both approvals, the
        # proposals relay publishes its outbox oldest first over one connection, and NATS
        # delivers one connection's messages to a subscriber in the order they were sent; so
        # once the marker's drafted event is here, so is anything of the earlier ones.
        marker = await asyncio.to_thread(api.create, title="Usulan penanda")
        await eventually(lambda: any(m.subject == "jalin.sumbar.proposal.drafted" and _pid(m) == marker["id"]
                                     for m in received), what="the marker's proposal.drafted")
    finally:
        await sub.unsubscribe()
        await nc.close()

    approved = [m for m in received if m.subject == "jalin.sumbar.proposal.approved" and _pid(m) == proposal["id"]]
    assert len(approved) == 1
    msg = approved[0]
    h = msg.headers or {}
    assert h["ce-specversion"] == "1.0"
    assert h["ce-type"] == "id.jalin.proposal.approved.v1"
    assert h["ce-source"] == "/jalin/proposals"
    assert h["ce-tenantid"] == "sumbar"
    assert h["ce-subject"] == "jalin.sumbar.proposal.approved"
    assert h["ce-id"] == h["Nats-Msg-Id"]
    assert h["ce-correlationid"] == proposal["id"]
    assert h["content-type"] == "application/json"
    payload = ProposalApproved.model_validate_json(msg.data)
    assert payload.title == "Jalan & Jembatan <Tahap 1>"
    assert payload.partner.tenant == "kukar"
    assert not any(_pid(m) == kukar["id"] for m in received), "another tenant's event leaked"


def _pid(msg: nats.aio.msg.Msg) -> str | None:
    import json

    try:
        return json.loads(msg.data).get("proposal_id")
    except ValueError:
        return None
