"""(c) the same event published twice with the same id: one effect.
(d) a poison message: delivered max_deliver times, then in the dead-letter store,
and the messages behind it are processed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import date

import nats
from jalin_e2e import Api
from jalin_kit.db import utcnow
from jalin_kit.events import CloudEvent, Party, ProposalApproved
from jalin_kit.testing import eventually

from jalin_cli.platform import Platform

MAX_DELIVER = 5  # the services' default (JALIN_MAX_DELIVER)


def approved_event(pid: str) -> ProposalApproved:
    return ProposalApproved(
        proposal_id=pid, tenant="sumbar", title=f"Usulan {pid[:8]}", kind="ksdd",
        proposer=Party(name="Pemerintah Provinsi Sumatera Barat", tenant="sumbar"), proposer_unit="dinkes",
        partner=Party(name="Mitra"), objective="Tujuan", scope="Lingkup", term_months=12,
        financing="APBD", actor="test", occurred_at=utcnow(),
        term_start=date(2026, 12, 1), term_end=date(2027, 12, 1),
    )


def headers_for(event_id: str, msg_id: str | None = None) -> dict[str, str]:
    h = CloudEvent(
        id=event_id, source="/jalin/proposals", type=ProposalApproved.ce_type(),  # as the bus admin, in its name
        subject="jalin.sumbar.proposal.approved", tenant_id="sumbar", correlation_id=event_id,
    ).headers()
    if msg_id:
        h["Nats-Msg-Id"] = msg_id
    return h


async def test_same_event_twice_has_one_effect(shared_platform: Platform) -> None:
    api = Api(shared_platform)
    pid, marker = str(uuid.uuid4()), str(uuid.uuid4())
    event_id = str(uuid.uuid4())
    data = approved_event(pid).model_dump_json().encode()
    nc = await nats.connect(shared_platform.unrestricted_url)  # past the bus, to test the consumers
    js = nc.jetstream()
    try:
        first = await js.publish("jalin.sumbar.proposal.approved", data, headers=headers_for(event_id))
        again = await js.publish("jalin.sumbar.proposal.approved", data, headers=headers_for(event_id))
        assert again.duplicate and again.seq == first.seq  # the stream's duplicate window
        # Past the stream's dedup (another Nats-Msg-Id, same ce-id): the inbox must catch it.
        bypass = await js.publish(
            "jalin.sumbar.proposal.approved", data, headers=headers_for(event_id, msg_id=str(uuid.uuid4()))
        )
        assert not bypass.duplicate
        await js.publish(
            "jalin.sumbar.proposal.approved", approved_event(marker).model_dump_json().encode(),
            headers=headers_for(str(uuid.uuid4())),
        )
    finally:
        await nc.close()

    # The marker went in last: each service's durable delivers in stream order, so once the
    # marker's effects exist (documents', evaluation's and notifications' consumers), each has
    # handled both copies before it.
    await eventually(lambda: api.documents(marker) and api.plans(marker)
                     and len(api.inbox(marker)) >= 1, what="the marker's effects")
    assert len(api.documents(pid)) == 1
    assert len(api.plans(pid)) == 1
    kinds = [m["kind"] for m in api.inbox(pid)]
    assert kinds.count("proposal.approved") == 1


async def test_poison_message_is_dead_lettered_and_the_rest_flows(shared_platform: Platform) -> None:
    api = Api(shared_platform)
    poison_id = str(uuid.uuid4())
    good = str(uuid.uuid4())
    nc = await nats.connect(shared_platform.unrestricted_url)  # past the bus, to test the consumers
    js = nc.jetstream()
    try:
        await js.publish(
            "jalin.sumbar.proposal.approved",
            json.dumps({"proposal_id": "x", "tenant": "sumbar", "term_months": "lots"}).encode(),
            headers=headers_for(poison_id),
        )
        await js.publish(
            "jalin.sumbar.proposal.approved", approved_event(good).model_dump_json().encode(),
            headers=headers_for(str(uuid.uuid4())),
        )
    finally:
        await nc.close()

    # The message behind the poison is processed without waiting for it.
    await eventually(lambda: api.documents(good) and api.plans(good), what="the good event's effects")

    admin = Api(shared_platform, tenant="platform").headers("platform_admin", unit=None)

    def dead_letters(service: str) -> list[dict[str, object]]:
        rows = api.get(service, "/v1/admin/dead-letters", headers=admin).json()
        return [r for r in rows if r["event_id"] == poison_id]

    for service in ("documents", "evaluation", "notifications"):
        rows = await eventually(lambda s=service: dead_letters(s), within=60, what=f"{service} dead letter")
        assert len(rows) == 1
        assert rows[0]["deliveries"] == MAX_DELIVER
        assert "term_months" in str(rows[0]["error"])
        assert "lots" not in str(rows[0]["error"])  # where it failed, never the payload's values

    # Operators see it with the jalin command, and a replay of a poison fails again, saying why.
    env = {**os.environ, "JALIN_JWT_SECRET": shared_platform.config.jwt_secret}
    port = str(shared_platform.services["documents"].port)
    listed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "jalin_cli", "dead-letters", "list", "--service", "documents", "--documents-port", port],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    row = next(json.loads(line) for line in listed.stdout.splitlines() if poison_id in line)
    replay = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "jalin_cli", "dead-letters", "replay", "--service", "documents",
         "--id", str(row["id"]), "--documents-port", port],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert replay.returncode == 1
    assert "failed again" in replay.stdout and "term_months" in replay.stdout and "lots" not in replay.stdout
