"""Impor (the console's page of the legacy import), on the platform as processes: who reaches
it, a dry run that reports each bad cell and stores nothing, the import, the same file again,
the refusals of a whole file shown in Indonesian beside the form, hostile file names, CSRF."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import quote

import httpx
import pytest
from jalin_e2e import Api

from jalin_cli.platform import Platform
from tests.console.conftest import csrf_of

TITLE = "<h1>Impor data kerja sama</h1>"
CSRF_MESSAGE = "Formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi."
SERVICE_LIMIT = 10 * 1024 * 1024  # the proposals service's default (JALIN_PROPOSALS_MAX_UPLOAD_BYTES)
RUN = uuid.uuid4().hex[:8].upper()  # this run's agreement numbers: the platform is shared by the session
HEADERS = ["No", "Nomor", "Judul", "Jenis", "Jenis Dokumen", "Mitra", "Tanggal Tanda Tangan", "Tanggal Berakhir"]
SIGNED, ENDS = date.today() - timedelta(days=400), date.today() + timedelta(days=700)
ROWS = [  # spreadsheet rows 2..6: rows 3 and 5 are bad
    ["1", f"IMP/{RUN}/1", "Kerja sama air bersih", "ksdd", "pks", "Pemerintah Kota Balikpapan", SIGNED.isoformat(), ENDS.isoformat()],
    ["2", f"IMP/{RUN}/2", "", "ksdd", "pks", "Pemerintah Kota Samarinda", SIGNED.isoformat(), ENDS.isoformat()],
    ["3", f"IMP/{RUN}/3", "Kesepakatan pariwisata", "ksdpk", "kb", "PT Wisata Mahakam", SIGNED.strftime("%d/%m/%Y"), ""],
    ["4", f"IMP/{RUN}/4", "Kerja sama jalan provinsi", "ksdd", "pks", "Pemerintah Kota Bontang", "31/02/2021", ENDS.isoformat()],
    ["5", f"IMP/{RUN}/5", "Rencana kerja pendidikan", "pusat", "rencana_kerja", "Kementerian Pendidikan",
     SIGNED.isoformat(), ENDS.isoformat()],
]
BAD_CELLS = [(3, "Judul"), (5, "Tanggal Tanda Tangan")]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def register(rows: list[list[str]] = ROWS, headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([headers, *rows])
    return out.getvalue().encode()




@pytest.fixture(scope="module")
def kaltim(console_platform: Platform) -> Api:
    return Api(console_platform, tenant="kaltim", unit=None)


def numbers(api: Api) -> set[str]:
    """kaltim's agreement numbers of this run, over the proposals API."""
    r = api.get("proposals", "/v1/agreements", headers=api.section, limit=500)
    assert r.status_code == 200, r.text
    return {a["number_first"] for a in r.json() if f"/{RUN}/" in a["number_first"]}


def upload(client: httpx.Client, content: bytes, name: str = "register.csv", mode: str = "periksa",
           csrf: str | None = "", htmx: bool = False) -> httpx.Response:
    token = csrf_of(client, "/impor") if csrf == "" else csrf
    data = {"mode": mode} if htmx or token is None else {"mode": mode, "csrf": token}
    headers = {"hx-request": "true", "x-csrf-token": token or ""} if htmx else {}
    return client.post("/impor", data=data, files={"file": (name, content, "application/octet-stream")}, headers=headers)


def cells(page: str) -> list[tuple[int, str]]:
    return sorted((int(r), c) for r, c in re.findall(r"Baris (\d+)</span> · Kolom <q>(.*?)</q>", page))


def refused(r: httpx.Response, status: int, message: str) -> None:
    """The refusal in Indonesian beside the form (the whole page), never a trace or JSON."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    assert TITLE in r.text and 'enctype="multipart/form-data"' in r.text
    assert '<div class="problem" role="alert">' in r.text and message in r.text, r.text[-2000:]
    assert "Traceback" not in r.text


# --- who reaches it: a row per route, a column per demo user ("none": no session) ---
COLUMNS = ["ani.opd", "budi.ks", "dedi.ks", "eka.ks", "operator", None]
ACCESS = """
                                       ani  budi dedi eka  oper none
GET  /impor                            403  200  200  200  403  303
GET  /impor/templat.csv                403  200  200  200  403  303
GET  /impor/templat.csv?pemisah=x      403  404  404  404  403  303
POST /impor                            403  200  200  200  403  303
"""


def test_access_table(session: Callable[[str | None], httpx.Client]) -> None:
    wrong = []
    for line in ACCESS.strip().splitlines()[1:]:
        method, path, *expected = line.split()
        for user, cell in zip(COLUMNS, expected, strict=True):
            client = session(user)
            if method == "GET":
                r = client.get(path)
            else:  # a dry run: it stores nothing
                r = upload(client, register(), csrf=csrf_of(client, "/impor" if user else "/masuk"))
            ok = r.status_code == int(cell)
            if ok and r.status_code == 303:
                ok = r.headers["location"] == f"/masuk?next={quote(path, safe='')}"
            if ok and r.status_code == 403:
                ok = "Anda tidak berwenang membuka halaman ini." in r.text
            if ok and r.status_code == 200 and method == "POST":
                ok = "Hasil pemeriksaan" in r.text and cells(r.text) == BAD_CELLS
            if not ok:
                wrong.append((method, path, user, cell, r.status_code, r.text[:200]))
    assert not wrong


def test_the_page_explains_and_offers_the_form(session: Callable[[str | None], httpx.Client]) -> None:
    page = session("budi.ks").get("/impor").text
    assert page.count("<h1>") == 1 and TITLE in page
    assert "CSV (UTF-8), dipisah koma atau titik koma" in page and "XLSX (Excel), lembar pertama" in page
    assert "<code>nomor</code>" in page and "<code>tanggal_tanda_tangan</code>" in page  # the service's template
    assert "Bila berkas terlalu besar, Jalin menyebutkan batas ukurannya" in page  # no limit published
    assert 'href="/impor/templat.csv?pemisah=koma"' in page and 'href="/impor/templat.csv?pemisah=titik-koma"' in page
    form = page.split('<form method="post" action="/impor"', 1)[1].split("</form>", 1)[0]
    assert 'enctype="multipart/form-data"' in form and 'hx-post="/impor"' in form
    assert re.search(r'<input type="hidden" name="csrf" value="[\w-]{32,}">', form)
    assert '<label for="impor-berkas">' in form and 'type="file" id="impor-berkas" name="file" accept=".csv,.xlsx"' in form
    assert 'name="mode" value="periksa"' in form and "Periksa dulu (dry run)" in form and 'name="mode" value="impor"' in form
    assert '<progress id="impor-progres"' in form and '<label for="impor-progres">' in form
    assert '<script src="/static/import.js" defer></script>' in page
    assert "onclick" not in page and "<script>" not in page  # the CSP: no inline script
    js = session(None).get("/static/import.js")
    assert js.status_code == 200 and "htmx:xhr:progress" in js.text
    client = session("budi.ks")
    client.cookies.set("lang", "en")
    try:
        assert "<h1>Import cooperation records</h1>" in client.get("/impor").text
    finally:
        client.cookies.delete("lang")


@pytest.mark.parametrize(("pemisah", "first"), [("koma", "\ufeffnomor,nomor_mitra,judul"),
                                               ("titik-koma", "\ufeffnomor;nomor_mitra;judul")])
def test_the_template_is_the_services(session: Callable[[str | None], httpx.Client], pemisah: str, first: str) -> None:
    r = session("eka.ks").get("/impor/templat.csv", params={"pemisah": pemisah})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="jalin-impor-perjanjian.csv"'
    assert r.content.decode("utf-8").startswith(first)


def test_dry_run_reports_each_bad_cell_and_stores_nothing(session: Callable[[str | None], httpx.Client], kaltim: Api) -> None:
    r = upload(session("eka.ks"), register(), "Register KSD Kaltim.csv")
    assert r.status_code == 200, r.text[-2000:]
    assert "Hasil pemeriksaan" in r.text and "Pemeriksaan saja: belum ada yang disimpan." in r.text
    assert "Berkas: Register KSD Kaltim.csv" in r.text
    assert "<dt>Baris data</dt><dd>5</dd>" in r.text and "<dt>Akan diimpor</dt><dd>3</dd>" in r.text
    assert "<dt>Baris bermasalah</dt><dd>2</dd>" in r.text
    assert cells(r.text) == BAD_CELLS
    assert "Tanggal tidak sah (hh/bb/tttt)." in r.text  # the service's message, in Indonesian
    assert "Kolom yang diabaikan" in r.text and "<q>No</q>" in r.text
    assert "pilih berkas itu lagi di atas lalu tekan Impor" in r.text  # nothing of the file is kept
    assert numbers(kaltim) == set()


def test_import_adds_the_good_rows_and_again_adds_nothing(session: Callable[[str | None], httpx.Client], kaltim: Api) -> None:
    r = upload(session("eka.ks"), register(), mode="impor")
    assert r.status_code == 200, r.text[-2000:]
    assert "Hasil impor" in r.text and "<dt>Diimpor</dt><dd>3</dd>" in r.text and cells(r.text) == BAD_CELLS
    assert '<a href="/usulan">Lihat daftar kerja sama</a>' in r.text
    assert numbers(kaltim) == {f"IMP/{RUN}/1", f"IMP/{RUN}/3", f"IMP/{RUN}/5"}
    again = upload(session("eka.ks"), register(), mode="impor")
    assert "<dt>Diimpor</dt><dd>0</dd>" in again.text and "<dt>Sudah pernah diimpor</dt><dd>3</dd>" in again.text
    checked = upload(session("eka.ks"), register())
    assert "<dt>Akan diimpor</dt><dd>0</dd>" in checked.text and "<dt>Sudah pernah diimpor</dt><dd>3</dd>" in checked.text
    assert len(numbers(kaltim)) == 3


def test_with_htmx_only_the_result_is_answered(session: Callable[[str | None], httpx.Client]) -> None:
    client = session("budi.ks")
    r = upload(client, register(), htmx=True)
    assert r.status_code == 200 and "<html" not in r.text and "<h1>" not in r.text
    assert '<h2 id="laporan-judul" tabindex="-1">Hasil pemeriksaan</h2>' in r.text and cells(r.text) == BAD_CELLS
    assert "Berkas yang dipilih di atas masih sama: tekan Impor" in r.text
    r = upload(client, PNG, "foto.png", htmx=True)
    assert r.status_code == 415 and "<html" not in r.text and "Format berkas tidak didukung." in r.text


@pytest.mark.parametrize(("name", "content", "status", "message"), [
    ("foto.png", PNG, 415, "Format berkas tidak didukung. Unggah berkas CSV (UTF-8) atau XLSX."),
    ("catatan.txt", b"ini hanya catatan\nbukan register\n", 422, "Kolom wajib tidak ada: nomor, judul, jenis,"),
    ("kolom.csv", register(headers=["Nomor", "Judul", "x", "y", "z", "w", "v", "u"]), 422,
     "Kolom wajib tidak ada: jenis, jenis_dokumen, mitra, tanggal_tanda_tangan."),
    ("kosong.csv", b"", 422, "Berkas tidak dapat diimpor. Berkasnya kosong."),
], ids=["png", "text", "missing-columns", "empty"])
def test_a_file_that_cannot_be_imported_is_said_in_indonesian(session: Callable[[str | None], httpx.Client],
                                                              name: str, content: bytes, status: int, message: str) -> None:
    refused(upload(session("eka.ks"), content, name, mode="impor"), status, message)


def test_a_file_over_the_limit_is_said_in_indonesian(session: Callable[[str | None], httpx.Client], kaltim: Api) -> None:
    content = register() + b"#" * (SERVICE_LIMIT + 1 - len(register()))
    before = numbers(kaltim)
    refused(upload(session("eka.ks"), content, "besar.csv", mode="impor"), 413,
            "Berkas terlalu besar (batas 10.0 MB). Pecah register menjadi beberapa berkas.")
    assert numbers(kaltim) == before  # nothing of the refused file


def test_no_file_chosen(session: Callable[[str | None], httpx.Client]) -> None:
    client = session("budi.ks")
    r = client.post("/impor", data={"csrf": csrf_of(client, "/impor"), "mode": "periksa"},
                    files={"file": ("", b"", "application/octet-stream")})
    refused(r, 422, "Pilih berkas CSV atau XLSX terlebih dahulu.")


@pytest.mark.parametrize("name", ["../../x.csv", "a\x00b\r\nContent-Type: text/html\x1b.csv", "é" * 1500 + ".csv", '"; x=".csv'],
                         ids=["traversal", "control", "long", "quote"])
def test_hostile_file_names(session: Callable[[str | None], httpx.Client], name: str) -> None:
    r = upload(session("budi.ks"), register(), name)
    assert r.status_code == 200, r.text[-1000:]
    shown = re.search(r"Berkas: (.*)</p>", r.text)
    assert shown and cells(r.text) == BAD_CELLS
    assert "/" not in shown[1] and "\x00" not in shown[1] and "\x1b" not in shown[1] and len(shown[1]) <= 200


def test_a_file_name_over_the_multipart_header_bound_is_refused_not_a_crash(session: Callable[[str | None], httpx.Client]) -> None:
    name = "x" * 10_000 + ".csv"  # python-multipart reads a part's header line up to ~4 KB
    r = upload(session("budi.ks"), register(), name)  # read by the CSRF check: app.py's page of a 400
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html") and "Traceback" not in r.text
    r = upload(session("budi.ks"), register(), name, htmx=True)  # read by the page itself
    assert r.status_code == 400 and "Unggahan tidak terbaca. Pilih berkas lalu kirim lagi." in r.text


@pytest.mark.parametrize("token", [None, "another-sessions-token-0123456789abcdef"], ids=["none", "wrong"])
def test_post_without_the_csrf_token_imports_nothing(session: Callable[[str | None], httpx.Client], kaltim: Api,
                                                     token: str | None) -> None:
    rows = [[str(i), f"IMP/{RUN}/CSRF{i}", "Kerja sama uji", "ksdpk", "kb", "PT Uji", SIGNED.isoformat(), ""] for i in range(2)]
    r = upload(session("eka.ks"), register(rows), mode="impor", csrf=token)
    assert r.status_code == 403 and CSRF_MESSAGE in r.text and "<h1>Terjadi masalah</h1>" in r.text
    assert not {n for n in numbers(kaltim) if "CSRF" in n}
