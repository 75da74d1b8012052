"""The tenant registry this service owns: onboarding, changes, disabling and enabling by the
platform operator, each with its ``tenant.changed`` event; tokens of regions that are not
onboarded or are disabled refused; partners named by tenant id only if they are on Jalin."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jalin_kit.events import REGISTRY_TENANT, TenantChanged
from jalin_kit.outbox import OutboxMessage
from jalin_kit.runtime import ServiceRuntime
from sqlmodel import select

from services.proposals.tests.conftest import Service, StartService, caller, proposal


def auth(tenant: str, role: str, unit: str | None = None) -> dict[str, str]:
    return caller(tenant, role, unit=unit)


OPERATOR = auth("platform", "platform_admin")
SUMBAR = auth("sumbar", "kerja_sama")
SUMBAR_STAFF = auth("sumbar", "opd_staff", "dinkes")
ONBOARD: dict[str, Any] = {
    "region_code": "13.71",
    "head_name": "Hendri Septa",
    "seat": "Padang",
    "email_domain": "padang.go.id",
    "units": {"dinkes": "Dinas Kesehatan Kota Padang", "bappeda": "Bappeda"},
}
PROPOSAL = proposal(title="Pengelolaan Air Minum", partner=None)


@pytest.fixture
async def client(start_service: StartService) -> tuple[httpx.AsyncClient, ServiceRuntime]:
    service = await start_service(Service)
    return service.client, service.runtime


async def registry_events(runtime: ServiceRuntime) -> list[TenantChanged]:
    async with runtime.db.system_session() as s:
        rows = (await s.exec(select(OutboxMessage).where(OutboxMessage.tenant_id == REGISTRY_TENANT)
                             .order_by(OutboxMessage.created_at))).all()
    assert all(r.subject == "jalin.platform.tenant.changed" and r.source == "/jalin/proposals" for r in rows)
    return [TenantChanged.model_validate_json(r.data) for r in rows]


async def test_the_seed_is_onboarded_with_its_events(client: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    c, runtime = client
    listed = (await c.get("/v1/admin/tenants", headers=OPERATOR)).json()
    assert [t["id"] for t in listed] == ["kaltim", "kukar", "sumbar"]
    assert {(e.tenant_id, e.change, e.record.version) for e in await registry_events(runtime)} == {
        ("kaltim", "onboarded", 1), ("kukar", "onboarded", 1), ("sumbar", "onboarded", 1)
    }


async def test_onboarding_a_region_from_its_code(client: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    c, runtime = client
    padang = auth("kota-padang", "kerja_sama")
    assert (await c.get("/v1/proposals", headers=padang)).status_code == 401  # not onboarded yet

    r = await c.post("/v1/admin/tenants", json=ONBOARD, headers=OPERATOR)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["id"], body["name"], body["kind"], body["province_code"], body["timezone"]) == (
        "kota-padang", "Pemerintah Kota Padang", "kota", "13", "WIB"
    )
    assert (body["head_title"], body["cooperation_section"], body["version"], body["status"]) == (
        "Wali Kota Padang", "Bagian Kerja Sama Setda Kota Padang", 1, "active"
    )
    assert body["max_term_months"] == 60 and body["reminder_offsets_days"] == [90, 60, 30, 7, 0]
    event = (await registry_events(runtime))[-1]
    assert (event.tenant_id, event.change, event.changed_by, event.record.id) == (
        "kota-padang", "onboarded", "platform-platform_admin", "kota-padang"
    )
    # Admitted at once, here; its peers can name it as a partner.
    assert (await c.get("/v1/proposals", headers=padang)).status_code == 200
    assert "kota-padang" in {t["id"] for t in (await c.get("/v1/tenants", headers=SUMBAR)).json()}
    region = (await c.get("/v1/regions", params={"q": "kota padang", "province_code": "13"}, headers=SUMBAR)).json()
    assert [(x["code"], x["tenant"]) for x in region] == [("13.71", "kota-padang"), ("13.74", None)]
    everything = (await c.get("/v1/regions", headers=SUMBAR)).json()
    assert len(everything) == 552 and {x["code"]: x["tenant"] for x in everything}["64.02"] == "kukar"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"region_code": "99.99"}, 422, "region_code"),
        ({"region_code": "13.7"}, 422, "region_code"),
        ({"id": "platform"}, 422, "id"),
        ({"id": "Kota Padang"}, 422, "id"),
        ({"units": {"Dinas Kesehatan": "x"}}, 422, "units"),
        ({"email_domain": "padang"}, 422, "email_domain"),
        ({"settings": {"max_term_months": 61}}, 422, "settings.max_term_months"),
        ({"settings": {"monev_rounds_per_year": 5}}, 422, "settings.monev_rounds_per_year"),  # no whole months
        ({"settings": {"anything": 1}}, 422, "settings.anything"),
        ({"region_code": "13"}, 409, None),  # Sumatera Barat is onboarded already (as sumbar)
        ({"id": "sumbar"}, 409, None),
    ],
)
async def test_onboarding_refusals(
    client: tuple[httpx.AsyncClient, ServiceRuntime], change: dict[str, Any], status: int, field: str | None
) -> None:
    c, runtime = client
    before = len(await registry_events(runtime))
    r = await c.post("/v1/admin/tenants", json={**ONBOARD, **change}, headers=OPERATOR)
    assert r.status_code == status, r.text
    if field:
        assert any(f == field or f.startswith(f"{field}.") for f in (e["field"] for e in r.json()["errors"])), r.text
    assert len(await registry_events(runtime)) == before


async def test_only_the_operator_runs_the_registry(client: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    c, _ = client
    for headers in (SUMBAR, auth("platform", "kerja_sama"), auth("sumbar", "platform_admin")):
        assert (await c.post("/v1/admin/tenants", json=ONBOARD, headers=headers)).status_code == 403
        assert (await c.get("/v1/admin/tenants", headers=headers)).status_code == 403
        assert (await c.post("/v1/admin/tenants/kukar/disable", headers=headers)).status_code == 403
    assert (await c.get("/v1/tenants", headers=OPERATOR)).status_code == 403  # the operator sees no region's content


async def test_disabled_regions_are_refused_and_enabled_again(client: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    c, runtime = client
    kukar = auth("kukar", "kerja_sama")
    assert (await c.get("/v1/proposals", headers=kukar)).status_code == 200
    r = await c.post("/v1/admin/tenants/kukar/disable", headers=OPERATOR)
    assert r.status_code == 200 and r.json()["status"] == "disabled" and r.json()["version"] == 2
    refused = await c.get("/v1/proposals", headers=kukar)
    assert refused.status_code == 403 and refused.json()["detail"] == "tenant 'kukar' is disabled on this Jalin"
    assert "kukar" not in {t["id"] for t in (await c.get("/v1/tenants", headers=SUMBAR)).json()}
    # No new cooperation names it, and an offer to it is not made while it is disabled.
    named = await c.post("/v1/proposals", json={**PROPOSAL, "partner": {"name": "Kukar", "tenant": "kukar"}},
                         headers=SUMBAR_STAFF)
    assert named.status_code == 422 and named.json()["errors"][0]["field"] == "partner.tenant"

    assert (await c.post("/v1/admin/tenants/kukar/enable", headers=OPERATOR)).json()["version"] == 3
    assert (await c.get("/v1/proposals", headers=kukar)).status_code == 200
    assert [e.change for e in await registry_events(runtime) if e.tenant_id == "kukar"] == [
        "onboarded", "disabled", "enabled"
    ]
    assert (await c.post("/v1/admin/tenants/nobody/disable", headers=OPERATOR)).status_code == 404


async def test_changing_a_region(client: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    c, runtime = client
    r = await c.patch("/v1/admin/tenants/sumbar", headers=OPERATOR, json={
        "head_name": "Gubernur Baru", "units": {"dinkes": "Dinas Kesehatan", "bappeda": "Bappeda"},
        "settings": {"max_term_months": 36, "monev_rounds_per_year": 4},
    })
    assert r.status_code == 200, r.text
    assert (r.json()["head_name"], r.json()["version"], r.json()["max_term_months"]) == ("Gubernur Baru", 2, 36)
    assert r.json()["region_code"] == "13" and r.json()["name"] == "Pemerintah Provinsi Sumatera Barat"
    assert (await registry_events(runtime))[-1].record.units == {"dinkes": "Dinas Kesehatan", "bappeda": "Bappeda"}
    # A token's unit must be one of the region's units.
    assert (await c.get("/v1/proposals", headers=auth("sumbar", "opd_staff", "bappeda"))).status_code == 200
    gone = await c.get("/v1/proposals", headers=auth("sumbar", "opd_staff", "dpupr"))
    assert gone.status_code == 403 and "unit 'dpupr'" in gone.json()["detail"]
    bad = await c.patch("/v1/admin/tenants/sumbar", headers=OPERATOR, json={"region_code": "14"})
    assert bad.status_code == 422  # the code, id and kind of a region do not change


async def test_a_token_of_a_region_nobody_onboarded_changes_nothing(client: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    c, runtime = client
    evil = auth("evil", "opd_staff", "dinkes")
    r = await c.post("/v1/proposals", json={**PROPOSAL, "partner": {"name": "Kukar", "tenant": "kukar"}}, headers=evil)
    assert r.status_code == 401 and r.json()["detail"] == "tenant 'evil' is not a region onboarded on this Jalin"
    assert (await c.get("/v1/offers", headers=auth("kukar", "kerja_sama"))).json() == []
    async with runtime.db.system_session() as s:
        assert (await s.exec(select(OutboxMessage).where(OutboxMessage.tenant_id == "evil"))).all() == []


async def test_a_partner_is_a_region_on_jalin_or_named_without_tenant(client: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    c, _ = client
    for tenant, status in (("evil", 422), ("sumbar", 422), ("kukar", 201), (None, 201)):
        partner = {"name": "Mitra", **({"tenant": tenant} if tenant else {})}
        r = await c.post("/v1/proposals", json={**PROPOSAL, "partner": partner}, headers=SUMBAR_STAFF)
        assert r.status_code == status, (tenant, r.text)
    draft = r.json()["id"]
    edit = await c.patch(f"/v1/proposals/{draft}", json={"partner": {"name": "Mitra Jahat", "tenant": "evil"}}, headers=SUMBAR_STAFF)
    assert edit.status_code == 422 and edit.json()["errors"][0]["field"] == "partner.tenant"
