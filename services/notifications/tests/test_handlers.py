"""The handlers on a real database and a real NATS: events published to JetStream become
inbox messages (read through the inbox API) and queued emails, in the owner's tenant and,
for a partner region on Jalin, in the partner's tenant; once per event.

The first tests drive the whole service (its lifespan: migrations, consumers on NATS, the
HTTP API through httpx's ASGI transport); the last ones run events through the consumer
pipeline (``consumers.process``: inbox, handler, one transaction) and look at the rows.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from jalin_kit.events import STEP_EVENTS, MappingReminderDue, Party, ProposalRejected
from jalin_kit.inbox import ProcessedEvent
from jalin_kit.tenants import UnknownTenant
from jalin_kit.testing import eventually
from jalin_notifications.handlers import build_consumers
from jalin_notifications.models import Email, Message
from sqlmodel import select

from services.notifications.tests.conftest import (
    KALTIM_ALL,
    KB,
    KUKAR,
    KUKAR_EVERYONE,
    KUKAR_SECTION,
    SUMBAR,
    SUMBAR_DPUPR,
    SUMBAR_SECTION,
    Pipeline,
    Service,
    approved,
    auth,
    reminder,
    snapshot,
    step,
)

# -- through NATS and the inbox API ----------------------------------------------------------


async def test_the_offer_reaches_the_partner_regions_inbox_and_no_third_tenant(service: Service) -> None:
    pid = str(uuid.uuid4())
    event = approved(pid)
    await service.publish(event)

    [offer] = await eventually(lambda: service.inbox(KUKAR_SECTION, proposal_id=pid), what="the offer in kukar's inbox")
    assert (offer["recipient_type"], offer["recipient"], offer["kind"]) == ("role", "kerja_sama", "proposal.offer")
    assert offer["title"] == f"Penawaran kerja sama dari {SUMBAR.name}: {event.title}"
    assert offer["body"].startswith(f"Yth. {KUKAR.cooperation_section},")
    assert "menerima atau menolaknya melalui Jalin" in offer["body"]
    english = (await service.client.get(f"/v1/inbox/{offer['id']}", headers=KUKAR_SECTION, params={"lang": "en"})).json()
    assert english["title"] == f"Cooperation offer from {SUMBAR.name}: {event.title}"
    assert "Please accept or decline the offer in Jalin" in english["body"]

    # The owner's own notices stay in the owner's tenant.
    owner_section = await eventually(lambda: service.inbox(SUMBAR_SECTION, proposal_id=pid), what="sumbar's notice")
    assert [m["kind"] for m in owner_section] == ["proposal.approved"]
    assert [m["kind"] for m in await service.inbox(SUMBAR_DPUPR, proposal_id=pid)] == ["proposal.approved"]
    # The partner's other roles (no kerja_sama) and a third tenant see nothing.
    assert await service.inbox(KUKAR_EVERYONE, proposal_id=pid) == []
    assert await service.inbox(KALTIM_ALL, proposal_id=pid) == []
    assert await service.inbox(KALTIM_ALL) == []
    for headers in (KALTIM_ALL, SUMBAR_SECTION):
        assert (await service.client.get(f"/v1/inbox/{offer['id']}", headers=headers)).status_code == 404
        assert (await service.client.post(f"/v1/inbox/{offer['id']}/read", headers=headers)).status_code == 404

    # Stored under the partner's tenant, mailed to the partner's domain.
    [row] = await service.rows(Message, id=offer["id"])
    assert row.tenant_id == "kukar"
    [email] = await service.rows(Email, message_id=offer["id"])
    assert (email.tenant_id, email.to_addr) == ("kukar", "kerjasama@kukarkab.example.id")
    assert email.subject == f"[Jalin] {offer['title']}" and "[English]" in email.body
    owner_mails = {e.to_addr for e in await service.rows(Email, tenant_id="sumbar")
                   if e.message_id in {m["id"] for m in owner_section}}
    assert owner_mails == {"kerjasama@sumbarprov.example.id"}

    read = await service.client.post(f"/v1/inbox/{offer['id']}/read", headers=KUKAR_SECTION)
    assert read.status_code == 200 and read.json()["read_at"] is not None


async def test_lifecycle_steps_reach_both_regions_and_internal_ones_only_the_owner(service: Service) -> None:
    pid = str(uuid.uuid4())
    await service.publish(
        step("proposal", "offer-accepted", pid, actor_tenant="kukar", actor="kukar-ks", stage_from="penawaran",
             stage="penyusunan_kb")
    )
    await service.publish(
        step("agreement", "kb-signed", pid, agreement=KB, stage_from="penandatanganan_kb", stage="penyusunan_pks")
    )
    await service.publish(step("proposal", "revised", pid, stage_from="ditolak", stage="persiapan"))
    await service.publish(
        step("agreement", "terminated", pid, end_reason="mutual_agreement", stage_from="pelaksanaan", stage="diakhiri")
    )

    owner_kinds = {"proposal.offer-accepted", "agreement.kb-signed", "proposal.revised", "agreement.terminated"}

    async def unit_has_all() -> list[dict[str, Any]]:
        got = await service.inbox(SUMBAR_DPUPR, proposal_id=pid)
        return got if {m["kind"] for m in got} == owner_kinds else []

    unit = await eventually(unit_has_all, what="four notices for the proposing unit")
    assert len(unit) == 4
    assert {m["kind"] for m in await service.inbox(SUMBAR_SECTION, proposal_id=pid)} == owner_kinds
    partner = await service.inbox(KUKAR_SECTION, proposal_id=pid)
    assert {m["kind"] for m in partner} == owner_kinds - {"proposal.revised"}  # internal to the owner
    by_kind = {m["kind"]: m for m in partner}
    assert "dengan nomor 120/45/KB/2026 dan nomor 415.4/12/KSD/2026, di Padang pada tanggal 10 Januari 2027" in (
        by_kind["agreement.kb-signed"]["body"]
    )
    assert "(dicatat di Jalin oleh Pemerintah Kabupaten Kutai Kartanegara)" in by_kind["proposal.offer-accepted"]["body"]
    assert "dengan alasan: kesepakatan para pihak" in by_kind["agreement.terminated"]["body"]
    english = {m["kind"]: m for m in await service.inbox(KUKAR_SECTION, lang="en", proposal_id=pid)}
    assert english["agreement.terminated"]["title"].startswith("Cooperation terminated: ")
    assert "Reason: the parties agreed to end it." in english["agreement.terminated"]["body"]
    assert await service.inbox(KALTIM_ALL, proposal_id=pid) == []


async def test_mapping_reminder_reaches_each_missing_unit_and_the_section(service: Service) -> None:
    title = f"Pemetaan Potensi {uuid.uuid4().hex[:6]}"
    await service.publish(reminder(title, ["dinkes", "dispar"]))

    async def mine(headers: dict[str, str]) -> list[dict[str, Any]]:
        return [m for m in await service.inbox(headers) if title in m["title"]]

    dinkes = auth("sumbar", "opd_staff", unit="dinkes")
    [notice] = await eventually(lambda: mine(dinkes), what="the reminder to dinkes")
    assert notice["kind"] == "mapping.reminder-due" and notice["proposal_id"] is None
    assert f'Batas waktu pemetaan potensi kerja sama "{title}" tinggal 7 hari lagi' in notice["body"]
    assert len(await mine(auth("sumbar", "opd_staff", unit="dispar"))) == 1
    assert await mine(SUMBAR_DPUPR) == []  # it submitted: no reminder
    [summary] = await mine(SUMBAR_SECTION)
    assert "1. Dinas Kesehatan\n2. Dinas Pariwisata" in summary["body"]
    assert await mine(auth("kukar", "kerja_sama", "opd_staff", unit="dinkes")) == []


async def test_an_event_delivered_again_is_notified_once_in_each_region(service: Service) -> None:
    pid, marker = str(uuid.uuid4()), str(uuid.uuid4())
    event = approved(pid)
    event_id = await service.publish(event)
    await service.publish(event, event_id=event_id)  # the stream's duplicate window drops it
    await service.publish(event, event_id=event_id, msg_id=str(uuid.uuid4()))  # past it: the inbox must
    await service.publish(approved(marker))
    # The marker went in last on the same consumer: once it is there, the duplicates were handled.
    await eventually(lambda: service.inbox(KUKAR_SECTION, proposal_id=marker), what="the marker's offer")
    assert len(await service.inbox(KUKAR_SECTION, proposal_id=pid)) == 1
    assert len(await service.inbox(SUMBAR_SECTION, proposal_id=pid)) == 1
    assert len(await service.inbox(SUMBAR_DPUPR, proposal_id=pid)) == 1
    assert len(await service.rows(Message, source_event_id=event_id)) == 3
    assert len(await service.rows(ProcessedEvent, event_id=event_id)) == 1


# -- through the consumer pipeline -------------------------------------------------------------

# -- through the consumer pipeline -------------------------------------------------------------


def test_every_step_event_and_the_mapping_reminder_have_a_consumer() -> None:
    for cls in [*STEP_EVENTS.values(), MappingReminderDue]:
        reg = build_consumers().registrations[f"notifications-{cls.aggregate}-{cls.event}"]
        assert reg.event_cls is cls and reg.description


async def test_each_tenants_rows_carry_its_tenant_and_its_own_mail_domain(pipeline: Pipeline) -> None:
    assert await pipeline.process(approved("p-1")) is True
    assert await pipeline.process(step("agreement", "pks-signed", "p-1", agreement=KB.model_copy(update={"type": "pks"}))) is True
    messages = await pipeline.messages()
    assert sorted((m.tenant_id, m.recipient, m.kind) for m in messages) == [
        ("kukar", "kerja_sama", "agreement.pks-signed"),
        ("kukar", "kerja_sama", "proposal.offer"),
        ("sumbar", "dpupr", "agreement.pks-signed"),
        ("sumbar", "dpupr", "proposal.approved"),
        ("sumbar", "kerja_sama", "agreement.pks-signed"),
        ("sumbar", "kerja_sama", "proposal.approved"),
    ]
    tenant_of = {m.id: m.tenant_id for m in messages}
    domain = {"sumbar": "@sumbarprov.example.id", "kukar": "@kukarkab.example.id"}
    for email in await pipeline.emails():
        assert email.tenant_id == tenant_of[email.message_id]
        assert email.to_addr.endswith(domain[email.tenant_id])
    async with pipeline.db.tenant_session("kukar") as s:  # the partner's own session reads them
        assert {m.kind for m in (await s.exec(select(Message))).all()} == {"proposal.offer", "agreement.pks-signed"}


@pytest.mark.parametrize(
    "partner",
    [
        Party(name="Pemerintah Kota Bukittinggi"),  # not on Jalin
        Party(name=SUMBAR.name, tenant="sumbar"),  # the owner itself
    ],
)
async def test_a_partner_that_is_not_another_tenant_gets_nothing(pipeline: Pipeline, partner: Party) -> None:
    await pipeline.process(approved("p-1", partner=partner, shared_with=partner.tenant))
    await pipeline.process(step("agreement", "kb-signed", "p-1", partner=partner, shared_with=partner.tenant, agreement=KB))
    assert {m.tenant_id for m in await pipeline.messages()} == {"sumbar"}
    assert len(await pipeline.messages()) == 4


async def test_a_partner_this_copy_of_the_registry_does_not_know_yet_is_waited_for(pipeline: Pipeline) -> None:
    """The owner shares only with a region of its registry: one missing from this service's
    copy means the copy lags, and the event is retried (here: raised), never half-delivered."""
    partner = Party(name="Pemerintah Kota Bukittinggi", tenant="bukittinggi")
    with pytest.raises(UnknownTenant, match="bukittinggi"):
        await pipeline.process(approved("p-1", partner=partner, shared_with="bukittinggi"))
    assert await pipeline.messages() == []


async def test_a_partner_named_but_not_shared_with_hears_nothing(pipeline: Pipeline) -> None:
    """A draft names kukar long before the offer; an imported agreement never shares it."""
    await pipeline.process(step("proposal", "commented", "p-1", stage="persiapan", stage_from="persiapan",
                                note="Anggaran internal, jangan dibagikan.", shared_with=None))
    await pipeline.process(step("agreement", "imported", "p-1", shared_with=None, agreement=KB))
    assert {m.tenant_id for m in await pipeline.messages()} == {"sumbar"}
    assert len(await pipeline.messages()) == 4


async def test_processing_the_same_event_again_adds_nothing_in_either_tenant(pipeline: Pipeline) -> None:
    offer, accepted = approved("p-1"), step("proposal", "offer-accepted", "p-1", actor_tenant="kukar")
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    assert await pipeline.process(offer, ids[0]) is True
    assert await pipeline.process(accepted, ids[1]) is True
    before = (len(await pipeline.messages()), len(await pipeline.emails()))
    assert before == (6, 6)
    assert await pipeline.process(offer, ids[0]) is False
    assert await pipeline.process(accepted, ids[1]) is False
    assert (len(await pipeline.messages()), len(await pipeline.emails())) == before


async def test_a_long_title_is_clipped_to_fit_the_columns(pipeline: Pipeline) -> None:
    title = ("Pembangunan " + "jalan penghubung antarwilayah " * 7)[:200]  # the longest a proposal may have
    await pipeline.process(approved("p-1", title=title))
    [offer] = [m for m in await pipeline.messages() if m.kind == "proposal.offer"]
    assert len(offer.title_id) <= 255 and offer.title_id.endswith("…")
    assert offer.title_id.startswith(f"Penawaran kerja sama dari {SUMBAR.name}: Pembangunan jalan")
    assert len(offer.title_en) <= 255
    assert all(len(e.subject) <= 255 for e in await pipeline.emails())


async def test_a_rejection_after_the_offer_reaches_the_partner_and_before_it_does_not(pipeline: Pipeline) -> None:
    rejected = ProposalRejected(**snapshot("p-1", stage="ditolak"), reason="Anggaran dialihkan.", stage_from="penyusunan_kb")
    await pipeline.process(rejected)
    early = ProposalRejected(**snapshot("p-2", stage="ditolak", shared_with=None), reason="Belum lengkap.",
                             stage_from="penilaian")
    await pipeline.process(early)
    partner = [m for m in await pipeline.messages() if m.tenant_id == "kukar"]
    assert [(m.proposal_id, m.recipient) for m in partner] == [("p-1", "kerja_sama")]
    assert "Anggaran dialihkan." in partner[0].body_id and "tidak melanjutkan" in partner[0].body_id
