"""Tenant isolation: a token of tenant B gets 404 for tenant A's objects on every
ID-taking route, and its attempts change nothing of A's."""

from __future__ import annotations

import datetime
import re

import httpx
import pytest

from jalin_cli.platform import SERVICES, Platform
from jalin_e2e import Api, signing, wait_for

# Every route with a path parameter, per service, and how to call it. The test below
# fails if a service grows an ID-taking route this table does not cover.
ID_ROUTES: dict[str, list[tuple[str, str, dict[str, object] | None]]] = {
    "proposals": [
        ("GET", "/v1/proposals/{proposal_id}", None),
        ("PATCH", "/v1/proposals/{proposal_id}", {"title": "Diubah oleh tenant lain"}),
        ("POST", "/v1/proposals/{proposal_id}/submit", None),
        ("POST", "/v1/proposals/{proposal_id}/approve", None),
        ("POST", "/v1/proposals/{proposal_id}/reject", {"reason": "Ditolak oleh tenant lain"}),
        ("GET", "/v1/proposals/{proposal_id}/actions", None),
        ("POST", "/v1/proposals/{proposal_id}/actions/{command}", None),
        ("POST", "/v1/proposals/{proposal_id}/comments", {"text": "Komentar tenant lain"}),
        ("POST", "/v1/proposals/{proposal_id}/extend", None),
        ("GET", "/v1/proposals/{proposal_id}/history", None),
        ("GET", "/v1/agreements/{agreement_id}", None),
        ("POST", "/v1/agreements/{agreement_id}/addenda", {**signing("ADD-X"), "summary": "Adendum tenant lain"}),
        ("GET", "/v1/mapping-rounds/{round_id}", None),
        ("POST", "/v1/mapping-rounds/{round_id}/close", None),
        ("GET", "/v1/mapping-rounds/{round_id}/missing", None),
        ("POST", "/v1/mapping-rounds/{round_id}/potentials", {
            "affair": "kesehatan", "title": "Potensi tenant lain", "description": "Deskripsi potensi.",
            "benefit": "Manfaat bersama.", "candidate_partners": []}),
        ("GET", "/v1/potentials/{potential_id}", None),
        ("POST", "/v1/potentials/{potential_id}/propose", {
            "kind": "ksdd", "partner": {"name": "Kabupaten Lain"}, "scope": "Ruang lingkup.", "term_months": 12,
            "financing": "APBD."}),
    ],
    "documents": [
        ("GET", "/v1/documents/{document_id}", None),
        ("GET", "/v1/documents/{document_id}/content", None),
        ("GET", "/v1/attachments/{attachment_id}", None),
        ("GET", "/v1/attachments/{attachment_id}/content", None),
        ("DELETE", "/v1/attachments/{attachment_id}", None),
    ],
    "notifications": [
        ("GET", "/v1/inbox/{message_id}", None),
        ("POST", "/v1/inbox/{message_id}/read", None),
    ],
    "evaluation": [("GET", "/v1/plans/{plan_id}", None)],
}
ADMIN_PREFIX = "/v1/admin/"  # platform_admin routes, tested with the dead letters


def test_table_covers_every_id_route(platform: Platform) -> None:
    for service in SERVICES:
        spec = httpx.get(f"{platform.url(service)}/openapi.json").json()
        routes = {
            # One route per lifecycle command, all of one shape: the table calls several of them.
            (method.upper(), re.sub(r"/actions/[a-z_]+$", "/actions/{command}", path))
            for path, ops in spec["paths"].items()
            if "{" in path and not path.startswith(ADMIN_PREFIX)
            for method in ops
        }
        covered = {(m, p) for m, p, _ in ID_ROUTES[service]}
        assert routes == covered, f"{service}: untested ID routes {routes - covered}"


@pytest.fixture
def objects_of_a(api: Api) -> dict[str, str]:
    """Sumbar's objects of every kind: an approved proposal with its document, message,
    plan and attachment; a signed KB; a mapping round with a potential."""
    proposal = api.create()
    api.submit(proposal["id"])
    api.approve(proposal["id"])
    pid = proposal["id"]
    doc = wait_for(lambda: api.documents(pid), what="document")[0]
    msg = wait_for(lambda: api.inbox(pid), what="message")[0]
    plan = wait_for(lambda: api.plans(pid), what="plan")[0]
    attachment = api.upload_attachment(pid)
    # A second, still-submitted proposal so approve/reject would be legal for its owner.
    pending = api.create(title="Usulan yang menunggu")
    api.submit(pending["id"])
    # A cooperation with a signed KB (partner outside Jalin: sumbar records its answer).
    signed = api.approved_proposal(title="Kerja sama dengan mitra di luar Jalin", partner={"name": "Kota Solok"})
    api.act(signed["id"], "accept_offer", api.section)
    api.act(signed["id"], "finalize_kb", api.section)
    api.act(signed["id"], "sign_kb", api.headers("kepala_daerah", unit=None), signing("KB-ISO"))
    agreement = api.get("proposals", "/v1/agreements", proposal_id=signed["id"]).json()[0]
    rnd = api.client.post(api.url("proposals", "/v1/mapping-rounds"), headers=api.section, json={
        "title": "Pemetaan Potensi 2027", "year": 2027,
        "deadline": (datetime.date.today() + datetime.timedelta(days=60)).isoformat()}).json()
    potential = api.client.post(api.url("proposals", f"/v1/mapping-rounds/{rnd['id']}/potentials"), headers=api.staff,
                                json={"affair": "kesehatan", "title": "Rujukan pasien", "description": "Rujukan.",
                                      "benefit": "Akses layanan."}).json()
    return {"proposal_id": pid, "pending_id": pending["id"], "document_id": doc["id"],
            "message_id": msg["id"], "plan_id": plan["id"], "attachment_id": attachment["id"],
            "agreement_id": agreement["id"], "round_id": rnd["id"], "potential_id": potential["id"],
            "command": "approve"}


ALL_ROLES = ["opd_staff", "opd_head", "kerja_sama", "tkksd", "sekda", "kepala_daerah", "dprd", "auditor"]


def test_other_tenant_gets_404_everywhere_and_changes_nothing(
    platform: Platform, api: Api, objects_of_a: dict[str, str]
) -> None:
    # A third tenant (kukar is the partner of the sample proposal and sees it by design),
    # with the same unit id and every role: only the tenant differs.
    intruder = Api(platform, tenant="kaltim", unit=api.unit)
    headers = intruder.headers(*ALL_ROLES)
    pid = objects_of_a["proposal_id"]
    history_before = api.get("proposals", f"/v1/proposals/{pid}/history").json()
    for service, routes in ID_ROUTES.items():
        for method, path, body in routes:
            for key in ("proposal_id", "pending_id"):
                for command in ("approve", "reject", "submit", "finalize_kb") if "{command}" in path else ("approve",):
                    filled = {**objects_of_a, "command": command}
                    url = path.replace("{proposal_id}", objects_of_a[key]).format(**filled)
                    r = intruder.client.request(method, intruder.url(service, url), json=body, headers=headers)
                    assert r.status_code == 404, f"{method} {service}{url}: {r.status_code} {r.text}"
                    assert "sumbar" not in r.text

    # Lists filtered by A's proposal show B nothing.
    for service, path in (("documents", "/v1/documents"), ("notifications", "/v1/inbox"),
                          ("evaluation", "/v1/plans"), ("documents", "/v1/attachments"),
                          ("proposals", "/v1/agreements")):
        r = intruder.client.get(intruder.url(service, path), params={"proposal_id": pid}, headers=headers)
        assert r.status_code == 200 and r.json() == [], f"{service} {path} leaked"
    for path in ("/v1/proposals", "/v1/offers", "/v1/agreements", "/v1/mapping-rounds", "/v1/potentials"):
        r = intruder.client.get(intruder.url("proposals", path), headers=headers)
        assert r.status_code == 200 and r.json() == [], f"proposals {path} leaked: {r.text[:200]}"

    # Nothing of A's changed.
    p = api.get("proposals", f"/v1/proposals/{pid}").json()
    assert p["status"] == "approved" and p["title"] == "Jalan & Jembatan <Tahap 1>"
    assert api.get("proposals", f"/v1/proposals/{pid}/history").json() == history_before
    pending = api.get("proposals", f"/v1/proposals/{objects_of_a['pending_id']}").json()
    assert pending["status"] == "submitted"
    msg = api.get("notifications", f"/v1/inbox/{objects_of_a['message_id']}").json()
    assert msg["read_at"] is None
    assert len(api.documents(pid)) == 1
    assert api.get("documents", f"/v1/attachments/{objects_of_a['attachment_id']}").status_code == 200
    assert len(api.get("proposals", "/v1/agreements", proposal_id=p["id"]).json()) == 0
    agreement = api.get("proposals", f"/v1/agreements/{objects_of_a['agreement_id']}").json()
    assert [a["id"] for a in api.get("proposals", "/v1/agreements", proposal_id=agreement["proposal_id"]).json()] == [
        agreement["id"]]
    rnd = api.get("proposals", f"/v1/mapping-rounds/{objects_of_a['round_id']}").json()
    assert rnd["status"] == "open"
    potential = api.get("proposals", f"/v1/potentials/{objects_of_a['potential_id']}").json()
    assert potential["proposal_id"] is None
    assert len(api.get("proposals", "/v1/potentials", round_id=objects_of_a["round_id"]).json()) == 1


def test_platform_admin_sees_no_tenant_content(platform: Platform, api: Api, objects_of_a: dict[str, str]) -> None:
    operator = Api(platform, tenant="platform")
    for headers in (
        operator.headers("platform_admin", unit=None),
        operator.headers("platform_admin", "kerja_sama", unit=None),  # no tenant roles in the operators' tenant
        Api(platform, tenant="sumbar").headers("platform_admin", unit=None),
    ):
        r = api.client.get(api.url("proposals", f"/v1/proposals/{objects_of_a['proposal_id']}"), headers=headers)
        assert r.status_code == 403
        r = api.client.get(api.url("documents", f"/v1/documents/{objects_of_a['document_id']}/content"), headers=headers)
        assert r.status_code == 403


def test_only_the_operators_tenant_reaches_the_dead_letters(platform: Platform, api: Api) -> None:
    tenant_admin = Api(platform, tenant="sumbar").headers("platform_admin", "kerja_sama", unit=None)
    operator = Api(platform, tenant="platform").headers("platform_admin", unit=None)
    for service in ("documents", "notifications", "evaluation"):
        url = api.url(service, "/v1/admin/dead-letters")
        assert api.client.get(url, headers=tenant_admin).status_code == 403
        assert api.client.get(url, headers=api.section).status_code == 403
        assert api.client.get(url, headers=operator).status_code == 200
        assert api.client.post(f"{url}/1/replay", headers=tenant_admin).status_code == 403


def test_role_rules_over_http(api: Api) -> None:
    p = api.create()
    r = api.client.post(api.url("proposals", f"/v1/proposals/{p['id']}/approve"), headers=api.section)
    assert r.status_code == 409 and "stage persiapan" in r.json()["detail"]
    api.submit(p["id"])
    r = api.client.post(api.url("proposals", f"/v1/proposals/{p['id']}/approve"), headers=api.staff)
    assert r.status_code == 403 and "approve needs one of the roles" in r.json()["detail"]
    r = api.client.post(api.url("proposals", "/v1/proposals"), json={}, headers=api.headers("auditor"))
    assert r.status_code in (403, 422)
    r = api.client.post(
        api.url("proposals", "/v1/proposals"),
        json={"title": "Usulan", "kind": "ksdd", "partner": {"name": "Mitra"}, "objective": "abc",
              "scope": "abc", "term_months": 12, "financing": "APBD", "tenant_id": "kukar", "status": "approved"},
        headers=api.staff,
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"tenant_id", "status"}
