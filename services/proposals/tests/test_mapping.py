"""Potential mapping (pemetaan potensi) in-process, on a real database and a real NATS.

Each test builds the app, runs its lifespan (migrations, NATS, outbox relay, background
jobs) and talks to it through httpx's ASGI transport. The service's clock is pinned with
``ProposalsSettings.today``; the scanner is called directly with the day it should see,
except in the test of its wiring as a background job.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from typing import Any

import pytest
from jalin_kit.db import Database
from jalin_kit.events import REGISTRY_TENANT, MappingReminderDue
from jalin_kit.outbox import OutboxMessage
from jalin_proposals.mapping import affairs
from jalin_proposals.mapping.models import MappingRound, Potential
from jalin_proposals.mapping.scanner import ScanResult, reminder_event_id, scan_mapping
from jalin_proposals.models import HistoryEntry, Proposal

from services.proposals.tests.conftest import Service, StartService, caller, errors_by_field, today

REMINDER_TYPE = "id.jalin.mapping.reminder-due.v1"


def auth(tenant: str = "sumbar", *roles: str, unit: str | None = None) -> dict[str, str]:
    """A caller named by tenant, role and unit (``sumbar-opd_staff-dinkes``), so the names say who acted."""
    roles = roles or ("opd_staff",)
    return caller(tenant, *roles, unit=unit, user=f"{tenant}-{roles[0]}-{unit or 'x'}")


SECTION = auth("sumbar", "kerja_sama")
DINKES = auth(unit="dinkes")
DPUPR = auth("sumbar", "opd_head", unit="dpupr")
DISPAR = auth(unit="dispar")
STAFF_WITHOUT_UNIT = auth()
TKKSD = auth("sumbar", "tkksd")
SEKDA = auth("sumbar", "sekda")
AUDITOR = auth("sumbar", "auditor")
KEPALA = auth("sumbar", "kepala_daerah")
DPRD = auth("sumbar", "dprd")
PLATFORM = auth("platform", "platform_admin")
OTHER_SECTION = auth("kukar", "kerja_sama")
OTHER_DINKES = auth("kukar", unit="dinkes")  # the same unit id, in another region

ROUND: dict[str, Any] = {"title": "Pemetaan Potensi Kerja Sama 2027", "year": 2027}
POTENTIAL: dict[str, Any] = {
    "affair": "kesehatan",
    "title": "Rujukan pasien lintas kabupaten",
    "description": "Pasien dari daerah perbatasan dirujuk ke RSUD terdekat.",
    "benefit": "Pelayanan kesehatan rujukan yang lebih cepat bagi warga perbatasan.",
    "candidate_partners": [{"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"}],
}
PROPOSE: dict[str, Any] = {
    "kind": "ksdd",
    "scope": "Rujukan pasien dan pertukaran data layanan.",
    "term_months": 24,
    "financing": "APBD masing-masing pihak.",
}


class Api(Service):
    async def round(self, days: int = 10, **changes: Any) -> dict[str, Any]:
        body = {**ROUND, "deadline": (today() + timedelta(days=days)).isoformat(), **changes}
        r = await self.client.post("/v1/mapping-rounds", json=body, headers=SECTION)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def potential(self, round_id: str, headers: dict[str, str] = DINKES, **changes: Any) -> dict[str, Any]:
        r = await self.client.post(f"/v1/mapping-rounds/{round_id}/potentials", json={**POTENTIAL, **changes},
                                   headers=headers)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def scan(self, day: date) -> ScanResult:
        return await scan_mapping(self.runtime.db, self.runtime.tenants, day)

    async def outbox(self, ce_type: str | None = REMINDER_TYPE) -> list[OutboxMessage]:
        """The regions' events (the registry's own, of the seeded regions, are not the test's)."""
        of_type = [OutboxMessage.type == ce_type] if ce_type else []
        return await self.outbox_rows(*of_type, OutboxMessage.tenant_id != REGISTRY_TENANT)


@pytest.fixture
async def api(start_service: StartService) -> Api:
    """The service's clock pinned to today (tests move it through ``api.settings.today``)."""
    return await start_service(Api, today=today(), mapping_scan_interval_seconds=3600.0)


# -- government affairs (UU 23/2014 art. 12) ----------------------------------------------


def test_affairs_follow_article_12() -> None:
    by_group = {g: [a for a in affairs.AFFAIRS if a.group is g] for g in affairs.AffairGroup}
    assert [len(by_group[g]) for g in affairs.AffairGroup] == [6, 18, 8]
    assert len({a.id for a in affairs.AFFAIRS}) == 32
    assert all(re.fullmatch(r"[a-z][a-z_]*[a-z]", a.id) for a in affairs.AFFAIRS)
    assert affairs.BY_ID["pendidikan"].article == "12(1)(a)"
    assert affairs.BY_ID["sosial"].article == "12(1)(f)"
    assert affairs.BY_ID["kearsipan"].article == "12(2)(r)"
    assert affairs.BY_ID["transmigrasi"].article == "12(3)(h)"
    assert affairs.BY_ID["pariwisata"].name_en == "Tourism"
    with pytest.raises(ValueError):
        affairs.check("pertahanan")  # an absolute affair of the centre (art. 10)


async def test_affairs_are_listed_for_tenant_roles_only(api: Api) -> None:
    r = await api.client.get("/v1/government-affairs", headers=DINKES)
    assert r.status_code == 200
    assert r.json()[0] == {"id": "pendidikan", "name_id": "Pendidikan", "name_en": "Education",
                           "group": "mandatory_basic", "article": "12(1)(a)"}
    assert len(r.json()) == 32
    assert (await api.client.get("/v1/government-affairs", headers=PLATFORM)).status_code == 403


# -- rounds -------------------------------------------------------------------------------


async def test_the_section_opens_a_round(api: Api) -> None:
    r = await api.client.post(
        "/v1/mapping-rounds", json={**ROUND, "deadline": (today() + timedelta(days=30)).isoformat()}, headers=SECTION
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "open" and body["accepting"] is True
    assert body["reminder_offsets_days"] == [14, 7, 3, 1]
    assert body["created_by"] == "sumbar-kerja_sama-x"
    assert body["counts"] == {"potentials": 0, "units_total": 3, "units_submitted": 0, "units_missing": 3, "proposed": 0}
    assert body["reminders"] == []
    assert "tenant_id" not in body
    got = await api.client.get(f"/v1/mapping-rounds/{body['id']}", headers=AUDITOR)
    assert got.status_code == 200 and got.json() == body
    listed = await api.client.get("/v1/mapping-rounds", headers=DINKES)
    assert [x["id"] for x in listed.json()] == [body["id"]]
    assert (await api.rows(MappingRound))[0].tenant_id == "sumbar"


@pytest.mark.parametrize("headers", [DINKES, DPUPR, TKKSD, SEKDA, AUDITOR, KEPALA, DPRD, PLATFORM])
async def test_only_the_section_opens_a_round(api: Api, headers: dict[str, str]) -> None:
    body = {**ROUND, "deadline": (today() + timedelta(days=30)).isoformat()}
    r = await api.client.post("/v1/mapping-rounds", json=body, headers=headers)
    assert r.status_code == 403
    assert await api.rows(MappingRound) == []


async def test_round_validation(api: Api) -> None:
    def body(**changes: Any) -> dict[str, Any]:
        return {**ROUND, "deadline": (today() + timedelta(days=30)).isoformat(), **changes}

    past = await api.client.post("/v1/mapping-rounds", json=body(deadline=(today() - timedelta(days=1)).isoformat()),
                                 headers=SECTION)
    assert past.status_code == 422 and "deadline" in past.json()["detail"]
    r = await api.client.post("/v1/mapping-rounds", json=body(status="closed", title="x"), headers=SECTION)
    assert r.status_code == 422
    assert set(errors_by_field(r.json())) == {"status", "title"}
    r = await api.client.post("/v1/mapping-rounds", json=body(reminder_offsets_days=[7, -1]), headers=SECTION)
    assert r.status_code == 422
    assert errors_by_field(r.json()) == {"reminder_offsets_days.1": "Input should be greater than or equal to 0"}
    ok = await api.round(reminder_offsets_days=[1, 7, 7, 0, 3])
    assert ok["reminder_offsets_days"] == [7, 3, 1, 0]
    assert len(await api.rows(MappingRound)) == 1


async def test_close_a_round(api: Api) -> None:
    rnd = await api.round()
    assert (await api.client.post(f"/v1/mapping-rounds/{rnd['id']}/close", headers=DINKES)).status_code == 403
    r = await api.client.post(f"/v1/mapping-rounds/{rnd['id']}/close", headers=SECTION)
    assert r.status_code == 200
    assert r.json()["status"] == "closed" and r.json()["accepting"] is False
    assert r.json()["closed_by"] == "sumbar-kerja_sama-x" and r.json()["closed_at"]
    assert (await api.client.post(f"/v1/mapping-rounds/{rnd['id']}/close", headers=SECTION)).status_code == 409
    open_ = await api.client.get("/v1/mapping-rounds?status=open", headers=SECTION)
    assert open_.json() == []


# -- potentials ---------------------------------------------------------------------------


async def test_an_opd_submits_potentials_for_its_unit(api: Api) -> None:
    rnd = await api.round()
    body = await api.potential(rnd["id"])
    assert body["unit"] == "dinkes" and body["unit_name"] == "Dinas Kesehatan"
    assert body["affair"] == "kesehatan" and body["affair_name"] == "Kesehatan"
    assert body["affair_group"] == "mandatory_basic"
    assert body["candidate_partners"] == [{"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"}]
    assert body["submitted_by"] == "sumbar-opd_staff-dinkes"
    assert body["proposal_id"] is None
    assert (await api.client.get(f"/v1/potentials/{body['id']}", headers=AUDITOR)).json() == body
    second = await api.potential(rnd["id"], affair="pariwisata", title="Paket wisata bersama", candidate_partners=[])
    listed = await api.client.get(f"/v1/potentials?round_id={rnd['id']}", headers=SECTION)
    assert [p["id"] for p in listed.json()] == [body["id"], second["id"]]
    only = await api.client.get("/v1/potentials?affair=pariwisata", headers=SECTION)
    assert [p["id"] for p in only.json()] == [second["id"]]
    detail = (await api.client.get(f"/v1/mapping-rounds/{rnd['id']}", headers=SECTION)).json()
    assert detail["counts"] == {"potentials": 2, "units_total": 3, "units_submitted": 1, "units_missing": 2,
                                "proposed": 0}


async def test_submission_needs_an_opd_role_a_unit_and_a_valid_body(api: Api) -> None:
    rnd = await api.round()
    url = f"/v1/mapping-rounds/{rnd['id']}/potentials"
    for headers in (SECTION, TKKSD, AUDITOR, KEPALA, PLATFORM):
        assert (await api.client.post(url, json=POTENTIAL, headers=headers)).status_code == 403
    no_unit = await api.client.post(url, json=POTENTIAL, headers=STAFF_WITHOUT_UNIT)
    assert no_unit.status_code == 403 and "unit" in no_unit.json()["detail"]
    bad = await api.client.post(url, json={**POTENTIAL, "affair": "pertahanan", "benefit": "", "unit": "dpupr"},
                                headers=DINKES)
    assert bad.status_code == 422
    assert set(errors_by_field(bad.json())) == {"affair", "benefit", "unit"}
    partner = await api.client.post(url, json={**POTENTIAL, "candidate_partners": [{"name": "X", "tenant": "Bad Id"}]},
                                    headers=DINKES)
    assert partner.status_code == 422
    missing_round = await api.client.post("/v1/mapping-rounds/nope/potentials", json=POTENTIAL, headers=DINKES)
    assert missing_round.status_code == 404
    assert await api.rows(Potential) == []


async def test_no_submission_after_the_deadline_or_once_closed(api: Api) -> None:
    rnd = await api.round(days=3)
    url = f"/v1/mapping-rounds/{rnd['id']}/potentials"
    api.settings.today = today() + timedelta(days=3)  # the deadline itself: still accepted
    assert (await api.client.post(url, json=POTENTIAL, headers=DINKES)).status_code == 201
    api.settings.today = today() + timedelta(days=4)
    late = await api.client.post(url, json=POTENTIAL, headers=DPUPR)
    assert late.status_code == 409 and "deadline" in late.json()["detail"]
    assert (await api.client.get(f"/v1/mapping-rounds/{rnd['id']}", headers=SECTION)).json()["accepting"] is False

    api.settings.today = today()
    other = await api.round()
    assert (await api.client.post(f"/v1/mapping-rounds/{other['id']}/close", headers=SECTION)).status_code == 200
    closed = await api.client.post(f"/v1/mapping-rounds/{other['id']}/potentials", json=POTENTIAL, headers=DINKES)
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]
    assert len(await api.rows(Potential)) == 1


async def test_the_section_sees_which_units_have_not_submitted(api: Api) -> None:
    rnd = await api.round()
    url = f"/v1/mapping-rounds/{rnd['id']}/missing"
    r = await api.client.get(url, headers=SECTION)
    assert r.status_code == 200
    assert r.json() == [
        {"unit": "dinkes", "name": "Dinas Kesehatan"},
        {"unit": "dpupr", "name": "Dinas Pekerjaan Umum dan Penataan Ruang"},
        {"unit": "dispar", "name": "Dinas Pariwisata"},
    ]
    await api.potential(rnd["id"])
    await api.potential(rnd["id"], title="Kedua")
    await api.potential(rnd["id"], headers=DISPAR, affair="pariwisata")
    for headers in (SECTION, TKKSD, SEKDA, AUDITOR):
        r = await api.client.get(url, headers=headers)
        assert r.status_code == 200
        assert r.json() == [{"unit": "dpupr", "name": "Dinas Pekerjaan Umum dan Penataan Ruang"}]
    for headers in (DINKES, DPUPR, KEPALA, DPRD, PLATFORM):
        assert (await api.client.get(url, headers=headers)).status_code == 403
    assert (await api.client.get("/v1/mapping-rounds/nope/missing", headers=SECTION)).status_code == 404


# -- a potential becomes a proposal -------------------------------------------------------


async def test_a_potential_becomes_a_proposal_in_one_step(api: Api) -> None:
    rnd = await api.round()
    pot = await api.potential(rnd["id"])
    r = await api.client.post(f"/v1/potentials/{pot['id']}/propose", json=PROPOSE, headers=DINKES)
    assert r.status_code == 201, r.text
    proposal = r.json()
    assert proposal["stage"] == "persiapan" and proposal["status"] == "draft"
    assert proposal["title"] == POTENTIAL["title"]
    assert proposal["objective"] == POTENTIAL["benefit"]
    assert proposal["partner"] == {"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"}
    assert proposal["scope"] == PROPOSE["scope"] and proposal["term_months"] == 24
    assert proposal["unit"] == "dinkes" and proposal["owner"] == "sumbar" and proposal["shared_with"] is None
    assert proposal["created_by"] == "sumbar-opd_staff-dinkes"

    stored = [p for p in await api.rows(Proposal)]
    assert [p.id for p in stored] == [proposal["id"]] and stored[0].tenant_id == "sumbar"
    history = await api.rows(HistoryEntry)
    assert [(h.proposal_id, h.action, h.stage_to) for h in history] == [(proposal["id"], "create", "persiapan")]
    assert pot["id"] in (history[0].note or "") and rnd["title"] in (history[0].note or "")

    linked = (await api.client.get(f"/v1/potentials/{pot['id']}", headers=SECTION)).json()
    assert linked["proposal_id"] == proposal["id"] and linked["proposed_by"] == "sumbar-opd_staff-dinkes"
    assert (await api.client.get(f"/v1/mapping-rounds/{rnd['id']}", headers=SECTION)).json()["counts"]["proposed"] == 1
    assert [p["id"] for p in (await api.client.get("/v1/potentials?proposed=true", headers=SECTION)).json()] == [pot["id"]]

    again = await api.client.post(f"/v1/potentials/{pot['id']}/propose", json=PROPOSE, headers=DINKES)
    assert again.status_code == 409
    assert len(await api.rows(Proposal)) == 1 and len(await api.rows(HistoryEntry)) == 1
    assert [r.type for r in await api.outbox(None)] == ["id.jalin.proposal.drafted.v1"]  # a draft: only its existence


async def test_who_may_propose_and_what_the_body_must_hold(api: Api) -> None:
    rnd = await api.round()
    pot = await api.potential(rnd["id"], candidate_partners=[])
    url = f"/v1/potentials/{pot['id']}/propose"
    for headers in (TKKSD, SEKDA, AUDITOR, KEPALA, DPRD, PLATFORM):
        assert (await api.client.post(url, json=PROPOSE, headers=headers)).status_code == 403
    other_unit = await api.client.post(url, json=PROPOSE, headers=DPUPR)
    assert other_unit.status_code == 404  # the unit rule: another OPD's potential is not even seen
    no_partner = await api.client.post(url, json=PROPOSE, headers=DINKES)
    assert no_partner.status_code == 422 and "partner" in no_partner.json()["detail"]
    partner = {"name": "PT Sehat Bersama"}
    too_long = await api.client.post(url, json={**PROPOSE, "partner": partner, "term_months": 61}, headers=DINKES)
    assert too_long.status_code == 422
    assert errors_by_field(too_long.json()) == {"term_months": "Input should be less than or equal to 60"}
    wrong_kind = await api.client.post(url, json={**PROPOSE, "partner": partner, "ksdpk_kind": "investment"},
                                       headers=DINKES)
    assert wrong_kind.status_code == 422
    unknown = await api.client.post(url, json={**PROPOSE, "partner": partner, "stage": "pelaksanaan"}, headers=DINKES)
    assert unknown.status_code == 422 and "stage" in errors_by_field(unknown.json())
    assert (await api.client.post("/v1/potentials/nope/propose", json=PROPOSE, headers=SECTION)).status_code == 404
    assert await api.rows(Proposal) == []

    # The section proposes on the unit's behalf, after the round closed, with its own title and objective.
    assert (await api.client.post(f"/v1/mapping-rounds/{rnd['id']}/close", headers=SECTION)).status_code == 200
    body = {**PROPOSE, "kind": "ksdpk", "ksdpk_kind": "public_service", "partner": partner,
            "title": "Layanan rujukan bersama PT Sehat", "objective": "Mempercepat rujukan pasien."}
    r = await api.client.post(url, json=body, headers=SECTION)
    assert r.status_code == 201, r.text
    assert r.json()["unit"] == "dinkes" and r.json()["kind"] == "ksdpk" and r.json()["ksdpk_kind"] == "public_service"
    assert r.json()["title"] == body["title"] and r.json()["objective"] == body["objective"]
    assert r.json()["partner"] == {"name": "PT Sehat Bersama", "tenant": None}
    assert r.json()["created_by"] == "sumbar-kerja_sama-x"


# -- tenant isolation ---------------------------------------------------------------------


async def test_another_tenant_gets_404_on_every_id_route_and_changes_nothing(api: Api) -> None:
    rnd = await api.round()
    pot = await api.potential(rnd["id"])
    before = {
        "round": (await api.client.get(f"/v1/mapping-rounds/{rnd['id']}", headers=SECTION)).json(),
        "potential": (await api.client.get(f"/v1/potentials/{pot['id']}", headers=SECTION)).json(),
    }
    routes: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = [
        ("GET", f"/v1/mapping-rounds/{rnd['id']}", None, OTHER_SECTION),
        ("POST", f"/v1/mapping-rounds/{rnd['id']}/close", None, OTHER_SECTION),
        ("GET", f"/v1/mapping-rounds/{rnd['id']}/missing", None, OTHER_SECTION),
        ("POST", f"/v1/mapping-rounds/{rnd['id']}/potentials", POTENTIAL, OTHER_DINKES),
        ("GET", f"/v1/potentials/{pot['id']}", None, OTHER_SECTION),
        ("POST", f"/v1/potentials/{pot['id']}/propose", PROPOSE, OTHER_SECTION),
        ("POST", f"/v1/potentials/{pot['id']}/propose", PROPOSE, OTHER_DINKES),
    ]
    for method, path, body, headers in routes:
        r = await api.client.request(method, path, json=body, headers=headers)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    assert (await api.client.get("/v1/mapping-rounds", headers=OTHER_SECTION)).json() == []
    assert (await api.client.get(f"/v1/potentials?round_id={rnd['id']}", headers=OTHER_SECTION)).json() == []
    assert (await api.client.get("/v1/potentials", headers=OTHER_DINKES)).json() == []
    # The other region's own round counts nothing of ours.
    theirs = await api.client.post(
        "/v1/mapping-rounds", json={**ROUND, "deadline": (today() + timedelta(days=5)).isoformat()}, headers=OTHER_SECTION
    )
    assert theirs.json()["counts"]["potentials"] == 0 and theirs.json()["counts"]["units_total"] == 4
    missing = await api.client.get(f"/v1/mapping-rounds/{theirs.json()['id']}/missing", headers=OTHER_SECTION)
    assert [m["unit"] for m in missing.json()] == ["dinkes", "dishub", "dpmptsp", "dpupr"]

    after = {
        "round": (await api.client.get(f"/v1/mapping-rounds/{rnd['id']}", headers=SECTION)).json(),
        "potential": (await api.client.get(f"/v1/potentials/{pot['id']}", headers=SECTION)).json(),
    }
    assert after == before
    assert len(await api.rows(Potential)) == 1
    assert await api.rows(Proposal) == []


# -- the scanner: reminders and closing ---------------------------------------------------


async def test_reminders_fire_once_per_offset_and_the_round_closes_after_its_deadline(api: Api) -> None:
    rnd = await api.round(days=10)  # offsets 14, 7, 3, 1; 14 falls before the round existed
    await api.potential(rnd["id"])
    day = lambda n: today() + timedelta(days=n)  # noqa: E731

    assert await api.scan(day(0)) == ScanResult()
    assert await api.outbox() == []

    assert await api.scan(day(3)) == ScanResult(reminders=1)  # 7 days before the deadline
    [row] = await api.outbox()
    assert row.id == reminder_event_id(rnd["id"], 7)
    assert row.subject == "jalin.sumbar.mapping.reminder-due" and row.tenant_id == "sumbar"
    assert row.correlation_id == rnd["id"] and row.source == "/jalin/proposals"
    event = MappingReminderDue.model_validate_json(row.data)
    assert event.round_id == rnd["id"] and event.tenant == "sumbar" and event.round_title == ROUND["title"]
    assert event.deadline == day(10) and event.days_before_deadline == 7
    assert event.missing_units == ["dpupr", "dispar"]

    # Again the same day, and after a restart (a new engine on the same database): nothing more.
    assert await api.scan(day(3)) == ScanResult()
    restarted = Database(api.settings.database_url)
    try:
        assert await scan_mapping(restarted, api.runtime.tenants, day(4)) == ScanResult()
    finally:
        await restarted.dispose()
    assert len(await api.outbox()) == 1

    # The scanner was away on the 3-day offset: only the 1-day reminder fires, with the true days left.
    await api.potential(rnd["id"], headers=DISPAR, affair="pariwisata")
    assert await api.scan(day(9)) == ScanResult(reminders=1)
    rows = await api.outbox()
    assert [r.id for r in rows] == [reminder_event_id(rnd["id"], 7), reminder_event_id(rnd["id"], 1)]
    last = MappingReminderDue.model_validate_json(rows[1].data)
    assert last.days_before_deadline == 1 and last.missing_units == ["dpupr"]
    detail = (await api.client.get(f"/v1/mapping-rounds/{rnd['id']}", headers=SECTION)).json()
    assert [(m["days_before"], m["outcome"]) for m in detail["reminders"]] == [
        (7, "sent"), (3, "superseded"), (1, "sent")
    ]
    assert await api.scan(day(10)) == ScanResult()  # the deadline day: still open, nothing due

    assert await api.scan(day(11)) == ScanResult(closed=1)
    closed = (await api.client.get(f"/v1/mapping-rounds/{rnd['id']}", headers=SECTION)).json()
    assert closed["status"] == "closed" and closed["closed_by"] == "jalin"
    assert await api.scan(day(12)) == ScanResult()
    assert len(await api.outbox()) == 2


async def test_no_reminder_when_every_unit_has_submitted(api: Api) -> None:
    rnd = await api.round(days=7)
    for headers in (DINKES, DPUPR, DISPAR):
        await api.potential(rnd["id"], headers=headers)
    assert await api.scan(today()) == ScanResult()
    assert await api.outbox() == []
    detail = (await api.client.get(f"/v1/mapping-rounds/{rnd['id']}", headers=SECTION)).json()
    assert [(m["days_before"], m["outcome"]) for m in detail["reminders"]] == [(7, "none_missing")]
    assert await api.scan(today() + timedelta(days=6)) == ScanResult()  # 1 day before: still nobody missing
    assert await api.outbox() == []


async def test_no_reminder_for_offsets_before_the_round_existed(api: Api) -> None:
    rnd = await api.round(days=2)  # 14, 7 and 3 days before the deadline all lie in the past
    assert await api.scan(today()) == ScanResult()
    assert await api.outbox() == []
    assert await api.scan(today() + timedelta(days=1)) == ScanResult(reminders=1)
    [row] = await api.outbox()
    assert row.id == reminder_event_id(rnd["id"], 1)


async def test_a_closed_round_is_not_reminded(api: Api) -> None:
    rnd = await api.round(days=7)
    assert (await api.client.post(f"/v1/mapping-rounds/{rnd['id']}/close", headers=SECTION)).status_code == 200
    assert await api.scan(today()) == ScanResult()
    assert await api.outbox() == []


async def test_the_scanner_runs_as_a_background_job(start_service: StartService) -> None:
    api = await start_service(Api, today=today(), mapping_scan_interval_seconds=0.05)
    rnd = await api.round(days=3)  # 3 days before the deadline: the reminder is due today
    rows: list[OutboxMessage] = []
    for _ in range(200):
        rows = await api.outbox()
        if rows and rows[0].sent_at is not None:
            break
        await asyncio.sleep(0.05)
    assert [r.id for r in rows] == [reminder_event_id(rnd["id"], 3)]
    assert rows[0].sent_at is not None  # published to JetStream and acknowledged
    await asyncio.sleep(0.3)  # several more scans
    assert len(await api.outbox()) == 1


async def test_a_rounds_reminder_offsets_default_to_the_regions_setting(api: Api) -> None:
    directory = api.runtime.tenants._tenants  # the tenant directory file, as a region set it
    directory["sumbar"] = directory["sumbar"].model_copy(update={"mapping_reminder_offsets_days": [30, 10, 0, 10]})
    try:
        rnd = await api.round(days=40)
        assert rnd["reminder_offsets_days"] == [30, 10, 0]
        own = await api.round(days=40, reminder_offsets_days=[5])
        assert own["reminder_offsets_days"] == [5]  # a round may still set its own
    finally:
        directory["sumbar"] = directory["sumbar"].model_copy(update={"mapping_reminder_offsets_days": [14, 7, 3, 1]})
