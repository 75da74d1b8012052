"""Tenants are onboarded, not invented, on the platform as processes: a valid token of a
region nobody onboarded, or of a disabled one, is refused by every service and changes
nothing; a region added with ``jalin tenants add`` works everywhere without a restart; the
registry knows all 552 regions of Indonesia by their Kemendagri codes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import httpx
import pytest
from jalin_e2e import PROPOSAL, Api, wait_for
from jalin_kit.auth import issue_dev_token

from jalin_cli.platform import SERVICES, Platform

# One route of each service every tenant role may call, and the write an intruder would try.
READS = {"proposals": "/v1/proposals", "documents": "/v1/documents", "notifications": "/v1/inbox",
         "evaluation": "/v1/plans"}


def jalin(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    """The operator's ``jalin`` command against this platform."""
    ports = [f"--{name}-port={platform.services[name].port}" for name in SERVICES]
    env = {**os.environ, "JALIN_JWT_SECRET": platform.config.jwt_secret}
    return subprocess.run([sys.executable, "-m", "jalin_cli", *args, *ports], capture_output=True, text=True,
                          env=env, timeout=60)


def answers(api: Api, headers: dict[str, str]) -> dict[str, int]:
    return {name: api.client.get(api.url(name, path), headers=headers).status_code for name, path in READS.items()}


def test_all_552_regions_are_in_the_registry(api: Api) -> None:
    regions = api.get("proposals", "/v1/regions", headers=api.section).json()
    assert len(regions) == 552
    assert Counter(r["kind"] for r in regions) == {"provinsi": 38, "kabupaten": 416, "kota": 98}
    by_code = {r["code"]: r for r in regions}
    assert (by_code["13"]["name"], by_code["13"]["tenant"]) == ("Sumatera Barat", "sumbar")
    assert (by_code["64.02"]["name"], by_code["64.02"]["timezone"]) == ("Kabupaten Kutai Kartanegara", "WITA")
    assert by_code["94.04"]["timezone"] == "WIT" and by_code["96"]["name"] == "Papua Barat Daya"


def test_a_region_nobody_onboarded_is_refused_everywhere_and_changes_nothing(platform: Platform, api: Api) -> None:
    evil = Api(platform, tenant="evil", unit="dinkes")
    before = api.get("proposals", "/v1/offers", headers=Api(platform, tenant="kukar").section).json()
    for role in ("opd_staff", "kerja_sama", "sekda"):
        assert set(answers(api, evil.headers(role)).values()) == {401}
    r = api.client.post(api.url("proposals", "/v1/proposals"), json=PROPOSAL, headers=evil.staff)
    assert r.status_code == 401 and r.json()["detail"] == "tenant 'evil' is not a region onboarded on this Jalin"
    assert api.get("proposals", "/v1/offers", headers=Api(platform, tenant="kukar").section).json() == before


def test_a_region_added_and_disabled_with_the_jalin_command_needs_no_restart(platform: Platform, api: Api) -> None:
    if platform.config.database_urls:
        pytest.skip("the registry's own tests run on both stores (services/proposals/tests/test_registry.py): "
                    "across processes, SQLite only")
    padang = Api(platform, tenant="kota-padang", unit="dinkes")
    assert set(answers(api, padang.section).values()) == {401}

    added = jalin(platform, "tenants", "add", "13.71", "--head-name", "Hendri Septa", "--seat", "Padang",
                  "--email-domain", "padang.go.id", "--unit", "dinkes=Dinas Kesehatan")
    assert added.returncode == 0, added.stderr
    assert "kota-padang: Pemerintah Kota Padang (kota, kode 13.71, WIB)" in added.stdout
    # Every service learns of it from the registry's event: no restart, no file copied by hand.
    wait_for(lambda: set(answers(api, padang.section).values()) == {200}, what="the new region admitted everywhere")
    draft = padang.create(partner={"name": "Pemerintah Provinsi Sumatera Barat", "tenant": "sumbar"})
    assert draft["owner"] == "kota-padang"
    shown = jalin(platform, "tenants", "show", "kota-padang")
    assert shown.returncode == 0 and shown.stdout.count("version 1, active") == 3  # the three copies

    disabled = jalin(platform, "tenants", "disable", "kota-padang")
    assert disabled.returncode == 0 and "disabled, version 2" in disabled.stdout
    wait_for(lambda: set(answers(api, padang.section).values()) == {403}, what="the disabled region refused everywhere")
    r = api.client.patch(api.url("proposals", f"/v1/proposals/{draft['id']}"), json={"title": "Diubah"},
                         headers=padang.staff)
    assert r.status_code == 403 and r.json()["detail"] == "tenant 'kota-padang' is disabled on this Jalin"
    listed = jalin(platform, "tenants", "list", "--status", "disabled")
    assert "kota-padang" in listed.stdout

    assert jalin(platform, "tenants", "enable", "kota-padang").returncode == 0
    wait_for(lambda: set(answers(api, padang.section).values()) == {200}, what="the region enabled again")
    stored = api.client.get(api.url("proposals", f"/v1/proposals/{draft['id']}"), headers=padang.staff).json()
    assert stored["title"] == draft["title"]  # the refused edit changed nothing
    # What the operator may not do is refused with a clear message, no traceback.
    bad = jalin(platform, "tenants", "add", "99.99", "--head-name", "X Y", "--seat", "Nowhere", "--email-domain", "x.id")
    assert bad.returncode == 1 and "region_code" in bad.stderr and "Traceback" not in bad.stderr


def test_the_platform_operator_is_no_region(platform: Platform, api: Api) -> None:
    operator = Api(platform, tenant="platform").headers("platform_admin", unit=None)
    assert answers(api, operator) == {name: 403 for name in READS}
    assert httpx.get(api.url("documents", "/v1/admin/tenants/sumbar"), headers=operator).json()["id"] == "sumbar"


def test_claims_are_matched_whole(platform: Platform, api: Api) -> None:
    """A tenant or unit claim with a trailing newline once passed the check (``re.match`` and
    ``$``) and made events that could never be published."""
    for tenant, unit in (("sumbar\n", "dinkes"), ("sumbar", "dinkes\n"), ("sumbar\r\n", None), ("sumbar ", None)):
        token = issue_dev_token(platform.config.jwt_secret, tenant=tenant, roles=["opd_staff"], user="x", unit=unit)
        headers = {"Authorization": f"Bearer {token}"}
        assert set(answers(api, headers).values()) == {401}, (tenant, unit)
        r = api.client.post(api.url("proposals", "/v1/proposals"), json=PROPOSAL, headers=headers)
        assert r.status_code == 401 and "claim must be" in r.json()["detail"]
