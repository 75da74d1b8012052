"""Tenant isolation: a token of tenant B gets 404 for tenant A's objects on every
ID-taking route, and its attempts change nothing of A's."""

from __future__ import annotations

import httpx
import pytest

from jalin_cli.platform import SERVICES, Platform
from jalin_e2e import Api, wait_for

# Every route with a path parameter, per service, and how to call it. The test below
# fails if a service grows an ID-taking route this table does not cover.
ID_ROUTES: dict[str, list[tuple[str, str, dict[str, object] | None]]] = {
    "proposals": [
        ("GET", "/v1/proposals/{proposal_id}", None),
        ("PATCH", "/v1/proposals/{proposal_id}", {"title": "Diubah oleh tenant lain"}),
        ("POST", "/v1/proposals/{proposal_id}/submit", None),
        ("POST", "/v1/proposals/{proposal_id}/approve", None),
        ("POST", "/v1/proposals/{proposal_id}/reject", {"reason": "Ditolak oleh tenant lain"}),
    ],
    "documents": [
        ("GET", "/v1/documents/{document_id}", None),
        ("GET", "/v1/documents/{document_id}/content", None),
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
            (method.upper(), path)
            for path, ops in spec["paths"].items()
            if "{" in path and not path.startswith(ADMIN_PREFIX)
            for method in ops
        }
        covered = {(m, p) for m, p, _ in ID_ROUTES[service]}
        assert routes == covered, f"{service}: untested ID routes {routes - covered}"


@pytest.fixture
def objects_of_a(api: Api) -> dict[str, str]:
    """One approved proposal of sumbar with its document, message and plan."""
    proposal = api.create()
    api.submit(proposal["id"])
    api.approve(proposal["id"])
    pid = proposal["id"]
    doc = wait_for(lambda: api.documents(pid), what="document")[0]
    msg = wait_for(lambda: api.inbox(pid), what="message")[0]
    plan = wait_for(lambda: api.plans(pid), what="plan")[0]
    # A second, still-submitted proposal so approve/reject would be legal for its owner.
    pending = api.create(title="Usulan yang menunggu")
    api.submit(pending["id"])
    return {"proposal_id": pid, "pending_id": pending["id"], "document_id": doc["id"],
            "message_id": msg["id"], "plan_id": plan["id"]}


ALL_ROLES = ["opd_staff", "opd_head", "kerja_sama", "tkksd", "sekda", "kepala_daerah", "dprd", "auditor"]


def test_other_tenant_gets_404_everywhere_and_changes_nothing(
    platform: Platform, api: Api, objects_of_a: dict[str, str]
) -> None:
    # Same unit id in the other tenant, every role: only the tenant differs.
    intruder = Api(platform, tenant="kukar", unit=api.unit)
    headers = intruder.headers(*ALL_ROLES)
    for service, routes in ID_ROUTES.items():
        for method, path, body in routes:
            for key in ("proposal_id", "pending_id"):
                if "{proposal_id}" in path:
                    url = path.replace("{proposal_id}", objects_of_a[key])
                else:
                    url = path.format(**objects_of_a)
                r = intruder.client.request(method, intruder.url(service, url), json=body, headers=headers)
                assert r.status_code == 404, f"{method} {service}{url}: {r.status_code} {r.text}"
                assert "sumbar" not in r.text

    # Lists filtered by A's proposal show B nothing.
    pid = objects_of_a["proposal_id"]
    for service, path in (("documents", "/v1/documents"), ("notifications", "/v1/inbox"),
                          ("evaluation", "/v1/plans")):
        r = intruder.client.get(intruder.url(service, path), params={"proposal_id": pid}, headers=headers)
        assert r.status_code == 200 and r.json() == [], f"{service} list leaked"
    listed = intruder.client.get(intruder.url("proposals", "/v1/proposals"), headers=headers).json()
    assert pid not in {p["id"] for p in listed}

    # Nothing of A's changed.
    p = api.get("proposals", f"/v1/proposals/{pid}").json()
    assert p["status"] == "approved" and p["title"] == "Jalan & Jembatan <Tahap 1>"
    pending = api.get("proposals", f"/v1/proposals/{objects_of_a['pending_id']}").json()
    assert pending["status"] == "submitted"
    msg = api.get("notifications", f"/v1/inbox/{objects_of_a['message_id']}").json()
    assert msg["read_at"] is None
    assert len(api.documents(pid)) == 1


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
    r = api.client.post(api.url("proposals", f"/v1/proposals/{p['id']}/approve"), headers=api.staff)
    assert r.status_code == 403 and "approve needs one of the roles" in r.json()["detail"]
    r = api.client.post(api.url("proposals", f"/v1/proposals/{p['id']}/approve"), headers=api.section)
    assert r.status_code == 409 and "draft" in r.json()["detail"]
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
