"""The proposals HTTP API in-process, on a real database and a real NATS.

Each test builds the app, runs its lifespan (migrations, NATS, outbox relay) and talks to
it through httpx's ASGI transport.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from jalin_kit.auth import issue_dev_token
from jalin_kit.events import REGISTRY_TENANT, ProposalApproved, ProposalRejected, ProposalSubmitted
from jalin_kit.outbox import OutboxMessage
from jalin_proposals.app import build
from jalin_proposals.models import Proposal
from jalin_proposals.settings import ProposalsSettings

from services.proposals.tests.conftest import (
    SECRET,
    Service,
    StartService,
    bearer,
    caller,
    errors_by_field,
    proposal,
    shared_copies,
)

APPROVED_TYPE = "id.jalin.proposal.approved.v1"
DRAFTED_TYPE = "id.jalin.proposal.drafted.v1"

PROPOSAL = proposal(title="Jalan & Jembatan <Tahap 1>")

auth = bearer
STAFF = caller("sumbar", "opd_staff", unit="dpupr")
SECTION = caller("sumbar", "kerja_sama")
OTHER_STAFF = caller("kukar", "opd_staff", unit="dinkes")
OTHER_SECTION = caller("kukar", "kerja_sama")


class Api(Service):
    async def create(self, **changes: Any) -> dict[str, Any]:
        r = await self.client.post("/v1/proposals", json={**PROPOSAL, **changes}, headers=STAFF)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def submitted(self, **changes: Any) -> dict[str, Any]:
        p = await self.create(**changes)
        r = await self.client.post(f"/v1/proposals/{p['id']}/submit", headers=STAFF)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def rejected(self) -> dict[str, Any]:
        p = await self.submitted()
        r = await self.client.post(
            f"/v1/proposals/{p['id']}/reject", json={"reason": "Ruang lingkup belum jelas."}, headers=SECTION
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def outbox(self, ce_type: str | None = None, copies: bool = False) -> list[OutboxMessage]:
        """The regions' events (``copies``: the partner region's copies of shared ones, instead);
        without a type, the steps (that a draft exists, proposal.drafted, is asked for by its type)."""
        kind = OutboxMessage.type == ce_type if ce_type else OutboxMessage.type != DRAFTED_TYPE
        return await self.outbox_rows(shared_copies(copies), kind, OutboxMessage.tenant_id != REGISTRY_TENANT)

    async def stored(self, proposal_id: str) -> Proposal:
        [row] = await self.rows(Proposal, Proposal.id == proposal_id)
        return row  # type: ignore[no-any-return]


@pytest.fixture
async def api(start_service: StartService) -> Api:
    return await start_service(Api)


# -- create -------------------------------------------------------------------------------


async def test_create_returns_201_draft_with_unit_and_creator_from_token(api: Api) -> None:
    r = await api.client.post("/v1/proposals", json=PROPOSAL, headers=STAFF)
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "draft"
    assert body["title"] == "Jalan & Jembatan <Tahap 1>"
    assert body["unit"] == "dpupr"
    assert body["created_by"] == "sumbar-opd_staff"
    assert body["partner"] == {"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"}
    assert body["term_start"] is None and body["decided_by"] is None
    assert "tenant_id" not in body
    assert (await api.stored(body["id"])).tenant_id == "sumbar"
    got = await api.client.get(f"/v1/proposals/{body['id']}", headers=STAFF)
    assert got.status_code == 200 and got.json() == {**body, "editable": True}  # one's own draft: editable
    assert body["editable"] is None  # said on GET /v1/proposals/{id} only
    assert (await api.client.get(f"/v1/proposals/{body['id']}", headers=SECTION)).json()["editable"] is False  # no edit role
    assert await api.outbox() == []  # a draft publishes no step, only that it exists, with its unit:
    [drafted] = await api.outbox(DRAFTED_TYPE)
    assert (drafted.subject, json.loads(drafted.data)["proposer_unit"]) == ("jalin.sumbar.proposal.drafted", "dpupr")


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in PROPOSAL.items() if k != key}


# (case, payload, field named in the error, words the message must contain)
BAD_CREATES: list[tuple[str, dict[str, Any], str, str]] = [
    ("missing title", without("title"), "title", "Field required"),
    ("blank title", {**PROPOSAL, "title": "   "}, "title", "must not be blank"),
    ("short title", {**PROPOSAL, "title": "ab"}, "title", "at least 3 characters"),
    ("padded title", {**PROPOSAL, "title": " Jalan"}, "title", "must not begin or end with whitespace"),
    ("term over five years", {**PROPOSAL, "term_months": 61}, "term_months", "less than or equal to 60"),
    ("zero term", {**PROPOSAL, "term_months": 0}, "term_months", "greater than or equal to 1"),
    ("negative term", {**PROPOSAL, "term_months": -5}, "term_months", "greater than or equal to 1"),
    ("unknown kind", {**PROPOSAL, "kind": "treaty"}, "kind", "'ksdd', 'ksdpk', 'ksdpl', 'ksdll' or 'pusat'"),
    ("extra status", {**PROPOSAL, "status": "approved"}, "status", "Extra inputs are not permitted"),
    ("extra tenant_id", {**PROPOSAL, "tenant_id": "kukar"}, "tenant_id", "Extra inputs are not permitted"),
    ("extra decided_by", {**PROPOSAL, "decided_by": "me"}, "decided_by", "Extra inputs are not permitted"),
    (
        "bad partner tenant",
        {**PROPOSAL, "partner": {"name": "X Y", "tenant": "Not A Token"}},
        "partner.tenant",
        "must be a tenant id",
    ),
]


async def test_create_with_invalid_input_is_422_naming_field_and_reason(api: Api) -> None:
    for case, payload, field, words in BAD_CREATES:
        r = await api.client.post("/v1/proposals", json=payload, headers=STAFF)
        assert r.status_code == 422, case
        errors = errors_by_field(r.json())
        assert list(errors) == [field], (case, errors)
        assert words in errors[field], (case, errors)
    assert (await api.client.get("/v1/proposals", headers=STAFF)).json() == []  # nothing stored


async def test_create_with_term_over_tenant_maximum_is_422_with_the_maximum(api: Api) -> None:
    # Five years is PP 28/2018's maximum, in the schema; a region's lower maximum is its setting.
    r = await api.client.post("/v1/proposals", json={**PROPOSAL, "term_months": 61}, headers=STAFF)
    assert r.status_code == 422
    assert errors_by_field(r.json()) == {"term_months": "Input should be less than or equal to 60"}
    assert (await api.client.get("/v1/proposals", headers=STAFF)).json() == []
    ok = await api.client.post("/v1/proposals", json={**PROPOSAL, "term_months": 60}, headers=STAFF)
    assert ok.status_code == 201


# -- authentication and roles ---------------------------------------------------------------


async def test_requests_without_token_or_with_forged_token_are_401(api: Api) -> None:
    p = await api.create()
    forged = auth(
        issue_dev_token("another-secret-" + "x" * 40, tenant="sumbar", roles=["kerja_sama"], user="u")
    )
    for headers in ({}, forged):
        calls = [
            api.client.post("/v1/proposals", json=PROPOSAL, headers=headers),
            api.client.get("/v1/proposals", headers=headers),
            api.client.get(f"/v1/proposals/{p['id']}", headers=headers),
            api.client.patch(f"/v1/proposals/{p['id']}", json={"title": "Judul baru"}, headers=headers),
            api.client.post(f"/v1/proposals/{p['id']}/submit", headers=headers),
            api.client.post(f"/v1/proposals/{p['id']}/approve", headers=headers),
            api.client.post(f"/v1/proposals/{p['id']}/reject", json={"reason": "tidak"}, headers=headers),
        ]
        for r in await asyncio.gather(*calls):
            assert r.status_code == 401, (r.request.method, r.request.url)
            assert r.headers["www-authenticate"] == "Bearer"
    stored = await api.stored(p["id"])
    assert (stored.status, stored.title) == ("draft", PROPOSAL["title"])


async def test_wrong_roles_get_403_kerja_sama_creating_opd_staff_approving(api: Api) -> None:
    created = await api.client.post("/v1/proposals", json=PROPOSAL, headers=SECTION)
    assert created.status_code == 403
    assert created.json()["detail"] == "proposal.create needs one of the roles: opd_head, opd_staff"

    draft = await api.create()
    assert (await api.client.post(f"/v1/proposals/{draft['id']}/submit", headers=SECTION)).status_code == 403
    edit = await api.client.patch(
        f"/v1/proposals/{draft['id']}", json={"title": "Judul lain"}, headers=SECTION
    )
    assert edit.status_code == 403

    p = await api.submitted()
    approve = await api.client.post(f"/v1/proposals/{p['id']}/approve", headers=STAFF)
    assert approve.status_code == 403
    assert approve.json()["detail"] == "approve needs one of the roles: kerja_sama, sekda, tkksd"
    reject = await api.client.post(f"/v1/proposals/{p['id']}/reject", json={"reason": "tidak"}, headers=STAFF)
    assert reject.status_code == 403

    admin = auth(issue_dev_token(SECRET, tenant="sumbar", roles=["platform_admin"], user="ops"))
    assert (await api.client.get(f"/v1/proposals/{p['id']}", headers=admin)).status_code == 403
    assert (await api.client.get("/v1/proposals", headers=admin)).status_code == 403

    assert len((await api.client.get("/v1/proposals", headers=SECTION)).json()) == 2
    d, s = await api.stored(draft["id"]), await api.stored(p["id"])
    assert (d.status, d.title) == ("draft", PROPOSAL["title"])
    assert (s.status, s.decided_by) == ("submitted", None)
    assert [r.type for r in await api.outbox()] == [ProposalSubmitted.ce_type()]


# -- lifecycle ------------------------------------------------------------------------------


async def test_approving_a_draft_is_409_and_writes_no_outbox_row(api: Api) -> None:
    p = await api.create()
    r = await api.client.post(f"/v1/proposals/{p['id']}/approve", headers=SECTION)
    assert r.status_code == 409
    assert r.json()["detail"] == "cannot approve at stage persiapan; possible: submit"
    assert (await api.stored(p["id"])).status == "draft"
    assert await api.outbox() == []


async def test_submit_records_one_submitted_event_and_second_submit_is_409(api: Api) -> None:
    p = await api.submitted()
    assert p["status"] == "submitted" and p["submitted_at"] is not None
    again = await api.client.post(f"/v1/proposals/{p['id']}/submit", headers=STAFF)
    assert again.status_code == 409
    assert again.json()["detail"] == "cannot submit at stage penilaian; possible: approve, reject"
    rows = await api.outbox()
    assert [r.type for r in rows] == [ProposalSubmitted.ce_type()]
    event = ProposalSubmitted.model_validate_json(rows[0].data)
    assert (event.proposal_id, event.tenant, event.proposer_unit) == (p["id"], "sumbar", "dpupr")
    assert rows[0].subject == "jalin.sumbar.proposal.submitted"
    assert rows[0].correlation_id == p["id"]


async def test_approval_sets_term_dates_and_commits_exactly_one_approved_outbox_row(api: Api) -> None:
    p = await api.submitted(term_months=1)
    r = await api.client.post(
        f"/v1/proposals/{p['id']}/approve",
        json={"term_start": "2026-01-31", "note": "Sesuai RPJMD."},
        headers=SECTION,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "approved"
    assert (body["term_start"], body["term_end"]) == ("2026-01-31", "2026-02-28")
    assert body["decided_by"] == "sumbar-kerja_sama" and body["decision_reason"] == "Sesuai RPJMD."
    rows = await api.outbox(APPROVED_TYPE)
    assert len(rows) == 1
    row = rows[0]
    assert row.tenant_id == "sumbar"
    assert row.subject == "jalin.sumbar.proposal.approved"
    assert row.source == "/jalin/proposals"
    assert row.correlation_id == p["id"]
    event = ProposalApproved.model_validate_json(row.data)
    assert event.proposal_id == p["id"]
    assert (event.term_start.isoformat(), event.term_end.isoformat()) == ("2026-01-31", "2026-02-28")
    assert event.proposer.name == "Pemerintah Provinsi Sumatera Barat"
    assert event.partner.tenant == "kukar"
    # From the offer on the cooperation is kukar's too: a copy on kukar's subjects, for its systems.
    [copy] = await api.outbox(APPROVED_TYPE, copies=True)
    assert (copy.subject, copy.data, copy.tenant_id) == ("jalin.kukar.shared.sumbar.proposal.approved", row.data, "sumbar")
    assert event.actor == "sumbar-kerja_sama"
    assert event.title == "Jalan & Jembatan <Tahap 1>"


async def test_approved_status_iff_one_approved_outbox_row(api: Api) -> None:
    draft = await api.create()
    submitted = await api.submitted()
    rejected = await api.rejected()
    approved = []
    for _ in range(2):
        p = await api.submitted()
        r = await api.client.post(f"/v1/proposals/{p['id']}/approve", headers=SECTION)
        assert r.status_code == 200
        approved.append(p["id"])
    # failed attempts on the others must leave no approved row behind
    for p in (draft, rejected):
        assert (await api.client.post(f"/v1/proposals/{p['id']}/approve", headers=SECTION)).status_code == 409
    assert (
        await api.client.post(f"/v1/proposals/{submitted['id']}/approve", headers=STAFF)
    ).status_code == 403

    per_proposal: dict[str, int] = {}
    for row in await api.outbox(APPROVED_TYPE):
        pid = json.loads(row.data)["proposal_id"]
        per_proposal[pid] = per_proposal.get(pid, 0) + 1
    listed = (await api.client.get("/v1/proposals", headers=STAFF)).json()
    assert len(listed) == 5
    for p in listed:
        assert per_proposal.get(p["id"], 0) == (1 if p["status"] == "approved" else 0), p["status"]
    assert sorted(per_proposal) == sorted(approved)


async def test_repeated_and_concurrent_approvals_give_one_approval_starting_today_and_one_outbox_row(
    api: Api,
) -> None:
    p = await api.submitted()
    results = await asyncio.gather(
        *(api.client.post(f"/v1/proposals/{p['id']}/approve", headers=SECTION) for _ in range(4))
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    later = await api.client.post(f"/v1/proposals/{p['id']}/approve", headers=SECTION)
    assert later.status_code == 409
    assert len(await api.outbox(APPROVED_TYPE)) == 1
    body = next(r.json() for r in results if r.status_code == 200)
    assert body["term_start"] == body["decided_at"][:10]  # no term_start given: the day of approval
    assert body["term_end"] is not None


async def test_reject_needs_a_reason(api: Api) -> None:
    p = await api.submitted()
    url = f"/v1/proposals/{p['id']}/reject"
    no_body = await api.client.post(url, headers=SECTION)
    assert no_body.status_code == 422
    empty = await api.client.post(url, json={}, headers=SECTION)
    assert empty.status_code == 422
    assert errors_by_field(empty.json()) == {"reason": "Field required"}
    blank = await api.client.post(url, json={"reason": "   "}, headers=SECTION)
    assert blank.status_code == 422
    assert "reason" in errors_by_field(blank.json())
    assert (await api.stored(p["id"])).status == "submitted"
    assert await api.outbox(ProposalRejected.ce_type()) == []


async def test_rejected_proposal_revised_returns_to_draft_and_can_be_resubmitted(api: Api) -> None:
    p = await api.rejected()
    assert (p["status"], p["stage"], p["decision_reason"]) == ("rejected", "ditolak", "Ruang lingkup belum jelas.")
    rows = await api.outbox(ProposalRejected.ce_type())
    assert len(rows) == 1
    assert ProposalRejected.model_validate_json(rows[0].data).reason == "Ruang lingkup belum jelas."
    early = await api.client.patch(f"/v1/proposals/{p['id']}", json={"title": "Judul baru"}, headers=STAFF)
    assert early.status_code == 409 and "revise it first" in early.json()["detail"]
    revised = await api.client.post(f"/v1/proposals/{p['id']}/actions/revise", headers=STAFF)
    assert revised.status_code == 200, revised.text
    assert (revised.json()["status"], revised.json()["stage"]) == ("draft", "persiapan")

    r = await api.client.patch(
        f"/v1/proposals/{p['id']}",
        json={"scope": "Ruang lingkup yang diperjelas.", "term_months": 12, "kind": "ksdpk"},
        headers=STAFF,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "draft"
    assert body["decision_reason"] is None
    assert (body["scope"], body["term_months"], body["kind"]) == (
        "Ruang lingkup yang diperjelas.",
        12,
        "ksdpk",
    )
    again = await api.client.post(f"/v1/proposals/{p['id']}/submit", headers=STAFF)
    assert again.status_code == 200 and again.json()["status"] == "submitted"
    assert len(await api.outbox(ProposalSubmitted.ce_type())) == 2


async def test_edit_of_revised_proposal_with_bad_input_is_422_and_changes_nothing(api: Api) -> None:
    p = await api.rejected()
    assert (await api.client.post(f"/v1/proposals/{p['id']}/actions/revise", headers=STAFF)).status_code == 200
    over = await api.client.patch(f"/v1/proposals/{p['id']}", json={"term_months": 61}, headers=STAFF)
    assert over.status_code == 422
    assert errors_by_field(over.json()) == {"term_months": "Input should be less than or equal to 60"}
    extra = await api.client.patch(f"/v1/proposals/{p['id']}", json={"status": "approved"}, headers=STAFF)
    assert extra.status_code == 422
    assert errors_by_field(extra.json()) == {"status": "Extra inputs are not permitted"}
    stored = await api.stored(p["id"])
    assert (stored.status, stored.term_months, stored.title) == ("draft", 24, PROPOSAL["title"])


async def test_edit_draft_changes_partner_and_keeps_draft(api: Api) -> None:
    p = await api.create()
    r = await api.client.patch(
        f"/v1/proposals/{p['id']}", json={"partner": {"name": "PT Mitra Daerah"}}, headers=STAFF
    )
    assert r.status_code == 200
    assert r.json()["partner"] == {"name": "PT Mitra Daerah", "tenant": None}
    assert r.json()["status"] == "draft"
    stored = await api.stored(p["id"])
    assert (stored.partner_name, stored.partner_tenant) == ("PT Mitra Daerah", None)


async def test_edit_of_submitted_or_approved_proposal_is_409(api: Api) -> None:
    submitted = await api.submitted()
    approved = await api.submitted()
    assert (
        await api.client.post(f"/v1/proposals/{approved['id']}/approve", headers=SECTION)
    ).status_code == 200
    for p, status, stage in ((submitted, "submitted", "penilaian"), (approved, "approved", "penawaran")):
        r = await api.client.patch(f"/v1/proposals/{p['id']}", json={"title": "Judul baru"}, headers=STAFF)
        assert r.status_code == 409
        assert r.json()["detail"] == f"only a draft can be edited; this proposal is at stage {stage}"
        stored = await api.stored(p["id"])
        assert (stored.status, stored.title) == (status, PROPOSAL["title"])


async def test_list_filters_by_status_and_unknown_id_is_404(api: Api) -> None:
    draft = await api.create()
    submitted = await api.submitted()
    r = await api.client.get("/v1/proposals", params={"status": "submitted"}, headers=SECTION)
    assert [p["id"] for p in r.json()] == [submitted["id"]]
    r = await api.client.get("/v1/proposals", params={"status": "draft"}, headers=SECTION)
    assert [p["id"] for p in r.json()] == [draft["id"]]
    assert (
        await api.client.get("/v1/proposals", params={"status": "nope"}, headers=SECTION)
    ).status_code == 422
    missing = await api.client.get("/v1/proposals/00000000-0000-0000-0000-000000000000", headers=STAFF)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "proposal not found"


async def test_a_proposal_past_its_draft_is_not_editable(api: Api) -> None:
    submitted = await api.submitted()
    assert (await api.client.get(f"/v1/proposals/{submitted['id']}", headers=STAFF)).json()["editable"] is False


async def test_list_filters_pages_and_counts_on_the_server(api: Api) -> None:
    a = await api.create(title="Air bersih 100% untuk_desa", partner={"name": "Kota Solok"})
    b = await api.create(title="Rujukan pasien", kind="ksdpk", partner={"name": "PT Air Minum"})
    c = await api.submitted(title="Sampah regional")
    other_unit = caller("sumbar", "opd_staff", unit="dinkes")
    d = (await api.client.post("/v1/proposals", json={**PROPOSAL, "title": "Unit lain"}, headers=other_unit)).json()

    async def ids(headers: dict[str, str] = SECTION, **params: object) -> tuple[list[str], int]:
        r = await api.client.get("/v1/proposals", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [p["id"] for p in r.json()], int(r.headers["x-total-count"])

    assert await ids(q="air") == ([b["id"], a["id"]], 2)  # title or partner, any case
    assert await ids(q="100%") == ([a["id"]], 1) and await ids(q="untuk_") == ([a["id"]], 1)  # LIKE's signs are text
    assert await ids(q="r%n") == ([], 0)
    assert await ids(kind="ksdpk") == ([b["id"]], 1)
    assert await ids(unit="dinkes") == ([d["id"]], 1)
    assert await ids(year=a["created_at"][:4]) == ([d["id"], c["id"], b["id"], a["id"]], 4)
    assert await ids(year=2001) == ([], 0)
    page, total = await ids(limit=2, offset=1)
    assert (page, total) == ([c["id"], b["id"]], 4)
    assert await ids(STAFF) == ([c["id"], b["id"], a["id"]], 3)  # dpupr's staff: dpupr's only
    counts = (await api.client.get("/v1/proposal-counts", headers=SECTION)).json()
    year = a["created_at"][:4]
    assert counts == {"total": 4, "by_stage": {"persiapan": 3, "penilaian": 1},
                      "by_unit": {"dpupr": 3, "dinkes": 1}, "by_year": {year: 4}}
    counts = (await api.client.get("/v1/proposal-counts", params={"stage": "penilaian"}, headers=SECTION)).json()
    assert counts["total"] == 1 and counts["by_stage"] == {"persiapan": 3, "penilaian": 1} and counts["by_unit"] == {"dpupr": 1}
    assert (await api.client.get("/v1/proposal-counts", headers=STAFF)).json()["total"] == 3
    # another region counts nothing of ours
    assert (await api.client.get("/v1/proposal-counts", headers=OTHER_SECTION)).json() == {
        "total": 0, "by_stage": {}, "by_unit": {}, "by_year": {}}
    assert await ids(OTHER_SECTION, q="air") == ([], 0)
    assert await ids(ends_before="2001-01-01") == ([], 0)  # drafts have no term yet

    # the next actions of many at once, in the order asked; another's id left out
    r = await api.client.get("/v1/proposal-actions", params=[("id", c["id"]), ("id", a["id"]), ("id", d["id"])],
                             headers=SECTION)
    assert r.status_code == 200, r.text
    assert [(x["proposal_id"], [y["command"] for y in x["actions"]]) for x in r.json()] == [
        (c["id"], ["approve", "reject"]), (a["id"], []), (d["id"], [])]
    r = await api.client.get("/v1/proposal-actions", params=[("id", a["id"]), ("id", d["id"])], headers=STAFF)
    assert [x["proposal_id"] for x in r.json()] == [a["id"]]  # dinkes' draft is not dpupr's
    assert (await api.client.get("/v1/proposal-actions", params={"id": a["id"]}, headers=OTHER_SECTION)).json() == []
    for bad in ([], [("id", "x" * 40)], [("id", a["id"])] * 51):
        assert (await api.client.get("/v1/proposal-actions", params=bad, headers=SECTION)).status_code == 422, bad
    for bad in ({"unit": "Dinkes\n"}, {"partner": "x y"}, {"year": 1999}, {"q": "x" * 201}, {"kind": "nope"},
                {"ends_before": "kemarin"}):
        assert (await api.client.get("/v1/proposals", params=bad, headers=SECTION)).status_code == 422, bad
        assert (await api.client.get("/v1/proposal-counts", params=bad, headers=SECTION)).status_code == 422, bad


# -- tenants ----------------------------------------------------------------------------------


async def test_other_tenant_gets_404_on_get_patch_submit_approve_reject(api: Api) -> None:
    draft = await api.create()
    submitted = await api.submitted()
    calls = {
        "get": lambda: api.client.get(f"/v1/proposals/{draft['id']}", headers=OTHER_STAFF),
        "get by section": lambda: api.client.get(f"/v1/proposals/{submitted['id']}", headers=OTHER_SECTION),
        "patch": lambda: api.client.patch(
            f"/v1/proposals/{draft['id']}", json={"title": "Diambil alih"}, headers=OTHER_STAFF
        ),
        "submit": lambda: api.client.post(f"/v1/proposals/{draft['id']}/submit", headers=OTHER_STAFF),
        "approve": lambda: api.client.post(f"/v1/proposals/{submitted['id']}/approve", headers=OTHER_SECTION),
        "reject": lambda: api.client.post(
            f"/v1/proposals/{submitted['id']}/reject", json={"reason": "bukan urusan"}, headers=OTHER_SECTION
        ),
    }
    for name, call in calls.items():
        r = await call()
        assert r.status_code == 404, (name, r.status_code, r.text)
        assert r.json()["detail"] == "proposal not found"
    assert (await api.client.get("/v1/proposals", headers=OTHER_SECTION)).json() == []
    d, s = await api.stored(draft["id"]), await api.stored(submitted["id"])
    assert (d.status, d.title, d.tenant_id) == ("draft", PROPOSAL["title"], "sumbar")
    assert (s.status, s.decided_by) == ("submitted", None)
    assert [r.type for r in await api.outbox()] == [ProposalSubmitted.ce_type()]

    sumbar = {"name": "Provinsi Sumatera Barat", "tenant": "sumbar"}
    theirs = await api.client.post("/v1/proposals", json={**PROPOSAL, "partner": sumbar}, headers=OTHER_STAFF)
    assert theirs.status_code == 201
    assert (await api.stored(theirs.json()["id"])).tenant_id == "kukar"
    assert (await api.client.get(f"/v1/proposals/{theirs.json()['id']}", headers=STAFF)).status_code == 404
    assert len((await api.client.get("/v1/proposals", headers=STAFF)).json()) == 2


async def test_token_with_malformed_tenant_claim_never_gets_a_server_error(api: Api) -> None:
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for tenant in ("Sumbar", "sum.bar", "a" * 65):
            headers = auth(
                issue_dev_token(SECRET, tenant=tenant, roles=["opd_staff"], user="u", unit="dpupr")
            )
            created = await client.post("/v1/proposals", json=PROPOSAL, headers=headers)
            assert created.status_code in (201, 401), (tenant, created.status_code)
            if created.status_code == 201:
                submitted = await client.post(f"/v1/proposals/{created.json()['id']}/submit", headers=headers)
                assert submitted.status_code == 200, (tenant, submitted.status_code)


async def test_control_characters_huge_offsets_and_implausible_terms_are_422(api: Api) -> None:
    r = await api.client.post("/v1/proposals", json={**PROPOSAL, "title": "Jalan\x00Tol"}, headers=STAFF)
    assert r.status_code == 422 and "control characters" in r.text
    r = await api.client.get("/v1/proposals", params={"offset": 10**20}, headers=STAFF)
    assert r.status_code == 422
    p = await api.submitted()
    for start in ("9999-06-01", "2001-01-01"):
        r = await api.client.post(f"/v1/proposals/{p['id']}/approve", json={"term_start": start}, headers=SECTION)
        assert r.status_code == 422, r.text
    r = await api.client.post(f"/v1/proposals/{p['id']}/approve", json={}, headers=SECTION)
    assert r.status_code == 200


async def test_a_method_a_path_lacks_is_405_naming_every_method_it_has(api: Api) -> None:
    for path, allowed in (("/v1/proposals", "GET, POST"), ("/v1/proposals/x-1", "GET, PATCH"),
                          ("/v1/proposals/x-1/actions/approve", "POST")):
        r = await api.client.request("OPTIONS", path, headers=STAFF)
        assert (r.status_code, r.headers["allow"], r.json()) == (405, allowed, {"detail": "Method Not Allowed"}), path
    r = await api.client.get("/v1/nowhere", headers=STAFF)
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})


async def test_ids_in_paths_and_filters_are_ids(api: Api) -> None:
    """A NUL or any other character outside an id never reaches the database (on PostgreSQL
    a NUL in a query parameter was a 500)."""
    for path in ("/v1/proposals/a%00b", "/v1/proposals/a%20b/history", "/v1/agreements?proposal_id=%00",
                 "/v1/potentials?unit=%00", "/v1/potentials?affair=kesehatan%00", "/v1/agreements?type=%00"):
        r = await api.client.get(path, headers=STAFF)
        assert r.status_code == 422 and r.json()["detail"] == "invalid request", (path, r.text)
    r = await api.client.get("/v1/proposals/a%00b", headers=STAFF)
    assert r.json()["errors"] == [{"field": "path.proposal_id", "message": "must be an id: 1-36 of A-Z, a-z, 0-9, '_', '-'"}]


def test_every_text_a_client_sends_is_stated_in_the_schema() -> None:
    """Each string of each request body has a pattern, an enum or a format: the server refuses
    nothing of a string that its schema does not say (and no control character reaches SQL)."""
    spec = build(ProposalsSettings(jwt_secret=SECRET, environment="test")).openapi()
    schemas = spec["components"]["schemas"]
    bodies = {
        ref.rsplit("/", 1)[-1]
        for ops in spec["paths"].values() for op in ops.values()
        for media in op.get("requestBody", {}).get("content", {}).values()
        if (ref := media["schema"].get("$ref"))
    }
    seen: set[str] = set()

    def loose(name: str, schema: dict[str, Any], where: str) -> list[str]:
        if "$ref" in schema:
            ref = schema["$ref"].rsplit("/", 1)[-1]
            if ref in seen:
                return []
            seen.add(ref)
            return loose(ref, schemas[ref], ref)
        out = []
        for sub in [*schema.get("anyOf", []), schema.get("items"), schema.get("additionalProperties")]:
            if isinstance(sub, dict) and sub:
                out += loose(name, sub, where)
        for prop, sub in schema.get("properties", {}).items():
            out += loose(name, sub, f"{where}.{prop}")
        if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(schema):
            out.append(where)
        return out

    assert [w for body in sorted(bodies) for w in loose(body, schemas[body], body)] == []
