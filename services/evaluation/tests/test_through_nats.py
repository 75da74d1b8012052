"""End to end: the service in-process (its lifespan: migrations, consumers, due scanner),
events through a real NATS, the plan read over its HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import nats
from jalin_evaluation.app import build
from jalin_evaluation.models import LifecycleEvent
from jalin_evaluation.scanner import fire_due
from jalin_evaluation.settings import EvaluationSettings
from jalin_kit.auth import issue_dev_token
from jalin_kit.events import (
    EvaluationDue,
    IntegrationEvent,
    ensure_stream,
)
from jalin_kit.outbox import OutboxMessage
from jalin_kit.testing import eventually
from sqlmodel import select

from services.evaluation.tests.conftest import (
    agreement,
    approved,
    at,
    envelope_for,
    step,
)

SECRET = "test-secret-for-the-evaluation-service-0123456789"


async def test_through_nats_the_plan_follows_the_agreement_and_closes_for_good(
    database_url: str, nats_url: str, tmp_path: Any
) -> None:
    today = date(2027, 6, 1)
    settings = EvaluationSettings(
        database_url=database_url, nats_url=nats_url, jwt_secret=SECRET, data_dir=tmp_path,
        environment="test", log_json=False, log_level="WARNING", today=today, scan_interval_seconds=0.2,
    )
    app = build(settings)  # migrations to head, consumers, due scanner (pretending today is 1 June 2027)
    pid = str(uuid.uuid4())
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js)

    async def publish(event: IntegrationEvent, event_id: str | None = None, msg_id: str | None = None) -> int:
        envelope = envelope_for(event, event_id)
        headers = envelope.headers()
        if msg_id is not None:  # the same event again, past JetStream's duplicate window
            headers["Nats-Msg-Id"] = msg_id
        return (await js.publish(envelope.subject, event.model_dump_json().encode(), headers=headers)).seq

    try:
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime
            token = issue_dev_token(SECRET, tenant="sumbar", roles=["kerja_sama"], user="sumbar-ks")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {token}"}
            ) as client:

                async def plan(status: str) -> dict[str, Any] | None:
                    r = await client.get("/v1/plans", params={"proposal_id": pid, "status": status})
                    assert r.status_code == 200, r.text
                    return r.json()[0] if r.json() else None

                await publish(approved(pid, today, date(2029, 6, 1), when=at(0)))
                provisional = await eventually(lambda: plan("provisional"), what="a provisional plan")
                assert provisional["term_end"] == "2029-06-01"

                term = (date(2027, 5, 1), today + timedelta(days=90))  # the 90-day reminder is due today
                signing = step("pks-signed", pid, at(180), agreement=agreement(*term))
                sign_id = str(uuid.uuid4())
                await publish(signing, event_id=sign_id)

                async def fired_90() -> dict[str, Any] | None:
                    p = await plan("active")
                    return p if p and any(r["fired_at"] for r in p["reminders"]) else None

                active = await eventually(fired_90, what="the plan follows the PKS and its 90-day reminder fires")
                assert (active["id"], active["term_start"], active["term_end"]) == (
                    provisional["id"], "2027-05-01", term[1].isoformat()
                )
                assert [(r["days_before_end"], r["fired_at"] is not None) for r in active["reminders"]] == [
                    (90, True), (60, False), (30, False), (7, False), (0, False)
                ]

                # The signing again (same ce-id, new Nats-Msg-Id): acked, skipped by the inbox.
                seq = await publish(signing, event_id=sign_id, msg_id=str(uuid.uuid4()))

                async def drained() -> bool:
                    info = await js.consumer_info("JALIN", "evaluation-agreement-pks-signed")
                    return info.delivered.stream_seq >= seq and not info.num_pending and not info.num_ack_pending

                await eventually(drained, what="the duplicate delivered and acked")
                async with runtime.db.system_session() as s:
                    kinds = (await s.exec(select(LifecycleEvent.event_type).where(LifecycleEvent.proposal_id == pid))).all()
                assert sorted(kinds) == ["agreement.pks-signed", "proposal.approved"]

                await publish(step("terminated", pid, at(190), end_reason="mutual_agreement", note="Para pihak sepakat."))
                closed = await eventually(lambda: plan("closed"), what="the plan closed")
                assert (closed["closed_reason"], closed["closed_note"]) == ("mutual_agreement", "Para pihak sepakat.")
                assert [(r["days_before_end"], r["fired_at"] is not None, r["cancelled_at"] is not None)
                        for r in closed["reminders"]] == [
                    (90, True, False), (60, False, True), (30, False, True), (7, False, True), (0, False, True)
                ]
                assert await plan("active") is None

                # Whatever day it becomes, the cancelled reminders never fire (other tests' plans in
                # the shared stream may: only this cooperation's reminders are counted).
                await fire_due(runtime.db, date(2030, 1, 1))
                async with runtime.db.system_session() as s:
                    due = (await s.exec(select(OutboxMessage).where(OutboxMessage.correlation_id == pid))).all()
                assert [EvaluationDue.model_validate_json(r.data).days_before_end for r in due] == [90]
    finally:
        await nc.close()
