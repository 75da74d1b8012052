"""Pemetaan potensi in the console, on the platform as processes: who reaches which page and
form (the services decide; the console shows their answer as its own page), the whole flow
(the section opens a round, an OPD submits a potential, the missing units shrink, the
potential becomes a proposal, the round closes), bad forms answered beside the field with
nothing changed, another region seeing nothing, CSRF, and hostile ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jalin_e2e import Api

from jalin_cli.platform import Platform
from tests.console.conftest import MESSAGES, csrf_of, error_page, signed_in

TITLE = "Pemetaan <script>alert(1)</script> & Uji"
ESCAPED = "Pemetaan &lt;script&gt;alert(1)&lt;/script&gt; &amp; Uji"
POTENTIAL = "Rujukan pasien lintas daerah"


def deadline(days: int = 30) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def own_round(api: Api, title: str) -> str:
    """A round of a test's own, opened over the API (tests do not lean on each other's order)."""
    r = api.client.post(api.url("proposals", "/v1/mapping-rounds"), headers=api.section,
                        json={"title": title, "year": 2027, "deadline": deadline()})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


# One form for every POST of the table: each page takes only its own fields.
FORM = {"title": "Putaran dari tabel akses", "year": "2027", "deadline": deadline(), "affair": "kesehatan",
        "description": "Layanan rujukan antardaerah", "benefit": "Pasien dirujuk lebih cepat",
        "kind": "ksdd", "scope": "Rujukan pasien", "term_months": "12", "financing": "APBD masing-masing"}


@pytest.fixture(scope="module")
def world(console_platform: Platform) -> dict[str, Any]:
    """A sumbar round (opened by the section) with one potential of Dinas Kesehatan, over the APIs."""
    api = Api(console_platform)
    r = api.client.post(api.url("proposals", "/v1/mapping-rounds"), headers=api.section,
                        json={"title": TITLE, "year": 2027, "deadline": deadline()})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = api.client.post(api.url("proposals", f"/v1/mapping-rounds/{rid}/potentials"), headers=api.staff,
                        json={"affair": "kesehatan", "title": "Potensi dunia uji", "description": "Uraian potensi",
                              "benefit": "Manfaat bersama", "candidate_partners": [{"name": "Kukar", "tenant": "kukar"}]})
    assert r.status_code == 201, r.text
    return {"api": api, "rid": rid, "pot": r.json()["id"]}




def state(world: dict[str, Any]) -> tuple[Any, ...]:
    """What a refused POST must leave as it was: sumbar's rounds, the world round, its potentials."""
    api = world["api"]
    rounds = api.get("proposals", "/v1/mapping-rounds", headers=api.section, limit=500).json()
    pots = api.get("proposals", "/v1/potentials", headers=api.section, round_id=world["rid"]).json()
    status = next(r["status"] for r in rounds if r["id"] == world["rid"])
    return len(rounds), status, [(p["id"], p["proposal_id"]) for p in pots]




def section(html: str, heading_id: str) -> str:
    """The HTML of the panel whose heading has this id."""
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


# --- 1. the access table: a row per route, a column per demo user ("none": no session; "-":
# not called here, the flow below does it) ---
COLUMNS = ["ani.opd", "budi.ks", "gubernur", "sekda", "dprd", "citra.opd", "dedi.ks", "eka.ks", "operator", None]
ACCESS = """
                                      ani  budi gub  sekda dprd citra dedi eka  oper none
GET  /pemetaan                        200  200  200  200   200  200   200  200  403  303
GET  /pemetaan/{rid}                  200  200  200  200   200  404   404  404  403  303
GET  /pemetaan/potensi/{pot}          200  200  200  200   200  404   404  404  403  303
POST /pemetaan                        403  303  403  403   403  403   303  303  403  303
POST /pemetaan/{rid}/potensi          303  403  403  403   403  404   403  403  403  303
POST /pemetaan/{rid}/tutup            403  -    403  403   403  403   404  404  403  303
POST /pemetaan/potensi/{pot}/usulkan  -    -    403  403   403  404   404  404  403  303
"""
ROWS = [(method, route, dict(zip(COLUMNS, cells, strict=True)))
        for line in ACCESS.strip().splitlines()[1:] for method, route, *cells in [line.split()]]
CREATED = {"/pemetaan": r"/pemetaan/[\w-]+\?ok=created", "/pemetaan/{rid}/potensi": r"/pemetaan/[\w-]+\?ok=submitted"}


@pytest.mark.parametrize(("method", "route", "cells"), ROWS, ids=[f"{m} {r}" for m, r, _ in ROWS])
def test_access_table(world: dict[str, Any], session: Callable[[str | None], httpx.Client],
                      method: str, route: str, cells: dict[str | None, str]) -> None:
    path = route.format(**world)
    for user, cell in cells.items():
        if cell == "-":
            continue
        status, client = int(cell), session(user)
        before = state(world) if method == "POST" and status != 303 else None
        r = client.get(path) if method == "GET" else client.post(
            path, data={**FORM, "csrf": csrf_of(client, "/masuk")})
        where = f"{method} {path} as {user}"
        if status == 303 and user is None:
            assert (r.status_code, r.headers["location"]) == (303, f"/masuk?next={quote(path, safe='')}"), where
        elif status == 303:
            assert r.status_code == 303 and re.fullmatch(CREATED[route], r.headers["location"]), (where, r.text[:300])
        elif status in (403, 404):
            error_page(r, status, MESSAGES[status])
            assert before is None or state(world) == before, f"{where}: a refused POST changed something"
        else:
            assert r.status_code == 200, (where, r.status_code, r.text[:300])
            assert "<h1>" in r.text and "Traceback" not in r.text


# --- 2. the flow --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def opened(session: Callable[[str | None], httpx.Client]) -> str:
    """A round the section opens through the console."""
    budi = session("budi.ks")
    r = budi.post("/pemetaan", data={"csrf": csrf_of(budi, "/pemetaan"), "title": "Pemetaan Potensi Kerja Sama 2027",
                                     "year": "2027", "deadline": deadline(20), "description": "Untuk RKPD 2027",
                                     "reminder_offsets_days": "10, 5"})
    assert r.status_code == 303, r.text[:500]
    assert (m := re.fullmatch(r"/pemetaan/([\w-]+)\?ok=created", r.headers["location"]))
    return m.group(1)


def test_the_section_opens_a_round(session: Callable[[str | None], httpx.Client], opened: str) -> None:
    budi, ani = session("budi.ks"), session("ani.opd")
    listing = budi.get("/pemetaan").text
    assert "<h1>Pemetaan potensi</h1>" in listing and f'href="/pemetaan/{opened}"' in listing
    assert 'method="post" action="/pemetaan"' in listing and 'for="round-deadline"' in listing  # the form, from the service's model
    assert 'method="post" action="/pemetaan"' not in ani.get("/pemetaan").text  # an OPD opens none
    page = budi.get(f"/pemetaan/{opened}?ok=created").text
    assert "<h1>Pemetaan Potensi Kerja Sama 2027</h1>" in page and "Putaran pemetaan dibuka" in page
    assert "10, 5" in page and "Untuk RKPD 2027" in page
    missing = section(page, "missing")
    assert "(3)" in missing and all(u in missing for u in ("Dinas Kesehatan", "Dinas Pariwisata", "Dinas Pekerjaan Umum"))
    assert 'action="/pemetaan/' + opened + '/potensi"' not in page and 'action="/pemetaan/' + opened + '/tutup"' in page
    own = ani.get(f"/pemetaan/{opened}").text
    assert 'id="missing"' not in own and f'action="/pemetaan/{opened}/tutup"' not in own
    assert f'action="/pemetaan/{opened}/potensi"' in own and "<option value=\"kesehatan\"" in own and ">Kesehatan</option>" in own


def test_bad_forms_are_answered_beside_the_field_and_change_nothing(
        world: dict[str, Any], session: Callable[[str | None], httpx.Client], opened: str) -> None:
    budi, ani, before = session("budi.ks"), session("ani.opd"), state(world)
    csrf = csrf_of(budi, "/pemetaan")
    r = budi.post("/pemetaan", data={"csrf": csrf, "title": "", "year": "2027", "deadline": deadline()})
    assert r.status_code == 422 and 'id="round-title-error">Wajib diisi.' in r.text and "Periksa kembali" in r.text
    r = budi.post("/pemetaan", data={"csrf": csrf, "title": "Putaran lampau", "year": "2027", "deadline": "2020-01-01"})
    assert r.status_code == 422 and 'id="round-deadline-error">Batas waktu harus antara hari ini' in r.text
    assert 'value="Putaran lampau"' in r.text  # what was typed stays
    r = budi.post("/pemetaan", data={"csrf": csrf, "title": "Putaran pengingat", "year": "2027", "deadline": deadline(),
                                     "reminder_offsets_days": "seminggu"})
    assert r.status_code == 422 and 'id="round-reminder_offsets_days-error">Isi jumlah hari' in r.text
    r = ani.post(f"/pemetaan/{opened}/potensi", data={"csrf": csrf_of(ani, "/pemetaan"), "affair": "kesehatan",
                                                      "title": "ab", "description": "", "benefit": "Manfaat"})
    assert r.status_code == 422 and "<h1>Pemetaan Potensi Kerja Sama 2027</h1>" in r.text
    assert 'id="potential-title-error">Minimal 3 karakter.' in r.text and 'id="potential-description-error">Wajib diisi.' in r.text
    r = ani.post(f"/pemetaan/potensi/{world['pot']}/usulkan", data={"csrf": csrf_of(ani, "/pemetaan"), "kind": "ksdd",
                                                                    "scope": "", "term_months": "0", "financing": "APBD"})
    assert r.status_code == 422 and 'id="propose-scope-error">Wajib diisi.' in r.text
    assert 'id="propose-term_months-error">Minimal 1.' in r.text
    assert state(world) == before
    assert "Putaran lampau" not in budi.get("/pemetaan").text
    assert "ab</a>" not in ani.get(f"/pemetaan/{opened}").text  # the refused potential is nowhere


def test_an_opd_submits_a_potential_and_the_missing_units_shrink(
        world: dict[str, Any], session: Callable[[str | None], httpx.Client], opened: str) -> None:
    ani, budi = session("ani.opd"), session("budi.ks")
    r = ani.post(f"/pemetaan/{opened}/potensi", data={
        "csrf": csrf_of(ani, "/pemetaan"), "affair": "kesehatan", "title": POTENTIAL, "partner_tenant": "kukar",
        "description": "Pasien rujukan dari Kukar ke RS di Padang", "benefit": "Rujukan lebih cepat bagi kedua daerah"})
    assert (r.status_code, r.headers.get("location")) == (303, f"/pemetaan/{opened}?ok=submitted"), r.text[:500]
    page = ani.get(r.headers["location"]).text
    assert "Potensi terkirim." in page and POTENTIAL in page and "Kesehatan · Dinas Kesehatan" in page
    assert "Calon mitra: Pemerintah Kabupaten Kutai Kartanegara" in page  # a region chosen goes by its name
    missing = section(budi.get(f"/pemetaan/{opened}").text, "missing")
    assert "(2)" in missing and "Dinas Pariwisata" in missing and "Dinas Kesehatan" not in missing


def test_a_potential_becomes_a_proposal(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    api, ani = world["api"], session("ani.opd")
    opened = own_round(api, "Pemetaan untuk usulan")  # its own: the flow's round may be closed by now
    r = api.client.post(api.url("proposals", f"/v1/mapping-rounds/{opened}/potentials"), headers=api.staff,
                        json={"affair": "kesehatan", "title": POTENTIAL, "description": "Pasien rujukan dari Kukar",
                              "benefit": "Rujukan lebih cepat",
                              "candidate_partners": [{"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"}]})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert f'href="/pemetaan/potensi/{pid}#usulkan"' in ani.get(f"/pemetaan/{opened}").text
    page = ani.get(f"/pemetaan/potensi/{pid}").text
    assert f"<h1>{POTENTIAL}</h1>" in page and f'value="{POTENTIAL}"' in page  # the title, to be changed or kept
    data = {"csrf": csrf_of(ani, "/pemetaan"), "kind": "ksdd", "title": POTENTIAL,
            "objective": "Rujukan lebih cepat bagi kedua daerah", "scope": "Rujukan pasien", "term_months": "24",
            "financing": "APBD masing-masing"}
    r = ani.post(f"/pemetaan/potensi/{pid}/usulkan", data=data)
    assert r.status_code == 303 and (m := re.fullmatch(r"/usulan/([\w-]+)\?ok=created", r.headers["location"])), r.text[:500]
    proposal = ani.get(r.headers["location"]).text
    assert f"<h1>{POTENTIAL}</h1>" in proposal and "Usulan tersimpan sebagai draf." in proposal
    assert "Pemerintah Kabupaten Kutai Kartanegara" in proposal  # the candidate partner
    assert f'href="/usulan/{m.group(1)}"' in ani.get(f"/pemetaan/potensi/{pid}").text
    r = ani.post(f"/pemetaan/potensi/{pid}/usulkan", data=data)  # twice: the service's refusal, in words
    assert r.status_code == 422 and "Potensi ini sudah menjadi usulan." in r.text
    assert len([p for p in api.get("proposals", "/v1/proposals", limit=500).json() if p["title"] == POTENTIAL]) == 1


def test_the_section_closes_the_round(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    budi, ani = session("budi.ks"), session("ani.opd")
    opened = own_round(world["api"], "Pemetaan yang ditutup")  # its own: the others' stays open
    r = budi.post(f"/pemetaan/{opened}/tutup", data={"csrf": csrf_of(budi, "/pemetaan")})
    assert (r.status_code, r.headers["location"]) == (303, f"/pemetaan/{opened}?ok=closed")
    page = budi.get(r.headers["location"]).text
    assert "Putaran pemetaan ditutup." in page and ">Ditutup</span>" in page and f'/pemetaan/{opened}/tutup"' not in page
    own = ani.get(f"/pemetaan/{opened}").text
    assert "Putaran ini tidak lagi menerima potensi." in own and f'action="/pemetaan/{opened}/potensi"' not in own
    r = ani.post(f"/pemetaan/{opened}/potensi", data={"csrf": csrf_of(ani, "/pemetaan"), "affair": "pariwisata",
                                                      "title": "Terlambat", "description": "Uraian", "benefit": "Manfaat"})
    assert r.status_code == 422 and "Putaran pemetaan ini sudah ditutup." in r.text
    r = budi.post(f"/pemetaan/{opened}/tutup", data={"csrf": csrf_of(budi, "/pemetaan")})
    assert r.status_code == 422 and "sudah ditutup sebelumnya" in r.text
    assert ">Ditutup</span>" in budi.get("/pemetaan", params={"status": "closed"}).text


# --- 3. another region, CSRF, hostile input ------------------------------------------------------

def test_another_region_sees_none_of_it(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    eka = session("eka.ks")
    for path in ("/pemetaan", "/pemetaan?status=open", "/pemetaan?year=2027"):
        text = eka.get(path).text
        assert "<h1>Pemetaan potensi</h1>" in text and world["rid"] not in text and "alert(1)" not in text
    error_page(eka.get(f"/pemetaan/{world['rid']}"), 404, MESSAGES[404])
    error_page(eka.get(f"/pemetaan/potensi/{world['pot']}"), 404, MESSAGES[404])
    before = state(world)
    for path in (f"/pemetaan/{world['rid']}/tutup", f"/pemetaan/potensi/{world['pot']}/usulkan"):
        error_page(eka.post(path, data={**FORM, "csrf": csrf_of(eka, "/pemetaan")}), 404, MESSAGES[404])
    assert state(world) == before
    assert ESCAPED in session("budi.ks").get("/pemetaan").text  # escaped where it is shown


def test_a_post_without_the_sessions_csrf_token_is_refused(world: dict[str, Any],
                                                          session: Callable[[str | None], httpx.Client]) -> None:
    budi, ani, before = session("budi.ks"), session("ani.opd"), state(world)
    other = csrf_of(session("sekda"), "/pemetaan")
    for client, path in ((budi, "/pemetaan"), (ani, f"/pemetaan/{world['rid']}/potensi"),
                         (budi, f"/pemetaan/{world['rid']}/tutup"), (ani, f"/pemetaan/potensi/{world['pot']}/usulkan")):
        for token in (None, "", other):
            data = {**FORM, **({} if token is None else {"csrf": token})}
            error_page(client.post(path, data=data), 403, MESSAGES["csrf"])
    assert state(world) == before


JUNK = ["/pemetaan/..%2f", "/pemetaan/..%2F..%2Fetc%2Fpasswd", "/pemetaan/" + "a" * 37, "/pemetaan/" + "a" * 300,
        "/pemetaan/%3Cscript%3E", "/pemetaan/a%20b", "/pemetaan/potensi/..%2f", "/pemetaan/potensi/" + "p" * 300,
        "POST /pemetaan/" + "a" * 300 + "/tutup", "POST /pemetaan/..%2f/tutup", "POST /pemetaan/-x/tutup",
        "POST /pemetaan/potensi/" + "x" * 37 + "/usulkan", "POST /pemetaan/potensi/nope/usulkan"]


def test_hostile_ids_and_queries(session: Callable[[str | None], httpx.Client]) -> None:
    budi = session("budi.ks")
    csrf = csrf_of(budi, "/pemetaan")
    for path in JUNK:
        r = budi.post(path[5:], data={**FORM, "csrf": csrf}) if path.startswith("POST ") else budi.get(path)
        assert r.status_code == 404, path
        error_page(r, 404, MESSAGES[404])
    for query in ("year=abcd&status=evil", "year=99999999999999999999", "year=1999", "status=" + "x" * 1000):
        r = budi.get(f"/pemetaan?{query}")
        assert r.status_code == 200 and "<h1>Pemetaan potensi</h1>" in r.text, query


def test_in_english(console_platform: Platform, world: dict[str, Any]) -> None:
    client = signed_in(console_platform, "sumbar", "budi.ks")
    try:
        client.cookies.set("lang", "en")
        assert "<h1>Potential mapping</h1>" in client.get("/pemetaan").text
        page = client.get(f"/pemetaan/{world['rid']}").text
        assert "Units that have not submitted" in page and "Health · Dinas Kesehatan" in page
    finally:
        client.close()
