"""Usulan baru and Ubah usulan, drawn from the proposals service's own schemas: a kind's own
fields, the partner among the regions on Jalin, the service's refusals beside their fields
in Indonesian, and an edit only of a draft of one's own unit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jalin_e2e import Api

from jalin_cli.platform import Platform
from tests.console.conftest import csrf_of, signed_in

BASE = {"title": "Penyediaan air bersih bersama", "kind": "ksdpk", "partner.name": "PT Air Minum Nagari",
        "objective": "Air bersih untuk tiga kecamatan.", "scope": "Pembangunan dan pengelolaan SPAM.",
        "term_months": "24", "financing": "Investasi pihak ketiga.", "initiator": "third_party",
        "ksdpk_kind": "public_service"}


@pytest.fixture(scope="module")
def ani(console_platform: Platform) -> httpx.Client:
    return signed_in(console_platform, "sumbar", "ani.opd")


def post(client: httpx.Client, path: str, form: dict[str, str]) -> httpx.Response:
    return client.post(path, data={**form, "csrf": csrf_of(client, "/usulan")})


def error_of(page: str, name: str) -> str:
    """The error shown beside the field ``name`` (its id in the form)."""
    return page.split(f'id="{name}-error">', 1)[1].split("</p>", 1)[0]


def test_the_create_form_is_the_services_schema(ani: httpx.Client) -> None:
    page = ani.get("/usulan/baru").text
    for label in ("Sifat KSDD (hanya KSDD)", "Prakarsa (hanya KSDPK)", "Bentuk KSDPK", "Pejabat penghubung (PPKSD)",
                  "Membebani masyarakat dan daerah", "Mitra di Jalin", "Nama mitra"):
        assert label in page, label
    assert 'max="60"' in page and 'maxlength="200"' in page  # the schema's own limits
    assert '<option value="kukar"' in page and '<option value="sumbar"' not in page  # never oneself


def test_a_ksdpk_with_its_own_fields_is_created(console_platform: Platform, ani: httpx.Client) -> None:
    r = post(ani, "/usulan/baru", BASE)
    assert r.status_code == 303, r.text[:800]
    pid = r.headers["location"].split("/usulan/", 1)[1].split("?", 1)[0]
    api = Api(console_platform)
    p = api.get("proposals", f"/v1/proposals/{pid}", headers=api.section).json()
    assert (p["kind"], p["initiator"], p["ksdpk_kind"], p["partner"]) == (
        "ksdpk", "third_party", "public_service", {"name": "PT Air Minum Nagari", "tenant": None})
    assert p["unit"] == "dinkes" and p["in_draft"]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"term_months": "61"}, "term_months", "Maksimal 60."),
    ({"title": "AB"}, "title", "Minimal 3 karakter."),
    ({"partner.name": ""}, "partner.name", "Wajib diisi."),
    ({"kind": "ksdd"}, "", "initiator and ksdpk_kind apply to a KSDPK only"),
])
def test_a_refusal_is_beside_its_field(ani: httpx.Client, change: dict[str, str], field: str, message: str) -> None:
    r = post(ani, "/usulan/baru", {**BASE, **change})
    assert r.status_code == 422 and "Periksa kembali isian yang ditandai." in r.text
    if field:
        assert message in error_of(r.text, field)
    else:
        assert message in r.text.split('role="alert">', 1)[1].split("</div>", 1)[0]
    for name, value in {**BASE, **change}.items():  # what was typed stays
        if value and name not in ("kind", "initiator", "ksdpk_kind"):
            assert f'value="{value}"' in r.text or f">{value}</textarea>" in r.text, name


def draft(console_platform: Platform, **changes: Any) -> str:
    return str(Api(console_platform).create(**changes)["id"])


def test_an_edit_of_a_draft(console_platform: Platform, ani: httpx.Client) -> None:
    pid = draft(console_platform, title="Draf untuk diubah")
    page = ani.get(f"/usulan/{pid}").text
    assert f'href="/usulan/{pid}/ubah"' in page
    form = ani.get(f"/usulan/{pid}/ubah").text
    assert 'value="Draf untuk diubah"' in form and "<h1>Ubah usulan</h1>" in form
    r = post(ani, f"/usulan/{pid}/ubah", {"title": "X", "kind": "ksdd", "partner.name": "Kota Solok"})
    assert r.status_code == 422 and "Minimal 3 karakter." in error_of(r.text, "title")
    r = post(ani, f"/usulan/{pid}/ubah", {"title": "Draf yang sudah diubah", "kind": "ksdd", "partner.tenant": "kukar",
                                          "objective": "Tujuan baru.", "scope": "Lingkup.", "term_months": "12",
                                          "financing": "APBD."})
    assert (r.status_code, r.headers["location"]) == (303, f"/usulan/{pid}?ok=edited")
    api = Api(console_platform)
    p = api.get("proposals", f"/v1/proposals/{pid}", headers=api.section).json()
    assert p["title"] == "Draf yang sudah diubah"
    assert p["partner"] == {"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"}
    assert "Perubahan tersimpan." in ani.get(r.headers["location"]).text


def test_no_edit_once_submitted_or_for_another_unit(console_platform: Platform, ani: httpx.Client) -> None:
    api = Api(console_platform)
    submitted = api.submit(draft(console_platform, title="Sudah diajukan"))["id"]
    assert f'href="/usulan/{submitted}/ubah"' not in ani.get(f"/usulan/{submitted}").text
    assert ani.get(f"/usulan/{submitted}/ubah").status_code == 403
    before = api.get("proposals", f"/v1/proposals/{submitted}", headers=api.section).json()["title"]
    r = post(ani, f"/usulan/{submitted}/ubah", {"title": "Diubah diam-diam"})  # the service refuses it
    assert r.status_code == 409 and "Hanya draf yang dapat diubah" in r.text
    assert api.get("proposals", f"/v1/proposals/{submitted}", headers=api.section).json()["title"] == before
    other_unit = Api(console_platform, unit="dpupr").create(title="Draf dinas lain")["id"]
    assert ani.get(f"/usulan/{other_unit}/ubah").status_code == 404  # another OPD's draft is not there
    assert post(ani, f"/usulan/{other_unit}/ubah", {"title": "Diambil alih"}).status_code == 404
    assert api.get("proposals", f"/v1/proposals/{other_unit}", headers=api.section).json()["title"] == "Draf dinas lain"
