"""Beranda's tasks: what waits for the user's decision (from the proposals service's actions)
and what waits for their unit, with its due date (an open mapping round the unit has not
answered), gone once done."""

from __future__ import annotations

from datetime import date, timedelta

from jalin_e2e import Api, wait_for

from jalin_cli.platform import Platform
from tests.console.conftest import signed_in


def tasks(page: str) -> str:
    return page.split('<h2 id="tasks">', 1)[1].split("</section>", 1)[0]


def test_an_open_round_is_the_units_task_until_it_answers(console_platform: Platform) -> None:
    api = Api(console_platform)  # its staff are Dinas Kesehatan's, as Ani is
    deadline = (date.today() + timedelta(days=20)).isoformat()
    r = api.client.post(api.url("proposals", "/v1/mapping-rounds"), headers=api.section,
                        json={"title": "Pemetaan tugas unit uji", "year": date.today().year + 1, "deadline": deadline})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    ani = signed_in(console_platform, "sumbar", "ani.opd")  # Dinas Kesehatan
    mine = tasks(ani.get("/").text)
    assert f'href="/pemetaan/{rid}"' in mine and "Kirim potensi unit Anda" in mine and deadline in mine
    budi = signed_in(console_platform, "sumbar", "budi.ks")  # the section submits none: not its task
    assert f'href="/pemetaan/{rid}"' not in tasks(budi.get("/").text)
    r = api.client.post(api.url("proposals", f"/v1/mapping-rounds/{rid}/potentials"), headers=api.staff,
                        json={"affair": "kesehatan", "title": "Rujukan", "description": "Rujukan pasien.",
                              "benefit": "Akses."})
    assert r.status_code == 201, r.text
    assert f'href="/pemetaan/{rid}"' not in tasks(ani.get("/").text)  # Dinas Kesehatan answered


def test_a_decision_waits_with_its_date(console_platform: Platform) -> None:
    api = Api(console_platform)
    p = api.submit(api.create(title="Menunggu keputusan bagian")["id"])
    budi = tasks(signed_in(console_platform, "sumbar", "budi.ks").get("/").text)
    item = budi.split(f'href="/usulan/{p["id"]}"', 1)[1].split("</li>", 1)[0]
    assert "Setujui" in item and "menunggu sejak" in item and p["updated_at"][:10] in item
    assert f'href="/usulan/{p["id"]}"' not in tasks(signed_in(console_platform, "sumbar", "dprd").get("/").text)


def test_monev_rounds_due_soon_are_tasks_and_past_ones_overdue(console_platform: Platform) -> None:
    api = Api(console_platform)
    start, end = date.today() - timedelta(days=400), date.today() + timedelta(days=400)
    title = "Kerja sama monev tugas-uji"
    csv = ("nomor,judul,jenis,jenis_dokumen,mitra,opd,tanggal_tanda_tangan,tanggal_mulai,tanggal_berakhir\r\n"
           f"180/78/KS-TUGAS/{start.year},{title},ksdd,pks,Pemerintah Kota Solok,dinkes,{start},{start},{end}\r\n")
    r = api.client.post(api.url("proposals", "/v1/imports/agreements"), files={"file": ("register.csv", csv.encode())},
                        headers=api.section)
    assert r.status_code == 200, r.text

    def plan() -> list[dict[str, object]]:
        found = api.get("evaluation", "/v1/plans", headers=api.section, q=title, status="active").json()
        return found  # type: ignore[no-any-return]

    [p] = wait_for(plan, what="the imported agreement's plan")
    today = date.today()
    rounds = p["rounds"]
    assert isinstance(rounds, list)
    soon = [x for x in rounds if today <= date.fromisoformat(x["due_on"]) <= today + timedelta(days=30)]
    late = [x for x in rounds if date.fromisoformat(x["due_on"]) < today]
    assert late, rounds  # begun 400 days ago: rounds are past due
    home = signed_in(console_platform, "sumbar", "budi.ks").get("/").text
    mine = tasks(home)
    for x in soon:  # a round due within 30 days is a task, with its date
        item = mine.split(f'href="/monev/{p["id"]}"', 1)[1].split("</li>", 1)[0]
        assert f"Laporan monev putaran {x['number']}" in item and x["due_on"] in item
    overdue = home.split('<h2 id="monev">', 1)[1].split("</section>", 1)[0]
    assert f'href="/monev/{p["id"]}"' in overdue or "Semua rencana monev" in overdue  # listed, or among more than 20
