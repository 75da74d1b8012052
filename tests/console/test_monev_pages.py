"""Monev in the console, on the platform as processes: the evaluation plans of a region's
cooperations (one approved, so provisional; one imported, in force since last year, so with
overdue rounds), who reaches which plan (the partner region too), another region seeing
nothing, CSRF, and hostile ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jalin_e2e import Api, wait_for

from jalin_cli.platform import Platform
from tests.console.conftest import MESSAGES, csrf_of, error_page, signed_in

TITLE = "Monev <script>alert(1)</script> & Uji"
ESCAPED = "Monev &lt;script&gt;alert(1)&lt;/script&gt; &amp; Uji"
LATE = "Kerja Sama Rujukan Lama (impor uji monev)"
BADGE = '<span class="state state-late">Terlambat</span>'


@pytest.fixture(scope="module")
def world(console_platform: Platform) -> dict[str, Any]:
    """sumbar's plans: an approved KSDD offered to kukar (provisional, shared with kukar), and an
    agreement imported from the legacy register, in force since 400 days ago (active, rounds past due)."""
    api = Api(console_platform)
    p = api.approved_proposal(title=TITLE)
    plan = wait_for(lambda: api.plans(p["id"]), what="the approved proposal's plan")[0]
    start, end = date.today() - timedelta(days=400), date.today() + timedelta(days=400)
    csv = ("nomor,judul,jenis,jenis_dokumen,mitra,opd,tanggal_tanda_tangan,tanggal_mulai,tanggal_berakhir\r\n"
           f"180/77/KS-MONEV/{start.year},{LATE},ksdd,pks,Pemerintah Kota Padang,dinkes,{start},{start},{end}\r\n")
    r = api.client.post(api.url("proposals", "/v1/imports/agreements"), files={"file": ("register.csv", csv.encode())},
                        headers=api.section)
    assert r.status_code == 200 and r.json()["imported"] + r.json()["already_imported"] == 1, r.text

    def late_plan() -> list[dict[str, Any]]:
        plans = api.get("evaluation", "/v1/plans", headers=api.section, limit=200).json()
        return [x for x in plans if x["proposal_title"] == LATE and x["status"] == "active"]

    late = wait_for(late_plan, what="the imported agreement's plan")[0]
    overdue = [r for r in late["rounds"] if date.fromisoformat(r["due_on"]) < date.today()]
    assert overdue, late["rounds"]
    return {"api": api, "pid": p["id"], "plan": plan["id"], "late": late["id"], "late_pid": late["proposal_id"],
            "overdue": len(overdue)}






# --- 1. the access table: a row per route, a column per demo user ("none": no session) ---
COLUMNS = ["ani.opd", "budi.ks", "gubernur", "sekda", "dprd", "citra.opd", "dedi.ks", "eka.ks", "operator", None]
ACCESS = """
                 ani  budi gub  sekda dprd citra dedi eka  oper none
GET /monev       200  200  200  200   200  200   200  200  403  303
GET /monev/{plan} 200 200  200  200   200  404   200  404  403  303
GET /monev/{late} 200 200  200  200   200  404   404  404  403  303
"""
ROWS = [(route, dict(zip(COLUMNS, cells, strict=True)))
        for line in ACCESS.strip().splitlines()[1:] for _, route, *cells in [line.split()]]


@pytest.mark.parametrize(("route", "cells"), ROWS, ids=[r for r, _ in ROWS])
def test_access_table(world: dict[str, Any], session: Callable[[str | None], httpx.Client], route: str,
                      cells: dict[str | None, str]) -> None:
    path = route.format(**world)
    for user, cell in cells.items():
        r, status = session(user).get(path), int(cell)
        if status == 303:
            assert (r.status_code, r.headers["location"]) == (303, f"/masuk?next={quote(path, safe='')}"), user
        elif status in (403, 404):
            error_page(r, status, MESSAGES[status])
        else:
            assert r.status_code == 200 and "<h1>" in r.text, (user, r.status_code, r.text[:300])


# --- 2. the pages ------------------------------------------------------------------------------

def row(html: str, plan_id: str) -> str:
    """The list item of one plan."""
    return html.split(f'href="/monev/{plan_id}"', 1)[1].split("</li>", 1)[0]


def test_the_list_of_plans(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    for user in ("budi.ks", "ani.opd"):  # the section, and the unit whose cooperations they are
        page = session(user).get("/monev").text
        assert "<h1>Rencana monev</h1>" in page and ESCAPED in page and "alert(1)</script>" not in page
        assert ">Sementara</span>" in row(page, world["plan"]) and BADGE not in row(page, world["plan"])
        late = row(page, world["late"])
        assert ">Berjalan</span>" in late and f"{BADGE} {world['overdue']} putaran monev" in late
    budi = session("budi.ks")
    active = budi.get("/monev", params={"status": "active"}).text
    assert world["late"] in active and world["plan"] not in active
    provisional = budi.get("/monev", params={"status": "provisional"}).text
    assert world["plan"] in provisional and world["late"] not in provisional
    found = budi.get("/monev", params={"q": "rujukan LAMA"}).text
    assert world["late"] in found and world["plan"] not in found
    only = budi.get("/monev", params={"proposal_id": world["pid"]}).text
    assert world["plan"] in only and world["late"] not in only


def test_a_plan_page(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    for user in ("budi.ks", "dedi.ks"):  # the owner's section, and the partner region's
        page = session(user).get(f"/monev/{world['plan']}").text
        assert f"<h1>{ESCAPED}</h1>" in page and f'<a href="/usulan/{world["pid"]}">{ESCAPED}</a>' in page
        assert ">Sementara</span>" in page and "pengingat ditahan" in page and "Putaran 1</span>" in page
        assert BADGE not in page and "Pengingat akhir masa berlaku" in page
    assert session("dedi.ks").get(f"/usulan/{world['pid']}").status_code == 200  # where the link goes, it opens


def test_overdue_rounds_are_marked(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    page = session("ani.opd").get(f"/monev/{world['late']}").text
    assert f"<h1>{LATE}</h1>" in page and f'href="/usulan/{world["late_pid"]}"' in page and ">Berjalan</span>" in page
    assert page.count(BADGE) == world["overdue"]
    rounds = page.split('id="rounds"', 1)[1]
    assert rounds.index(BADGE) < rounds.index(f"Putaran {world['overdue'] + 1}</span>")  # the past ones, first
    assert "Terjadwal" in page  # its end-of-term reminders, still to come


def test_another_region_sees_none_of_it(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    eka = session("eka.ks")
    for params in ({}, {"q": "Monev"}, {"status": "active"}, {"proposal_id": world["pid"]}):
        text = eka.get("/monev", params=params).text
        assert "<h1>Rencana monev</h1>" in text and world["plan"] not in text and world["late"] not in text
        assert "alert(1)" not in text and LATE not in text
    for plan in ("plan", "late"):
        error_page(eka.get(f"/monev/{world[plan]}"), 404, MESSAGES[404])
    assert world["late"] not in session("dedi.ks").get("/monev").text  # nothing shared with kukar


JUNK = ["/monev/..%2f", "/monev/..%2F..%2Fetc%2Fpasswd", "/monev/" + "a" * 37, "/monev/" + "a" * 300, "/monev/%3Cscript%3E",
        "/monev/a%20b", "/monev/-x", "/monev/x/y", "/monev/%00"]


def test_hostile_ids_queries_and_posts(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    budi = session("budi.ks")
    for path in JUNK:
        error_page(budi.get(path), 404, MESSAGES[404])
    for query in ("status=evil&proposal_id=../x", "q=" + "x" * 1000, "proposal_id=" + "p" * 300, "status=%00"):
        r = budi.get(f"/monev?{query}")
        assert r.status_code == 200 and "<h1>Rencana monev</h1>" in r.text, query
    # nothing here takes a POST: the page of a method not allowed, with or without the token
    error_page(budi.post(f"/monev/{world['plan']}", data={}), 405, MESSAGES[405])
    error_page(budi.post(f"/monev/{world['plan']}", data={"csrf": csrf_of(budi, "/monev")}), 405, MESSAGES[405])
    error_page(budi.post("/monev", data={"csrf": csrf_of(budi, "/monev")}), 405, MESSAGES[405])


def test_in_english(console_platform: Platform, world: dict[str, Any]) -> None:
    client = signed_in(console_platform, "sumbar", "budi.ks")
    try:
        client.cookies.set("lang", "en")
        assert "<h1>Monitoring plans</h1>" in client.get("/monev").text
        page = client.get(f"/monev/{world['late']}").text
        assert re.search(r'<span class="state state-late">Overdue</span>', page) and "Under way" in page
    finally:
        client.close()
