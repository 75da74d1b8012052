"""Legacy import of existing agreements over HTTP, in-process, on a real database and NATS.

Acceptance (the issue): importing a 500-row file with 10 bad rows reports exactly those 10
and imports 490; importing it again adds nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from jalin_kit.outbox import OutboxMessage
from jalin_proposals import imports
from jalin_proposals.models import Agreement, HistoryEntry, Proposal
from jalin_proposals.terms import add_months
from openpyxl import Workbook
from sqlmodel import select

from services.proposals.tests.conftest import Service, StartService, caller, today

IMPORTED_TYPE = "id.jalin.agreement.imported.v1"
URL = "/v1/imports/agreements"

SECTION = caller("sumbar", "kerja_sama")
OTHER_SECTION = caller("kukar", "kerja_sama")
STAFF = caller("sumbar", "opd_staff", unit="dinkes")
AUDITOR = caller("sumbar", "auditor")


class Api(Service):
    async def upload(self, content: bytes, name: str = "register.csv", headers: dict[str, str] = SECTION,
                     **params: Any) -> httpx.Response:
        return await self.client.post(URL, files={"file": (name, content)}, params=params, headers=headers)

    async def proposals(self, tenant: str) -> list[Proposal]:
        return await self.rows(Proposal, Proposal.tenant_id == tenant)

    async def agreements(self, tenant: str) -> list[Agreement]:
        return await self.rows(Agreement, Agreement.tenant_id == tenant)

    async def events(self, tenant: str) -> list[OutboxMessage]:
        return await self.outbox_rows(OutboxMessage.type == IMPORTED_TYPE, OutboxMessage.tenant_id == tenant)


@pytest.fixture
async def api(start_service: StartService) -> Api:
    return await start_service(Api)


# -- a register of 500 rows with 10 bad ones ------------------------------------------------

HEADERS = ["No", "Nomor", "Nomor Mitra", "Judul", "Jenis", "Jenis Dokumen", "Mitra", "mitra_tenant", "OPD",
           "Tanggal Tanda Tangan", "Tempat", "Penandatangan", "Tanggal Mulai", "Tanggal Berakhir",
           "Jangka Waktu (bulan)", "Maksud dan Tujuan", "Ruang Lingkup", "Pembiayaan"]
KEYS = ["no", "nomor", "nomor_mitra", "judul", "jenis", "jenis_dokumen", "mitra", "mitra_tenant", "opd",
        "tanggal_tanda_tangan", "tempat", "penandatangan", "tanggal_mulai", "tanggal_berakhir",
        "jangka_waktu_bulan", "maksud_tujuan", "ruang_lingkup", "pembiayaan"]
SHAPES = [("ksdd", "pks"), ("ksdd", "kb"), ("ksdpk", "pks"), ("ksdpl", "pks"), ("pusat", "nk"), ("pusat", "rencana_kerja"),
          ("ksdll", "kb")]


def iso(d: date) -> str:
    return d.isoformat()


def dmy(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def good_row(i: int) -> dict[str, Any]:
    """A valid row; signed between a month and ~6 years ago, so some have expired."""
    kind, doc = SHAPES[i % len(SHAPES)]
    signed = today() - timedelta(days=30 + (i * 37) % 2200)
    row: dict[str, Any] = {
        "no": str(i + 1),
        "nomor": f"180/{i + 1:04d}/KS/{signed.year}",
        "nomor_mitra": f"MITRA-{i + 1}" if i % 3 == 0 else "",
        "judul": f"Kerja sama nomor {i + 1}",
        "jenis": kind.upper() if i % 4 == 0 else kind,
        "jenis_dokumen": doc,
        "mitra": f"Pemerintah Kota Mitra {i % 17}",
        "mitra_tenant": "kaltim" if kind == "ksdd" and i % 2 == 0 else "",
        "opd": ["dinkes", "", "Dinas Kesehatan"][i % 3],
        "tanggal_tanda_tangan": iso(signed) if i % 2 else dmy(signed),
        "tempat": "Padang" if i % 5 else "",
        "penandatangan": "Mahyeldi" if i % 2 else "",
        "tanggal_mulai": "",
        "tanggal_berakhir": "",
        "jangka_waktu_bulan": "",
        "maksud_tujuan": "Meningkatkan pelayanan." if i % 2 else "",
        "ruang_lingkup": "",
        "pembiayaan": "APBD masing-masing pihak.",
    }
    if doc in ("pks", "rencana_kerja") or i % 5 == 1:
        if i % 2:
            row["tanggal_berakhir"] = iso(add_months(signed, 36) - timedelta(days=1))
        else:
            row["jangka_waktu_bulan"] = "24"
    return row


# spreadsheet row -> (the change that makes it bad, the columns its errors name)
BAD: dict[int, tuple[dict[str, Any], list[str]]] = {
    12: ({"judul": ""}, ["Judul"]),
    50: ({"tanggal_tanda_tangan": "31/02/2021"}, ["Tanggal Tanda Tangan"]),
    77: ({"jenis": "ksdx", "mitra_tenant": "samarinda"}, ["Jenis", "mitra_tenant"]),  # a region not on Jalin
    120: ({"tanggal_mulai": "2022-06-01", "tanggal_berakhir": "2022-05-01", "jangka_waktu_bulan": "",
           "tanggal_tanda_tangan": "2022-05-20"}, ["Tanggal Berakhir"]),
    150: ({"tanggal_tanda_tangan": "2020-01-10", "tanggal_berakhir": "2027-01-09", "jangka_waktu_bulan": ""},
          ["Tanggal Berakhir"]),
    200: ({"nomor": "__dup__"}, ["Nomor"]),
    260: ({"opd": "dinas-x"}, ["OPD"]),
    300: ({"tanggal_tanda_tangan": iso(today() + timedelta(days=10))}, ["Tanggal Tanda Tangan"]),
    333: ({"jenis": "ksdpk", "jenis_dokumen": "pks", "tanggal_berakhir": "", "jangka_waktu_bulan": ""},
          ["Tanggal Berakhir"]),
    450: ({"jenis": "pusat", "jenis_dokumen": "pks", "mitra": ""}, ["Jenis Dokumen", "Mitra"]),
}
EXPECTED_ERRORS = sorted((row, column) for row, (_, columns) in BAD.items() for column in columns)


def register(n: int = 500, bad: dict[int, tuple[dict[str, Any], list[str]]] | None = None) -> list[dict[str, Any]]:
    bad = BAD if bad is None else bad
    rows = [good_row(i) for i in range(n)]
    for sheet_row, (change, _) in bad.items():
        row = rows[sheet_row - 2]
        row.update(change)
        if row["nomor"] == "__dup__":
            row["nomor"] = " " + rows[sheet_row - 3]["nomor"].lower() + " "  # the same number, other case/spacing
    return rows


def to_csv(rows: list[dict[str, Any]], delimiter: str = ",", bom: bool = False, headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(k, "") for k in KEYS])
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def error_cells(body: dict[str, Any]) -> list[tuple[int, str]]:
    return sorted((e["row"], e["column"]) for e in body["errors"])


async def test_500_rows_with_10_bad_imports_490_and_reports_exactly_the_10_and_again_adds_nothing(api: Api) -> None:
    content = to_csv(register())
    r = await api.upload(content, "Register KSD 2015-2025.csv")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["file"], body["format"], body["dry_run"]) == ("Register KSD 2015-2025.csv", "csv", False)
    assert (body["rows"], body["imported"], body["already_imported"], body["bad_rows"]) == (500, 490, 0, 10)
    assert error_cells(body) == EXPECTED_ERRORS
    assert body["ignored_columns"] == ["No"]
    messages = {(e["row"], e["column"]): e["error"] for e in body["errors"]}
    assert "judul is required" in messages[(12, "Judul")]
    assert "'31/02/2021' is not a valid date" in messages[(50, "Tanggal Tanda Tangan")]
    assert "unknown jenis 'ksdx'" in messages[(77, "Jenis")]
    assert "'samarinda' is not a region on Jalin" in messages[(77, "mitra_tenant")]
    assert "not after its start 2022-06-01" in messages[(120, "Tanggal Berakhir")]
    assert "84 months exceeds this region's maximum of 60 months" in messages[(150, "Tanggal Berakhir")]
    assert "duplicate nomor" in messages[(200, "Nomor")] and "row 199" in messages[(200, "Nomor")]
    assert "unknown opd 'dinas-x'" in messages[(260, "OPD")]
    assert "lies in the future" in messages[(300, "Tanggal Tanda Tangan")]
    assert "give tanggal_berakhir or jangka_waktu_bulan" in messages[(333, "Tanggal Berakhir")]
    assert "a pusat cooperation is recorded with nk or rencana_kerja" in messages[(450, "Jenis Dokumen")]
    assert "mitra is required" in messages[(450, "Mitra")]

    proposals = await api.proposals("sumbar")
    assert len(proposals) == 490 and len({p.source_key for p in proposals}) == 490
    listed = await api.client.get("/v1/agreements", params={"limit": 500}, headers=SECTION)
    assert listed.status_code == 200 and len(listed.json()) == 490
    assert len(await api.events("sumbar")) == 490
    async with api.runtime.db.system_session() as s:
        history = list((await s.exec(select(HistoryEntry).where(HistoryEntry.action == "import"))).all())
    assert len(history) == 490
    assert "Register KSD 2015-2025.csv baris 2" in {h.note for h in history}  # the file and its row
    assert all(h.actor == "sumbar-kerja_sama" and h.stage_to in ("pelaksanaan", "selesai") for h in history)

    again = await api.upload(content, "Register KSD 2015-2025.csv")
    assert again.status_code == 200, again.text
    body2 = again.json()
    assert (body2["rows"], body2["imported"], body2["already_imported"], body2["bad_rows"]) == (500, 0, 490, 10)
    assert body2["errors"] == body["errors"]
    assert len(await api.proposals("sumbar")) == 490
    assert len(await api.agreements("sumbar")) == 490
    assert len(await api.events("sumbar")) == 490


async def test_imported_rows_carry_the_register_and_their_stage_follows_the_end_date(api: Api) -> None:
    signed_old = today() - timedelta(days=4 * 366)
    running = {**good_row(0), "nomor": "KB-1/2024", "jenis": "ksdd", "jenis_dokumen": "pks", "nomor_mitra": "P-9",
               "tanggal_tanda_tangan": dmy(today() - timedelta(days=100)), "jangka_waktu_bulan": "24",
               "tanggal_berakhir": "", "opd": "Dinas Kesehatan", "tempat": "", "penandatangan": "Mahyeldi",
               "maksud_tujuan": "", "mitra_tenant": "kukar"}
    expired = {**good_row(1), "nomor": "PKS-7/2021", "jenis": "ksdpk", "jenis_dokumen": "pks",
               "tanggal_tanda_tangan": iso(signed_old), "tanggal_mulai": iso(signed_old + timedelta(days=5)),
               "tanggal_berakhir": iso(add_months(signed_old + timedelta(days=5), 36) - timedelta(days=1)),
               "jangka_waktu_bulan": "36"}
    kb = {**good_row(2), "nomor": "NK 3/2025", "jenis": "pusat", "jenis_dokumen": "nk",
          "tanggal_tanda_tangan": iso(today() - timedelta(days=40)), "tanggal_berakhir": "", "jangka_waktu_bulan": ""}
    r = await api.upload(to_csv([running, expired, kb]), "r.csv")
    assert r.status_code == 200 and r.json()["imported"] == 3 and r.json()["errors"] == [], r.text
    by_key = {p.source_key: p for p in await api.proposals("sumbar")}
    agreements = {a.proposal_id: a for a in await api.agreements("sumbar")}

    p = by_key["KB-1/2024"]
    a = agreements[p.id]
    assert (p.stage, p.status, p.kind, p.unit, p.partner_tenant, p.shared_with) == (
        "pelaksanaan", "active", "ksdd", "dinkes", "kukar", None)  # recorded, not shared with the partner
    assert (p.term_months, p.term_start, p.term_end) == (24, today() - timedelta(days=100),
                                                         add_months(today() - timedelta(days=100), 24))
    assert p.objective == imports.NOT_RECORDED and p.created_by == "sumbar-kerja_sama" and p.end_reason is None
    assert (a.type, a.number_first, a.number_second, a.status, a.signed_place, a.signatory_name, a.signed_as) == (
        "pks", "KB-1/2024", "P-9", "signed", "Padang", "Mahyeldi", "kepala_daerah")
    assert a.signatory_title == "Gubernur Sumatera Barat" and a.term_end == p.term_end

    p = by_key["PKS-7/2021"]
    assert (p.stage, p.status, p.end_reason, p.term_months) == ("selesai", "completed", "term_expired", 36)
    assert agreements[p.id].status == "expired" and agreements[p.id].term_start == signed_old + timedelta(days=5)

    p = by_key["NK3/2025"]  # the key ignores spaces and case
    assert (p.stage, p.term_months) == ("pelaksanaan", 60)  # an NK without a term: the region's maximum
    assert agreements[p.id].term_end is None  # ... which the agreement itself does not claim

    events = await api.events("sumbar")
    assert len(events) == 3
    data = [json.loads(e.data) for e in events]
    pks = next(d for d in data if d["agreement"]["number_first"] == "KB-1/2024")
    assert pks["command"] == "import" and pks["stage"] == "pelaksanaan" and pks["agreement"]["type"] == "pks"
    assert {e.subject for e in events} == {"jalin.sumbar.agreement.imported"}


async def test_xlsx_with_title_rows_excel_dates_and_a_blank_row(api: Api) -> None:
    rows = register(40, bad={5: ({"tanggal_tanda_tangan": "kemarin"}, []), 30: ({"jenis_dokumen": "perda"}, [])})
    wb = Workbook()
    ws = wb.active
    ws.append(["DAFTAR KERJA SAMA DAERAH PROVINSI SUMATERA BARAT"])
    ws.append([])
    ws.append(HEADERS)  # the header is on row 3
    for i, row in enumerate(rows):
        cells: list[Any] = [row[k] for k in KEYS]
        if i % 2 == 0:  # a real Excel date cell
            cells[KEYS.index("tanggal_tanda_tangan")] = datetime.combine(today() - timedelta(days=60 + i), datetime.min.time())
        if i % 3 == 0 and row["jangka_waktu_bulan"]:
            cells[KEYS.index("jangka_waktu_bulan")] = 24  # a number cell
        ws.append(cells)
        if i == 9:
            ws.append([])  # a blank row, still counted by the spreadsheet's row numbers
    buf = io.BytesIO()
    wb.save(buf)
    content = buf.getvalue()
    # data row i sits on sheet row 4 + i, one further down after the blank row
    bad_row_5 = 4 + 3  # register() row 5 is data index 3
    bad_row_30 = 4 + 28 + 1
    r = await api.upload(content, "register.xlsx")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["format"], body["rows"], body["imported"], body["bad_rows"]) == ("xlsx", 40, 38, 2)
    assert error_cells(body) == [(bad_row_5, "Tanggal Tanda Tangan"), (bad_row_30, "Jenis Dokumen")]
    assert "'kemarin' is not a date" in body["errors"][0]["error"]
    again = await api.upload(content, "register.xlsx")
    assert (again.json()["imported"], again.json()["already_imported"]) == (0, 38)
    assert len(await api.proposals("sumbar")) == 38
    # the same agreements in a CSV: the key is the number, whatever the format
    csv_again = await api.upload(to_csv(rows), "register.csv")
    assert (csv_again.json()["imported"], csv_again.json()["already_imported"]) == (0, 38)


async def test_semicolon_csv_with_bom_english_headers_and_indonesian_dates(api: Api) -> None:
    headers = ["NUMBER", "title", "Kind", "document type", "partner name", "signed_on", "term_months", "unit"]
    lines = [";".join(headers),
             "PKS/01/2023;Air bersih;ksdd;PKS;Kota Padang;15 Maret 2023;36;dpupr",
             "PKS/02/2023;Pariwisata;ksdpk;perjanjian kerja sama;PT Wisata;1-Agustus-2024;12;Dinas Pariwisata",
             "KB/03/2022;Kesehatan;ksdd;MoU;Kota Solok;03.01.2022;;"]
    content = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()
    r = await api.upload(content, "ekspor excel.csv")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rows"], body["imported"], body["errors"]) == (3, 3, [])
    agreements = {a.number_first: a for a in await api.agreements("sumbar")}
    assert agreements["PKS/01/2023"].signed_on == date(2023, 3, 15)
    assert agreements["PKS/01/2023"].term_end == date(2026, 3, 15)
    assert agreements["PKS/02/2023"].signed_on == date(2024, 8, 1)
    assert (agreements["KB/03/2022"].signed_on, agreements["KB/03/2022"].type) == (date(2022, 1, 3), "kb")
    units = {p.source_key: p.unit for p in await api.proposals("sumbar")}
    assert units == {"PKS/01/2023": "dpupr", "PKS/02/2023": "dispar", "KB/03/2022": None}


async def test_a_csv_saved_by_excel_in_the_windows_code_page_is_read(api: Api) -> None:
    text = ("nomor,judul,jenis,jenis_dokumen,mitra,tanggal_tanda_tangan\r\n"
            "KB/9/2024,Kerja sama \u2018Caf\u00e9 Sehat\u2019,ksdd,kb,Kota Bukittinggi,2024-05-02\r\n")
    r = await api.upload(text.encode("cp1252"), "ansi.csv")
    assert r.status_code == 200 and r.json()["imported"] == 1, r.text
    assert [p.title for p in await api.proposals("sumbar")] == ["Kerja sama \u2018Caf\u00e9 Sehat\u2019"]


async def test_dry_run_reports_and_imports_nothing(api: Api) -> None:
    content = to_csv(register(30, bad={7: ({"mitra": ""}, [])}))
    r = await api.upload(content, dry_run="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["dry_run"], body["imported"], body["would_import"], body["already_imported"], body["bad_rows"]) == (
        True, 0, 29, 0, 1)
    assert error_cells(body) == [(7, "Mitra")]
    assert await api.proposals("sumbar") == [] and await api.events("sumbar") == []
    assert (await api.upload(content)).json()["imported"] == 29
    body = (await api.upload(content, dry_run="true")).json()
    assert (body["would_import"], body["already_imported"]) == (0, 29)


async def test_only_the_cooperation_section_imports(api: Api) -> None:
    content = to_csv(register(3, bad={}))
    for headers in (STAFF, AUDITOR, caller("platform", "platform_admin")):
        r = await api.upload(content, headers=headers)
        assert r.status_code == 403, r.text
        assert (await api.client.get(f"{URL}/template.csv", headers=headers)).status_code == 403
    assert (await api.client.post(URL, files={"file": ("a.csv", content)})).status_code == 401
    assert await api.proposals("sumbar") == []


async def test_refused_files_say_why_and_import_nothing(start_service: StartService, monkeypatch: pytest.MonkeyPatch) -> None:
    api = await start_service(Api, max_upload_bytes=250_000)
    small = to_csv(register(3, bad={}))
    big = to_csv(register(1700, bad={}))
    assert len(small) < 250_000 < len(big) < 250_000 + 64 * 1024  # over the limit, within the envelope

    r = await api.upload(big)
    assert r.status_code == 413 and "limit of 250000 bytes" in r.json()["detail"]

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: the bound applies while reading
        boundary = b"xYzZy"
        yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        for _ in range(3):
            yield big
        yield b"\r\n--" + boundary + b"--\r\n"

    r = await api.client.post(URL, content=streamed(), headers={**SECTION, "content-type": "multipart/form-data; boundary=xYzZy"})
    assert r.status_code == 413, r.text

    cases: list[tuple[str, bytes, int, str]] = [
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", 415, "upload a CSV file"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, 415, ".xls files are not read"),
        ("archive.zip", _zip(), 415, "not an XLSX workbook"),
        ("empty.csv", b"\r\n\r\n", 422, "the file is empty"),
        ("names.csv", b"nama,alamat\nBudi,Padang\n", 422, "no header row found"),
    ]
    for name, content, status, words in cases:
        r = await api.upload(content, name)
        assert r.status_code == status, (name, r.text)
        assert words in r.json()["detail"], (name, r.json())

    monkeypatch.setattr(imports.reading, "MAX_XLSX_UNPACKED", 1024 * 1024)
    r = await api.upload(_zip(b"\0" * (2 * 1024 * 1024)), "bom.xlsx")  # a few KB that unpack to 2 MB
    assert r.status_code == 422 and "unpacks to more than 1 MB" in r.json()["detail"]
    monkeypatch.undo()

    missing = b"nomor,judul,mitra\nA/1,Judul,Kota X\n"
    r = await api.upload(missing, "kurang.csv")
    assert r.status_code == 422
    assert r.json()["missing_columns"] == ["jenis", "jenis_dokumen", "tanggal_tanda_tangan"]
    assert "missing required columns: jenis, jenis_dokumen, tanggal_tanda_tangan" in r.json()["detail"]

    r = await api.client.post(URL, json={"file": "x"}, headers=SECTION)
    assert r.status_code == 415 and "multipart/form-data" in r.json()["detail"]
    r = await api.client.post(URL, files={"document": ("a.csv", small)}, headers=SECTION)
    assert r.status_code == 422 and "field 'file'" in r.json()["detail"]
    assert await api.proposals("sumbar") == []

    rows = b"nomor,judul,jenis,jenis_dokumen,mitra,tanggal_tanda_tangan\n" + b"".join(
        b"N/%d,Judul %d,ksdd,kb,Kota X,2024-01-01\n" % (i, i) for i in range(imports.MAX_ROWS + 1)
    )
    assert len(rows) < 250_000
    r = await api.upload(rows, "besar.csv")
    assert r.status_code == 422 and "more than 5000 rows" in r.json()["detail"]
    assert await api.proposals("sumbar") == []


def _zip(payload: bytes = b"not a workbook") -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/readme.txt", payload)
    return buf.getvalue()


async def test_another_tenant_gets_its_own_copies_and_sees_none_of_the_first(api: Api) -> None:
    content = to_csv(register())
    first = await api.upload(content)
    assert first.json()["imported"] == 490
    other = await api.upload(content, headers=OTHER_SECTION)
    assert other.status_code == 200, other.text
    body = other.json()
    assert (body["imported"], body["already_imported"], body["bad_rows"]) == (490, 0, 10)  # keys are per tenant
    assert error_cells(body) == EXPECTED_ERRORS  # kukar has a dinkes too; dinas-x is unknown there as well
    ours = {a.id for a in await api.agreements("sumbar")}
    theirs = await api.client.get("/v1/agreements", params={"limit": 500}, headers=OTHER_SECTION)
    assert len(theirs.json()) == 490 and not ours & {a["id"] for a in theirs.json()}
    assert (await api.client.get(f"/v1/agreements/{next(iter(ours))}", headers=OTHER_SECTION)).status_code == 404
    assert len(await api.events("kukar")) == 490 and len(await api.events("sumbar")) == 490
    assert {p.created_by for p in await api.proposals("kukar")} == {"kukar-kerja_sama"}


async def test_two_imports_of_the_same_file_at_once_store_each_agreement_once(api: Api) -> None:
    content = to_csv(register(250, bad={}))
    results = await asyncio.gather(*(api.upload(content, f"copy{i}.csv") for i in range(3)))
    assert [r.status_code for r in results] == [200, 200, 200], [r.text for r in results]
    bodies = [r.json() for r in results]
    assert sum(b["imported"] for b in bodies) == 250
    assert sum(b["already_imported"] for b in bodies) == 500
    assert len(await api.proposals("sumbar")) == 250
    assert len(await api.events("sumbar")) == 250


async def test_an_import_that_loses_the_race_for_a_key_counts_the_row_as_already_imported(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic version of the race: the check for existing keys comes too early (as if
    another import committed right after it); the unique constraint catches it, the batch is
    redone, and the rows are reported as already imported, not as a 500."""
    content = to_csv(register(30, bad={}))
    assert (await api.upload(content)).json()["imported"] == 30
    real = imports.existing_keys
    calls: list[int] = []

    async def too_early_once(db: Any, tenant_id: str, keys: list[str]) -> set[str]:
        calls.append(len(keys))
        return set() if len(calls) == 1 else await real(db, tenant_id, keys)

    monkeypatch.setattr(imports.command, "existing_keys", too_early_once)
    r = await api.upload(content)
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], r.json()["already_imported"]) == (0, 30)
    assert calls == [30, 30]
    assert len(await api.proposals("sumbar")) == 30 and len(await api.events("sumbar")) == 30
    async with api.runtime.db.system_session() as s:
        assert len((await s.exec(select(HistoryEntry))).all()) == 30  # the failed attempt left nothing


async def test_template_lists_the_columns_and_its_example_row_imports(api: Api) -> None:
    r = await api.client.get(f"{URL}/template.csv", headers=OTHER_SECTION)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    header, example = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert header == [c.key for c in imports.COLUMNS]
    assert dict(zip(header, example, strict=True))["opd"] == "dinkes"
    semi = await api.client.get(f"{URL}/template.csv", params={"delimiter": "semicolon"}, headers=OTHER_SECTION)
    assert semi.content.decode("utf-8-sig").splitlines()[0] == ";".join(header)
    imported = await api.upload(r.content, "template.csv", headers=OTHER_SECTION)
    assert (imported.json()["imported"], imported.json()["errors"]) == (1, [])


async def test_a_workbook_with_a_damaged_cell_is_refused_not_a_server_error(api: Api) -> None:
    import re
    import zipfile

    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append([good_row(1)[k] for k in KEYS[:1]] + [12345])  # a numeric cell to damage
    buffer = io.BytesIO()
    wb.save(buffer)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<v>12345</v>", b"<v>abc</v>", data)
                assert b"<v>abc</v>" in data
            dst.writestr(item, data)
    r = await api.upload(damaged.getvalue(), name="register.xlsx")
    assert r.status_code == 422, r.text
    assert "damaged cell" in r.json()["detail"]
    assert await api.proposals("sumbar") == []
