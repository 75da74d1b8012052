"""Beranda's tasks: what waits for the user's decision (from the proposals service's actions)
and what waits for their unit, with its due date (an open mapping round the unit has not
answered), gone once done."""

from __future__ import annotations

from datetime import date, timedelta

from jalin_e2e import Api

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
