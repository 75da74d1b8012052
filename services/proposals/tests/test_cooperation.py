"""The whole lifecycle over the proposals API, in-process on a real database and NATS:
cross-region offers, KB, DPRD, PKS, addenda, ending, expiry, history, other kinds."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from jalin_kit.events import CooperationStep
from jalin_kit.outbox import OutboxMessage
from jalin_proposals.expiry import expire_due

from services.proposals.tests.conftest import Service, StartService, caller, proposal, shared_copies, signing

PROPOSAL = proposal(ksdd_type="wajib", unbudgeted=True)

STAFF = caller("sumbar", "opd_staff", unit="dpupr")
SECTION = caller("sumbar", "kerja_sama")
TKKSD = caller("sumbar", "tkksd")
HEAD = caller("sumbar", "kepala_daerah")
OPD_HEAD = caller("sumbar", "opd_head", unit="dpupr")
DPRD = caller("sumbar", "dprd")
AUDITOR = caller("sumbar", "auditor")
KUKAR_SECTION = caller("kukar", "kerja_sama")
KUKAR_STAFF = caller("kukar", "opd_staff", unit="dishub")
KALTIM = caller("kaltim", "kerja_sama", "tkksd", "sekda", "kepala_daerah", "auditor")


class Api(Service):
    async def create(self, **changes: Any) -> dict[str, Any]:
        r = await self.client.post("/v1/proposals", json={**PROPOSAL, **changes}, headers=STAFF)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def act(self, pid: str, command: str, h: dict[str, str], body: Any = None, expect: int = 200) -> dict[str, Any]:
        r = await self.client.post(f"/v1/proposals/{pid}/actions/{command}", json=body, headers=h)
        assert r.status_code == expect, (command, r.status_code, r.text)
        return r.json()  # type: ignore[no-any-return]

    async def get(self, path: str, h: dict[str, str], expect: int = 200) -> Any:
        r = await self.client.get(path, headers=h)
        assert r.status_code == expect, (path, r.status_code, r.text)
        return r.json()

    async def outbox(self, pid: str, copies: bool = False) -> list[OutboxMessage]:
        """The proposal's events (``copies``: the partner region's copies, instead), oldest first."""
        return await self.outbox_rows(OutboxMessage.correlation_id == pid, shared_copies(copies))


@pytest.fixture
async def api(start_service: StartService) -> Api:
    return await start_service(Api)


async def offered(api: Api, **changes: Any) -> str:
    p = await api.create(**changes)
    await api.act(p["id"], "submit", STAFF)
    approved = await api.act(p["id"], "approve", SECTION, {"note": "Sesuai RPJMD."})
    assert approved["stage"] == "penawaran"
    return p["id"]  # type: ignore[no-any-return]


async def test_ksdd_between_two_tenants_from_offer_to_pelaksanaan_and_end(api: Api) -> None:
    pid = await offered(api)
    # The offer is in kukar's list; a third tenant sees nothing.
    assert [o["id"] for o in await api.get("/v1/offers", KUKAR_SECTION)] == [pid]
    seen = await api.get(f"/v1/proposals/{pid}", KUKAR_SECTION)
    assert (seen["owner"], seen["shared_with"], seen["dprd_required"]) == ("sumbar", "kukar", True)
    assert await api.get(f"/v1/proposals/{pid}", KALTIM, expect=404)
    assert await api.get("/v1/offers", KALTIM) == []

    # Only the partner answers the offer, with a role that may.
    assert "partner region (kukar) answers" in (await api.act(pid, "accept_offer", SECTION, expect=403))["detail"]
    await api.act(pid, "accept_offer", KUKAR_STAFF, expect=404)  # the partner's OPDs do not see it: its section's
    await api.act(pid, "accept_offer", KALTIM, expect=404)
    actions = await api.get(f"/v1/proposals/{pid}/actions", KUKAR_SECTION)
    assert {a["command"] for a in actions} == {"accept_offer", "decline_offer"}
    assert (await api.act(pid, "accept_offer", KUKAR_SECTION, {"note": "Kami terima."}))["stage"] == "penyusunan_kb"

    # The owner drafts and signs the KB; the partner cannot make the owner's steps.
    await api.act(pid, "finalize_kb", KUKAR_SECTION, expect=403)
    await api.act(pid, "finalize_kb", TKKSD)
    await api.act(pid, "sign_kb", OPD_HEAD, signing("KB-1", signed_as="delegate", power_of_attorney="SK-9"), expect=403)
    await api.act(pid, "sign_kb", HEAD, {**signing("KB-1"), "term_months": 12}, expect=422)  # a KB has no term
    after_kb = await api.act(pid, "sign_kb", HEAD, signing("KB-1"))
    assert after_kb["stage"] == "persetujuan_dprd"

    # No PKS before the DPRD's decision.
    await api.act(pid, "finalize_pks", TKKSD, expect=409)
    await api.act(pid, "record_dprd_approval", DPRD, {"decision_number": "12/DPRD/2026"}, expect=422)
    dprd = await api.act(pid, "record_dprd_approval", DPRD,
                         {"decision_number": "12/DPRD/2026", "decision_date": date.today().isoformat()})
    assert (dprd["stage"], dprd["dprd_number"]) == ("penyusunan_pks", "12/DPRD/2026")
    await api.act(pid, "finalize_pks", SECTION)
    await api.act(pid, "sign_pks", OPD_HEAD, signing("PKS-1", signed_as="delegate"), expect=422)  # no power of attorney
    active = await api.act(pid, "sign_pks", OPD_HEAD, signing("PKS-1", signed_as="delegate", power_of_attorney="SK-9"))
    assert (active["stage"], active["status"]) == ("pelaksanaan", "active")
    assert active["term_start"] == date.today().isoformat() and active["term_end"] is not None

    # Both sides see the agreements and the history from the offer on (the owner's internal
    # steps before it stay the owner's); the third tenant nothing.
    steps = ["create", "submit", "approve", "accept_offer", "finalize_kb", "sign_kb", "record_dprd_approval",
             "finalize_pks", "sign_pks"]
    for h, expected in ((SECTION, steps), (AUDITOR, steps), (KUKAR_SECTION, steps[2:])):
        agreements = await api.get(f"/v1/agreements?proposal_id={pid}", h)
        assert [(a["type"], a["number_first"]) for a in agreements] == [("kb", "KB-1"), ("pks", "PKS-1")]
        history = await api.get(f"/v1/proposals/{pid}/history", h)
        assert [e["action"] for e in history] == expected
    assert history[1]["actor_tenant"] == "kukar" and history[1]["stage_from"] == "penawaran"
    assert await api.get(f"/v1/agreements?proposal_id={pid}", KALTIM) == []
    await api.get(f"/v1/proposals/{pid}/history", KALTIM, expect=404)
    pks = agreements[1]
    assert (pks["signed_as"], pks["power_of_attorney"]) == ("delegate", "SK-9")
    await api.get(f"/v1/agreements/{pks['id']}", KALTIM, expect=404)

    # Comments from either side land in the shared history; the auditor only reads.
    r = await api.client.post(f"/v1/proposals/{pid}/comments", json={"text": "Mohon jadwal monev."}, headers=KUKAR_SECTION)
    assert r.status_code == 201, r.text
    assert (await api.client.post(f"/v1/proposals/{pid}/comments", json={"text": "x"}, headers=AUDITOR)).status_code == 403
    await api.act(pid, "terminate", AUDITOR, {"reason": "mutual_agreement", "note": "x y z"}, expect=403)

    # An addendum moves the end of the term, within the maximum; only the owner records it.
    add = {**signing("ADD-1"), "summary": "Perpanjangan ruas jalan.", "new_term_end": "2030-01-01"}
    r = await api.client.post(f"/v1/agreements/{pks['id']}/addenda", json=add, headers=KUKAR_SECTION)
    assert r.status_code == 403
    r = await api.client.post(f"/v1/agreements/{pks['id']}/addenda", json={**add, "new_term_end": "2040-01-01"},
                              headers=SECTION)
    assert r.status_code == 422 and "maximum term" in r.json()["detail"]
    r = await api.client.post(f"/v1/agreements/{pks['id']}/addenda", json=add, headers=SECTION)
    assert r.status_code == 201, r.text
    assert (await api.get(f"/v1/proposals/{pid}", SECTION))["term_end"] == "2030-01-01"

    # Ending: a reason for a third party only is refused for a KSDD; then mutual agreement.
    await api.act(pid, "terminate", SECTION, {"reason": "court_ruling", "note": "Putusan pengadilan."}, expect=422)
    ended = await api.act(pid, "terminate", HEAD, {"reason": "mutual_agreement", "note": "Sepakat diakhiri."})
    assert (ended["stage"], ended["status"], ended["end_reason"]) == ("diakhiri", "terminated", "mutual_agreement")
    statuses = {a["type"]: a["status"] for a in await api.get(f"/v1/agreements?proposal_id={pid}", KUKAR_SECTION)}
    assert statuses == {"kb": "terminated", "pks": "terminated", "addendum": "terminated"}
    await api.act(pid, "complete", SECTION, expect=409)

    # Every step is an event on the owner's subjects, naming the partner when it acted.
    rows = await api.outbox(pid)
    subjects = [r.subject.removeprefix("jalin.sumbar.") for r in rows]
    assert subjects == [
        "proposal.drafted", "proposal.submitted", "proposal.approved", "proposal.offer-accepted", "agreement.kb-finalized",
        "agreement.kb-signed", "agreement.dprd-approved", "agreement.pks-finalized", "agreement.pks-signed",
        "proposal.commented", "agreement.amended", "agreement.terminated",
    ]
    # From the offer on, each is also kukar's, on kukar's subjects (its external systems see them).
    copies = [r.subject for r in await api.outbox(pid, copies=True)]
    assert copies == [f"jalin.kukar.shared.sumbar.{s}" for s in subjects[2:]]
    accepted = json.loads(rows[3].data)
    assert (accepted["actor_tenant"], accepted["stage"], accepted["stage_from"]) == ("kukar", "penyusunan_kb", "penawaran")
    signed = CooperationStep.model_validate_json(rows[8].data)
    assert signed.agreement is not None and signed.agreement.number_first == "PKS-1"
    assert json.loads(rows[-1].data)["end_reason"] == "mutual_agreement"


async def test_partner_declines_and_the_owner_revises(api: Api) -> None:
    pid = await offered(api, unbudgeted=False)
    declined = await api.act(pid, "decline_offer", KUKAR_SECTION, {"reason": "Belum menjadi prioritas."})
    assert (declined["stage"], declined["decision_reason"]) == ("ditolak", "Belum menjadi prioritas.")
    await api.act(pid, "revise", KUKAR_STAFF, expect=404)  # the partner's staff do not even see it
    revised = await api.act(pid, "revise", STAFF)
    assert (revised["stage"], revised["shared_with"]) == ("persiapan", None)
    # A draft again: the partner no longer sees it, nor can touch it, until it is offered again.
    await api.get(f"/v1/proposals/{pid}", KUKAR_SECTION, expect=404)
    r = await api.client.patch(f"/v1/proposals/{pid}", json={"scope": "Lingkup baru."}, headers=KUKAR_STAFF)
    assert r.status_code == 404
    r = await api.client.post(f"/v1/proposals/{pid}/comments", json={"text": "Masih?"}, headers=KUKAR_SECTION)
    assert r.status_code == 404
    assert (await api.client.patch(f"/v1/proposals/{pid}", json={"scope": "Lingkup baru."}, headers=STAFF)).status_code == 200
    history = await api.get(f"/v1/proposals/{pid}/history", SECTION)
    assert [e["action"] for e in history][-3:] == ["decline_offer", "revise", "edit"]
    assert history[-3]["note"] == "Belum menjadi prioritas."
    # Offered again (to a partner outside Jalin this time): kukar sees nothing of it.
    r = await api.client.patch(f"/v1/proposals/{pid}", json={"partner": {"name": "Kota Solok"}}, headers=STAFF)
    assert r.status_code == 200
    await api.act(pid, "submit", STAFF)
    again = await api.act(pid, "approve", SECTION)
    assert again["shared_with"] is None
    await api.get(f"/v1/proposals/{pid}", KUKAR_SECTION, expect=404)
    await api.act(pid, "accept_offer", KUKAR_SECTION, expect=404)
    assert (await api.act(pid, "accept_offer", SECTION))["stage"] == "penyusunan_kb"
    events = [json.loads(r.data) for r in await api.outbox(pid)]
    assert [e.get("shared_with") for e in events][-2:] == [None, None]  # nobody else is told


async def test_a_partner_outside_jalin_is_answered_for_by_the_owners_section(api: Api) -> None:
    pid = await offered(api, unbudgeted=False, partner={"name": "Pemerintah Kota Bukittinggi"})
    assert (await api.get(f"/v1/proposals/{pid}", SECTION))["shared_with"] is None
    assert (await api.act(pid, "accept_offer", SECTION))["stage"] == "penyusunan_kb"
    await api.act(pid, "finalize_kb", SECTION)
    assert (await api.act(pid, "sign_kb", HEAD, signing("KB-2")))["stage"] == "penyusunan_pks"  # no DPRD needed


async def test_running_cooperations_past_their_end_are_closed_once(api: Api) -> None:
    pid = await offered(api, unbudgeted=False, partner={"name": "Kota Bukittinggi"})
    await api.act(pid, "accept_offer", SECTION)
    await api.act(pid, "finalize_kb", SECTION)
    await api.act(pid, "sign_kb", HEAD, signing("KB-3", signed_on="2024-01-10"))
    await api.act(pid, "finalize_pks", SECTION)
    p = await api.act(pid, "sign_pks", HEAD, signing("PKS-3", signed_on="2024-01-15", term_months=12))
    assert (p["term_start"], p["term_end"]) == ("2024-01-15", "2025-01-15")
    await api.act(pid, "expire", SECTION, expect=404)  # only the platform itself: no route
    runtime = api.runtime
    assert await expire_due(runtime.db, runtime.tenants, date(2025, 1, 15)) == 0  # the last day still runs
    assert await expire_due(runtime.db, runtime.tenants, date(2025, 1, 16)) == 1
    assert await expire_due(runtime.db, runtime.tenants, date(2025, 1, 17)) == 0
    done = await api.get(f"/v1/proposals/{pid}", SECTION)
    assert (done["stage"], done["status"], done["end_reason"]) == ("selesai", "completed", "term_expired")
    assert [a["status"] for a in await api.get(f"/v1/agreements?proposal_id={pid}", SECTION)] == ["expired", "expired"]
    last = (await api.get(f"/v1/proposals/{pid}/history", SECTION))[-1]
    assert (last["action"], last["actor"], last["stage_from"]) == ("expire", "jalin", "pelaksanaan")
    assert (await api.outbox(pid))[-1].subject == "jalin.sumbar.agreement.expired"

    # Extension runs the procedure again: a new linked draft.
    r = await api.client.post(f"/v1/proposals/{pid}/extend", headers=STAFF)
    assert r.status_code == 201, r.text
    new = r.json()
    assert (new["extends_id"], new["stage"], new["title"]) == (pid, "persiapan", PROPOSAL["title"])
    assert (await api.client.post(f"/v1/proposals/{new['id']}/extend", headers=STAFF)).status_code == 409


BODIES: dict[str, dict[str, Any]] = {
    "sign": signing("LN-1"),
    "sign_nk": signing("NK-1"),
    "adopt_work_plan": signing("RK-1"),
    "record_dprd_approval": {"decision_number": "3/DPRD", "decision_date": date.today().isoformat()},
}
DOERS = [STAFF, SECTION, HEAD, DPRD, OPD_HEAD]


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("ksdpl", ["submit", "approve", "request_consultation", "record_consultation", "sign_letter_of_intent",
                   "submit_work_plan", "record_dprd_approval", "record_ministry_verification", "record_text_approval",
                   "record_confirmation", "sign"]),
        ("pusat", ["submit", "approve", "finalize_nk", "sign_nk", "adopt_work_plan"]),
        ("ksdpk", ["submit", "approve", "accept_offer", "finalize_kb", "sign_kb", "record_dprd_approval",
                   "finalize_pks", "sign_pks"]),
    ],
)
async def test_other_kinds_follow_their_own_stages(api: Api, kind: str, path: list[str]) -> None:
    extra = {"ksdd_type": None, "unbudgeted": kind == "ksdpk", "partner": {"name": "Mitra"}}
    if kind == "ksdpk":
        extra["ksdpk_kind"] = "investment"
    p = await api.create(kind=kind, **extra)
    assert p["stage"] == ("prakarsa" if kind == "ksdpl" else "persiapan")
    pid = p["id"]
    for command in path:
        offered_now = {a["command"]: a for a in await api.get(f"/v1/proposals/{pid}/actions", SECTION)}
        offered_now |= {a["command"]: a for a in await api.get(f"/v1/proposals/{pid}/actions", STAFF)}
        offered_now |= {a["command"]: a for a in await api.get(f"/v1/proposals/{pid}/actions", HEAD)}
        offered_now |= {a["command"]: a for a in await api.get(f"/v1/proposals/{pid}/actions", DPRD)}
        assert command in offered_now, (command, sorted(offered_now))
        takes = offered_now[command]["body"]
        signs = takes in ("SignRequest", "PksSignRequest", "WorkPlanRequest")
        body = BODIES.get(command) or (signing(f"{command}-1") if signs else None)
        doer = next(h for h in DOERS if offered_now[command]["roles"] and _holds(h, offered_now[command]["roles"]))
        await api.act(pid, command, doer, body)
    running = await api.get(f"/v1/proposals/{pid}", SECTION)
    assert running["stage"] == "pelaksanaan"
    # Its extension copies the kind and what goes with it.
    r = await api.client.post(f"/v1/proposals/{pid}/extend", headers=SECTION)
    assert r.status_code == 201, r.text
    keep = ("kind", "ksdd_type", "initiator", "ksdpk_kind", "unbudgeted", "term_months")
    assert {k: r.json()[k] for k in keep} == {k: running[k] for k in keep}


def _holds(h: dict[str, str], roles: list[str]) -> bool:
    return any(h is {"opd_staff": STAFF, "kerja_sama": SECTION, "kepala_daerah": HEAD, "dprd": DPRD,
                     "opd_head": OPD_HEAD}.get(r) for r in roles)


async def test_history_exports_as_csv(api: Api) -> None:
    pid = await offered(api)
    r = await api.client.get(f"/v1/proposals/{pid}/history", params={"format": "csv"}, headers=AUDITOR)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["action"], row["stage_to"]) for row in rows] == [
        ("create", "persiapan"), ("submit", "penilaian"), ("approve", "penawaran")
    ]
    assert rows[2]["actor"] == "sumbar-kerja_sama" and rows[2]["note"] == "Sesuai RPJMD."


async def test_kind_fields_are_checked_and_never_set_by_the_client(api: Api) -> None:
    r = await api.client.post("/v1/proposals", json={**PROPOSAL, "ksdpk_kind": "investment"}, headers=STAFF)
    assert r.status_code == 422 and "KSDPK only" in r.text
    for field, value in (("stage", "pelaksanaan"), ("shared_with", "kaltim"), ("dprd_number", "1"), ("owner", "x")):
        r = await api.client.post("/v1/proposals", json={**PROPOSAL, field: value}, headers=STAFF)
        assert r.status_code == 422, field
    p = await api.create()
    r = await api.client.post(f"/v1/proposals/{p['id']}/actions/submit", json={"stage": "pelaksanaan"}, headers=STAFF)
    assert r.status_code == 422
    r = await api.client.post(f"/v1/proposals/{p['id']}/actions/teleport", headers=STAFF)
    assert r.status_code == 404 and "no lifecycle command 'teleport'" in r.json()["detail"]
    r = await api.client.post(f"/v1/proposals/{p['id']}/actions/approve", headers=STAFF)
    assert r.status_code == 409 and "possible: submit" in r.json()["detail"]


async def test_a_rejection_after_the_kb_voids_it_and_a_new_round_starts_clean(api: Api) -> None:
    pid = await offered(api)
    await api.act(pid, "accept_offer", KUKAR_SECTION)
    await api.act(pid, "finalize_kb", SECTION)
    await api.act(pid, "sign_kb", HEAD, signing("KB-9"))
    await api.act(pid, "record_dprd_approval", DPRD, {"decision_number": "1/DPRD", "decision_date": date.today().isoformat()})
    rejected = await api.act(pid, "reject", caller("sumbar", "sekda"), {"reason": "Anggaran dialihkan."})
    assert rejected["stage"] == "ditolak"
    assert [a["status"] for a in await api.get(f"/v1/agreements?proposal_id={pid}", SECTION)] == ["voided"]
    revised = await api.act(pid, "revise", STAFF)
    assert (revised["dprd_number"], revised["dprd_date"]) == (None, None)  # the next round needs its own decision
    assert await api.get(f"/v1/agreements?proposal_id={pid}", KUKAR_SECTION) == []


async def test_signing_and_addenda_refuse_implausible_terms(api: Api) -> None:
    pid = await offered(api, unbudgeted=False, partner={"name": "Kota Solok"})
    await api.act(pid, "accept_offer", SECTION)
    await api.act(pid, "finalize_kb", SECTION)
    await api.act(pid, "sign_kb", HEAD, signing("KB-5"))
    await api.act(pid, "finalize_pks", SECTION)
    for start in ("9999-06-01", "2090-06-01"):
        r = await api.act(pid, "sign_pks", HEAD, signing("PKS-5", term_start=start), expect=422)
        assert "within a year of signed_on" in r["errors"][0]["message"]
    await api.act(pid, "sign_pks", HEAD, signing("PKS-5"))
    pks = (await api.get(f"/v1/agreements?proposal_id={pid}&type=pks", SECTION))[0]
    add = {**signing("ADD-5"), "summary": "Ubah lampiran.", "term_months": 12}
    r = await api.client.post(f"/v1/agreements/{pks['id']}/addenda", json=add, headers=SECTION)
    assert r.status_code == 422 and "new_term_end" in r.text


async def test_history_csv_cells_never_start_a_formula(api: Api) -> None:
    pid = await offered(api)
    r = await api.client.post(f"/v1/proposals/{pid}/comments", json={"text": '=HYPERLINK("http://x","klik")'},
                              headers=KUKAR_SECTION)
    assert r.status_code == 201
    r = await api.client.get(f"/v1/proposals/{pid}/history", params={"format": "csv"}, headers=SECTION)
    note = list(csv.DictReader(io.StringIO(r.text)))[-1]["note"]
    assert note == """'=HYPERLINK("http://x","klik")"""


async def test_a_region_changing_its_options_does_not_strand_running_procedures(api: Api) -> None:
    pid = await offered(api, unbudgeted=False, partner={"name": "Kota Solok"})
    directory = api.runtime.tenants._tenants  # the tenant directory file, edited by the region
    directory["sumbar"] = directory["sumbar"].model_copy(update={"offer_stage": False})
    try:
        assert (await api.act(pid, "accept_offer", SECTION))["stage"] == "penyusunan_kb"  # its own path
        p = await api.create(unbudgeted=False, partner={"name": "Kota Solok"})
        await api.act(p["id"], "submit", STAFF)
        assert (await api.act(p["id"], "approve", SECTION))["stage"] == "penyusunan_kb"  # the new options
    finally:
        directory["sumbar"] = directory["sumbar"].model_copy(update={"offer_stage": True})
