"""The demo, walked in a real browser (headless Chromium driven by Playwright) only by clicking
and typing, as its people would: Ani (sumbar, Dinas Kesehatan) drafts and submits a KSDD
offered to kukar; Budi (sumbar's section) approves it; Dedi (kukar's section) finds the offer
on his Beranda and accepts it; the KB is finalised and signed with both numbers; the DPRD's
approval is recorded (the cooperation is not yet budgeted); the PKS is signed; both regions
see it in pelaksanaan, download its KB draft and see its monev plan; Eka of a third region
finds nothing of it.

Every page the walk visits is also checked with axe-core (no serious or critical violation)
and at 360 px wide (no horizontal scrolling). A screenshot of each step, desktop and a
390×844 phone, goes to ``JALIN_TEST_SCREENSHOTS`` (default ``test-screenshots/console``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jalin_dbs import IN_CI

from jalin_cli.platform import Platform
from tests.console.conftest import npm_install

ROOT = Path(__file__).resolve().parents[2]
BROWSER_DEPS = Path(__file__).parent / "browser"
SHOTS = Path(os.environ.get("JALIN_TEST_SCREENSHOTS", ROOT / "test-screenshots" / "console"))
CHROMIUM = os.environ.get("JALIN_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
TITLE = "Layanan Rujukan Kesehatan Sumbar–Kukar"
PDF = (b"%PDF-1.4\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\n"
       b"endobj\n3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>\nendobj\nxref\n0 4\n"
       b"0000000000 65535 f \n0000000009 00000 n \n0000000054 00000 n \n0000000105 00000 n \n"
       b"trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n")


def _needs(what: str) -> None:
    if IN_CI:
        pytest.fail(f"the browser walk needs {what} in CI")
    pytest.skip(f"the browser walk needs {what}")


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not shutil.which("npm"):
        _needs("npm (to install axe-core)")
    npm_install(BROWSER_DEPS)
    return BROWSER_DEPS / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        _needs("Chromium (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Person:
    """One official in a browser: a desktop window that acts, and a phone beside it that
    looks at the same page (one session, two viewports)."""

    def __init__(self, browser: Any, base: str, name: str, axe: Path, checked: dict[str, list[str]]) -> None:
        self.context = browser.new_context()  # the console's own CSP applies (axe goes in through DevTools)
        self.context.set_default_timeout(90_000)  # a busy 2-core machine: wait for the page, not a clock
        self.desktop = self.context.new_page()
        self.desktop.set_viewport_size({"width": 1280, "height": 900})
        self.phone = self.context.new_page()
        self.refused: list[str] = []  # what the Content-Security-Policy blocked (htmx must need nothing inline)
        for page in (self.desktop, self.phone):
            page.on("console", lambda m: self.refused.append(m.text) if "Content Security Policy" in m.text else None)
        self.base, self.name, self.axe, self.checked = base, name, axe, checked
        self.desktop.goto(f"{base}/masuk")
        self.desktop.get_by_role("button", name=re.compile(re.escape(name))).click()
        self.desktop.wait_for_load_state()

    def look(self, step: str) -> None:
        """The step's screenshots, and the page's accessibility and 360 px checks."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.desktop.screenshot(path=str(SHOTS / f"{step}-desktop.png"), full_page=True)
        url = self.desktop.url
        for width, height, shot in ((390, 844, True), (360, 800, False)):
            self.phone.set_viewport_size({"width": width, "height": height})
            self.phone.goto(url)
            if shot:
                self.phone.screenshot(path=str(SHOTS / f"{step}-phone.png"), full_page=True)
            overflow = self.phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{step}: {url} scrolls {overflow}px sideways at {width}px"
        self.phone.evaluate(self.axe.read_text())
        result = self.phone.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
        self.checked[step] = bad
        assert not bad, f"{step}: axe on {url}:\n" + "\n".join(bad)
        assert not self.refused, f"{step}: the page broke its own Content-Security-Policy: {self.refused}"

    def act(self, button: str, fields: dict[str, str] | None = None) -> None:
        """Open the action's form (a details element), fill it, press its button."""
        page = self.desktop
        form = page.locator("details.action").filter(
            has=page.locator("summary", has_text=re.compile(rf"^\s*{re.escape(button)}\s*→")))
        if form.get_attribute("open") is None:
            form.locator("summary").click()
        for label, value in (fields or {}).items():
            form.get_by_label(label, exact=False).first.fill(value)
        form.get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        assert "Tindakan tercatat." in page.content(), page.locator("main").inner_text()

    def open_cooperation(self) -> None:
        self.desktop.get_by_role("link", name="Usulan", exact=True).click()
        self.desktop.get_by_role("link", name=TITLE).first.click()

    def stage(self) -> str:
        return self.desktop.locator("main .meta .stage").first.inner_text()


def signing(number_first: str, number_second: str) -> dict[str, str]:
    return {"Nomor pihak pertama": number_first, "Nomor pihak kedua": number_second,
            "Tanggal penandatanganan": date.today().isoformat(), "Tempat penandatanganan": "Padang",
            "Nama penanda tangan": "Mahyeldi", "Jabatan penanda tangan": "Gubernur Sumatera Barat"}


def test_the_demo_walked_in_a_browser(console_platform: Platform, browser: Any, axe_script: Path) -> None:
    base = console_platform.url("console")
    checked: dict[str, list[str]] = {}

    def person(name: str) -> Person:
        return Person(browser, base, name, axe_script, checked)

    ani = person("Ani")
    ani.look("01-ani-beranda")
    ani.desktop.get_by_role("link", name="Usulan", exact=True).click()
    ani.desktop.get_by_role("link", name="Usulan baru").click()
    # The service's own rule, shown beside the field: a one-letter title is refused.
    ani.desktop.get_by_label("Judul").fill("R")
    ani.desktop.get_by_role("button", name="Simpan").click()
    assert "Minimal 3 karakter." in ani.desktop.locator(".field.has-error").first.inner_text()
    ani.look("02-ani-form-errors")
    page = ani.desktop
    page.get_by_label("Judul").fill(TITLE)
    page.get_by_label("Jenis kerja sama").select_option("ksdd")
    page.get_by_label("Mitra di Jalin").select_option("kukar")
    page.get_by_label("Nama mitra").fill("Pemerintah Kabupaten Kutai Kartanegara")
    page.get_by_label("Maksud dan tujuan").fill("Meningkatkan akses rujukan kesehatan warga kedua daerah.")
    page.get_by_label("Ruang lingkup").fill("Rujukan pasien, pertukaran tenaga medis, pelatihan bersama.")
    page.get_by_label("Jangka waktu (bulan)").fill("36")
    page.get_by_label("Pembiayaan").fill("APBD masing-masing pihak.")
    page.get_by_label("Belum dianggarkan").check()  # so the DPRD approves it first (PP art. 6(2))
    page.get_by_role("button", name="Simpan").click()
    assert "Usulan tersimpan sebagai draf." in page.content()
    ani.look("03-ani-draft")
    ani.act("Ajukan")
    assert ani.stage() == "Penilaian TKKSD"
    ani.look("04-ani-submitted")

    budi = person("Budi")
    assert TITLE in budi.desktop.locator("section", has_text="Tugas saya").inner_text()  # waits for his decision
    budi.look("05-budi-beranda")
    budi.desktop.get_by_role("link", name=TITLE).first.click()
    budi.act("Setujui")
    assert budi.stage() == "Penawaran"
    budi.look("06-budi-approved")

    dedi = person("Dedi")
    offers = dedi.desktop.locator("section", has_text="Penawaran menunggu jawaban")
    assert TITLE in offers.inner_text()
    dedi.look("07-dedi-beranda-offer")
    offers.get_by_role("link", name=TITLE).click()
    dedi.act("Terima penawaran", {"Catatan": "Kabupaten Kutai Kartanegara menerima penawaran."})
    assert dedi.stage() == "Penyusunan KB"
    dedi.look("08-dedi-accepted")

    budi.open_cooperation()
    budi.act("Finalkan naskah KB")
    gubernur = person("Gubernur")
    gubernur.open_cooperation()
    gubernur.act("Catat penandatanganan KB", signing("120/KB/2026", "415/KB/KUKAR/2026"))
    assert gubernur.stage() == "Persetujuan DPRD"
    gubernur.look("09-kb-signed")
    budi.open_cooperation()
    budi.act("Catat persetujuan DPRD", {"Nomor keputusan DPRD": "12/DPRD/2026",
                                        "Tanggal keputusan DPRD": date.today().isoformat()})
    assert budi.stage() == "Penyusunan PKS"
    budi.act("Finalkan naskah PKS")
    gubernur.open_cooperation()
    gubernur.act("Catat penandatanganan PKS", signing("121/PKS/2026", "416/PKS/KUKAR/2026"))
    assert gubernur.stage() == "Pelaksanaan"
    gubernur.look("10-pks-signed")

    for who, step in ((budi, "11-sumbar-running"), (dedi, "12-kukar-running")):
        who.open_cooperation()
        assert who.stage() == "Pelaksanaan"
        main = who.desktop.locator("main")
        assert "120/KB/2026" in main.inner_text() and "416/PKS/KUKAR/2026" in main.inner_text()
        plan = who.desktop.locator("section", has_text="Rencana monev")
        assert "Putaran monev" in plan.inner_text()  # the plan follows the signed term
        link = who.desktop.get_by_role("link", name=re.compile(r"Unduh .*\.docx"))
        with who.desktop.expect_download() as download:
            link.first.click()
        path = download.value.path()
        assert path is not None and Path(path).read_bytes()[:2] == b"PK"  # a DOCX (a zip)
        who.look(step)

    eka = person("Eka")
    cooperation = budi.desktop.url.split("?")[0]
    eka.desktop.get_by_role("link", name="Usulan", exact=True).click()
    assert TITLE not in eka.desktop.content()
    eka.look("13-kaltim-list")
    response = eka.desktop.goto(cooperation)
    assert response is not None and response.status == 404
    assert "tidak ditemukan" in eka.desktop.content()
    eka.look("14-kaltim-404")

    # The list's filters swap the rows in place (htmx, under the CSP) and keep the URL shareable.
    budi.desktop.get_by_role("link", name="Usulan", exact=True).click()
    # htmx (a deferred script) binds the filters once the page has loaded: a change before that
    # would go nowhere (a click waits only for the navigation to commit).
    budi.desktop.wait_for_load_state("load")
    budi.desktop.get_by_label("Tahap").select_option("ditolak")
    budi.desktop.wait_for_url(re.compile(r"stage=ditolak"))
    assert TITLE not in budi.desktop.locator("#rows").inner_text()
    budi.desktop.get_by_label("Tahap").select_option("pelaksanaan")
    budi.desktop.wait_for_url(re.compile(r"stage=pelaksanaan"))
    assert TITLE in budi.desktop.locator("#rows").inner_text()
    budi.look("15-sumbar-filtered")

    # Budi's other pages: the cooperation's documents (an upload, with the limits said first), its
    # whole history, the monev plan, the mapping rounds, the import and the inbox.
    budi.open_cooperation()
    budi.desktop.get_by_role("link", name="Semua dokumen dan lampiran, unggah lampiran").click()
    assert "Ukuran paling besar" in budi.desktop.locator("main").inner_text()
    budi.desktop.get_by_label("Jenis lampiran").select_option("kak")
    budi.desktop.get_by_label("Judul (opsional)").fill("KAK rujukan kesehatan")
    budi.desktop.get_by_label(re.compile(r"^Berkas")).set_input_files(
        {"name": "kak-rujukan.pdf", "mimeType": "application/pdf", "buffer": PDF})
    budi.desktop.get_by_role("button", name="Unggah").click()
    budi.desktop.wait_for_load_state()
    assert "Lampiran tersimpan." in budi.desktop.content() and "KAK rujukan kesehatan" in budi.desktop.content()
    budi.look("16-sumbar-documents")
    budi.desktop.get_by_role("link", name=re.compile(r"^← ")).click()
    budi.desktop.get_by_role("link", name="Riwayat lengkap").click()
    assert "Catat penandatanganan PKS" in budi.desktop.locator("main").inner_text()
    budi.look("17-sumbar-history")
    budi.desktop.get_by_role("link", name="Monev", exact=True).click()
    budi.desktop.get_by_role("link", name=TITLE).first.click()
    assert "Putaran monev" in budi.desktop.locator("main").inner_text()
    budi.look("18-sumbar-monev")
    for link, step in (("Pemetaan potensi", "19-sumbar-mapping"), ("Impor", "20-sumbar-import"),
                       ("Kotak masuk", "21-sumbar-inbox")):
        budi.desktop.get_by_role("link", name=re.compile(rf"^{link}")).first.click()
        budi.desktop.wait_for_load_state()
        budi.look(step)

    assert len(checked) == 21 and all(not v for v in checked.values())  # every step's page was checked
