"""Dokumen through the console, on the platform as processes: a cooperation's documents with
their SHA-256, the upload limits shown before an upload, uploads (and their refusals in
Indonesian), the signed scan that locks the KB draft, deletion, and what the partner and an
anonymous client get."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from jalin_e2e import Api, wait_for

from jalin_cli.platform import Platform
from tests.console.conftest import csrf_of, signed_in

PDF = (b"%PDF-1.4\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\n"
       b"endobj\n3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>\nendobj\nxref\n0 4\n"
       b"0000000000 65535 f \n0000000009 00000 n \n0000000054 00000 n \n0000000105 00000 n \n"
       b"trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n")


@pytest.fixture(scope="module")
def coop(console_platform: Platform) -> dict[str, Any]:
    api = Api(console_platform)
    p = api.approved_proposal(title="Kerja sama dokumen konsol")  # shared with kukar from the offer on
    doc = wait_for(lambda: api.documents(p["id"]), what="the KB draft")[0]
    wait_for(lambda: api.upload_attachment(p["id"], filename="tunggu.pdf"), what="the documents service to know it")
    return {"api": api, "pid": p["id"], "doc": doc, "budi": signed_in(console_platform, "sumbar", "budi.ks"),
            "dedi": signed_in(console_platform, "kukar", "dedi.ks")}


def attachments(coop: dict[str, Any]) -> list[dict[str, Any]]:
    api = coop["api"]
    return api.get("documents", "/v1/attachments", headers=api.section, proposal_id=coop["pid"]).json()  # type: ignore[no-any-return]


def upload(coop: dict[str, Any], client: httpx.Client, data: bytes, name: str, **form: str) -> httpx.Response:
    page = f"/usulan/{coop['pid']}/dokumen"
    fields = {"csrf": csrf_of(client, page), "proposal_id": coop["pid"], "kind": "kak", **form}
    return client.post("/unggah", data=fields, files={"file": (name, data, "application/octet-stream")})


def test_the_page_shows_the_documents_and_the_limits_before_an_upload(coop: dict[str, Any]) -> None:
    r = coop["budi"].get(f"/usulan/{coop['pid']}/dokumen")
    assert r.status_code == 200 and "<h1>Dokumen kerja sama</h1>" in r.text
    assert coop["doc"]["sha256"] in r.text and "Draf Kesepakatan Bersama" in r.text
    assert "Ukuran paling besar: <span class=\"strong\">20 MB</span>" in r.text  # the documents service's own limit
    assert ".pdf, .docx, .png, .jpg" in r.text and 'enctype="multipart/form-data"' in r.text
    coop["budi"].cookies.set("lang", "en")
    try:
        en = coop["budi"].get(f"/usulan/{coop['pid']}/dokumen")
    finally:
        coop["budi"].cookies.delete("lang")
    assert "Largest size" in en.text and "Upload an attachment" in en.text


def test_an_upload_through_the_console_is_stored_with_its_hash(coop: dict[str, Any]) -> None:
    data = PDF + b"% konsol\n"
    r = upload(coop, coop["budi"], data, "KAK Rujukan.pdf", title="KAK rujukan pasien")
    assert (r.status_code, r.headers["location"]) == (303, f"/usulan/{coop['pid']}/dokumen?ok=uploaded")
    stored = next(a for a in attachments(coop) if a["title"] == "KAK rujukan pasien")
    assert stored["sha256"] == hashlib.sha256(data).hexdigest() and stored["filename"] == "KAK Rujukan.pdf"
    page = coop["budi"].get(r.headers["location"]).text
    assert "Lampiran tersimpan." in page and stored["sha256"] in page
    got = coop["budi"].get(f"/lampiran/{stored['id']}/unduh")
    assert got.content == data and got.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(("data", "name", "form", "message"), [
    (b"bukan pdf, hanya teks\n", "catatan.pdf", {}, "Jenis berkas ini tidak diterima"),
    (PDF, "scan.pdf", {"kind": "signed_scan"}, "Pindaian bertanda tangan harus menyebut naskah yang ditandatangani."),
    (PDF, "x.pdf", {"kind": "bukan_jenis"}, "Pilih salah satu: &#39;kak&#39;"),
    (b"", "", {}, "Pilih berkas yang akan diunggah."),
])
def test_a_refused_upload_says_why_in_indonesian_and_stores_nothing(
        coop: dict[str, Any], data: bytes, name: str, form: dict[str, str], message: str) -> None:
    before = len(attachments(coop))
    r = upload(coop, coop["budi"], data, name, **form)
    assert r.status_code == 422 and '<div class="problem" role="alert">' in r.text, (r.status_code, r.text[:300])
    assert message in r.text.split('role="alert">', 1)[1].split("</div>", 1)[0]
    assert "Traceback" not in r.text and len(attachments(coop)) == before


def test_the_signed_scan_locks_the_draft_and_stays(coop: dict[str, Any]) -> None:
    r = upload(coop, coop["budi"], PDF + b"% ttd\n", "kb-ttd.pdf", kind="signed_scan", document_id=coop["doc"]["id"])
    assert r.status_code == 303, r.text[:500]
    scan = next(a for a in attachments(coop) if a["kind"] == "signed_scan")
    page = coop["budi"].get(f"/usulan/{coop['pid']}/dokumen").text
    assert "Terkunci oleh pindaian bertanda tangan" in page
    assert f'action="/lampiran/{scan["id"]}/hapus"' not in page  # kept: no button
    again = upload(coop, coop["budi"], PDF + b"% ttd 2\n", "kb-ttd2.pdf", kind="signed_scan", document_id=coop["doc"]["id"])
    assert again.status_code == 422 and "sudah dikunci" in again.text


def test_an_attachment_is_deleted_by_its_region_only(coop: dict[str, Any]) -> None:
    added = coop["api"].upload_attachment(coop["pid"], kind="letter", filename="surat.pdf")
    # uploaded after the lock: the service still lets sumbar delete it; kukar sees it, without the button
    dedi_page = coop["dedi"].get(f"/usulan/{coop['pid']}/dokumen").text
    assert f"/lampiran/{added['id']}/unduh" in dedi_page and f'action="/lampiran/{added["id"]}/hapus"' not in dedi_page
    budi_page = coop["budi"].get(f"/usulan/{coop['pid']}/dokumen").text
    assert f'action="/lampiran/{added["id"]}/hapus"' in budi_page
    r = coop["budi"].post(f"/lampiran/{added['id']}/hapus", data={"csrf": csrf_of(coop["budi"], "/dokumen")})
    assert (r.status_code, r.headers["location"]) == (303, f"/usulan/{coop['pid']}/dokumen?ok=deleted")
    assert added["id"] not in {a["id"] for a in attachments(coop)}


def test_the_regions_documents_page_lists_both(coop: dict[str, Any]) -> None:
    page = coop["budi"].get("/dokumen").text
    assert f"/dokumen/{coop['doc']['id']}/unduh" in page and f"/usulan/{coop['pid']}/dokumen" in page
    eka = signed_in(coop["api"].platform, "kaltim", "eka.ks")
    assert coop["pid"] not in eka.get("/dokumen").text


def test_an_anonymous_file_is_not_read(console_platform: Platform) -> None:
    client = httpx.Client(base_url=console_platform.url("console"), timeout=30)
    r = client.post("/unggah", data={"proposal_id": "x", "kind": "kak"}, files={"file": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk?next=")
    huge = client.post("/unggah", data={"kind": "kak"}, files={"file": ("b.pdf", b"\0" * (21 * 1024 * 1024))})
    assert huge.status_code == 413  # over the file forms' bound: refused by its declared length


def test_a_request_id_follows_the_upload_into_the_services_log(console_platform: Platform, coop: dict[str, Any]) -> None:
    """The page's request id is in its answer and in the documents service's log line of the
    upload it made (the console passes it on)."""
    client, page = coop["budi"], f"/usulan/{coop['pid']}/dokumen"
    fields = {"csrf": csrf_of(client, page), "proposal_id": coop["pid"], "kind": "letter"}
    r = client.post("/unggah", data=fields, files={"file": ("surat-jejak.pdf", PDF + b"% jejak\n")},
                    headers={"X-Request-ID": "konsol-jejak-0001"})
    assert r.status_code == 303 and r.headers["x-request-id"] == "konsol-jejak-0001"
    log = console_platform.config.data_dir / "logs" / "documents.log"
    lines = [json.loads(line) for line in log.read_text().splitlines() if "konsol-jejak-0001" in line]
    assert any(line["event"] == "attachment.uploaded" and line["request_id"] == "konsol-jejak-0001" for line in lines), lines
