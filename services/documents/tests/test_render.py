"""The Kesepakatan Bersama draft rendered from the committed template."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from jalin_documents.render import BLANK_NUMBER, kb_context, render_docx, terbilang
from jalin_kit.events import Party, ProposalApproved
from jalin_kit.tenants import DEMO_TENANTS

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "kesepakatan_bersama.docx"
SUMBAR = DEMO_TENANTS["sumbar"]
KUKAR = DEMO_TENANTS["kukar"]
TITLE = "Jalan & Jembatan <Tahap 1>"


def approved(**changes: Any) -> ProposalApproved:
    fields: dict[str, Any] = {
        "proposal_id": "p-1",
        "tenant": "sumbar",
        "title": TITLE,
        "kind": "ksdd",
        "proposer": Party(name=SUMBAR.name, tenant="sumbar"),
        "proposer_unit": "dpupr",
        "partner": Party(name=KUKAR.name, tenant="kukar"),
        "objective": "Meningkatkan konektivitas & kesejahteraan <antarwilayah>.",
        "scope": "Pembangunan dan pemeliharaan jalan penghubung.",
        "term_months": 24,
        "financing": "APBD masing-masing pihak.",
        "actor": "u-1",
        "occurred_at": datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
        "term_start": date(2026, 11, 23),
        "term_end": date(2028, 11, 23),
    }
    fields.update(changes)
    return ProposalApproved(**fields)


def text_of(data: bytes) -> str:
    """All the visible text python-docx reads: paragraphs, then table cells."""
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def render(event: ProposalApproved, partner: Any = KUKAR) -> str:
    return text_of(render_docx(TEMPLATE, kb_context(event, SUMBAR, partner)))


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (24, "dua puluh empat"),
        (36, "tiga puluh enam"),
        (60, "enam puluh"),
        (100, "seratus"),
        (110, "seratus sepuluh"),
        (111, "seratus sebelas"),
        (120, "seratus dua puluh"),
        (200, "dua ratus"),
        (999, "sembilan ratus sembilan puluh sembilan"),
    ],
)
def test_terbilang_spells_numbers_in_indonesian(n: int, words: str) -> None:
    assert terbilang(n) == words


def test_kb_context_names_both_parties_signatories_unit_and_term() -> None:
    ctx = kb_context(approved(), SUMBAR, KUKAR)
    assert ctx["title"] == TITLE  # raw: escaping is the renderer's job, not the context's
    assert ctx["first_party_name"] == "Pemerintah Provinsi Sumatera Barat"
    assert ctx["first_party_signatory"] == "Gubernur Sumatera Barat"
    assert ctx["second_party_name"] == "Pemerintah Kabupaten Kutai Kartanegara"
    assert ctx["second_party_signatory"] == "Bupati Kutai Kartanegara"
    assert ctx["place"] == "Padang"
    assert ctx["proposer_unit"] == "Dinas Pekerjaan Umum dan Penataan Ruang"
    assert (ctx["term_months"], ctx["term_months_words"]) == (24, "dua puluh empat")
    assert (ctx["term_start"], ctx["term_end"]) == ("23 November 2026", "23 November 2028")
    assert ctx["first_party_number"] == ctx["second_party_number"] == BLANK_NUMBER


def test_kb_context_for_partner_outside_jalin_uses_its_name_and_a_generic_signatory() -> None:
    event = approved(partner=Party(name="PT Jasa Marga (Persero) Tbk"), proposer_unit=None)
    ctx = kb_context(event, SUMBAR, None)
    assert ctx["second_party_name"] == "PT Jasa Marga (Persero) Tbk"
    assert ctx["second_party_signatory"] == "Pimpinan PT Jasa Marga (Persero) Tbk"
    assert ctx["proposer_unit"] == SUMBAR.cooperation_section  # no unit: the cooperation section


def test_rendered_kb_keeps_ampersand_and_angle_brackets_as_text() -> None:
    data = render_docx(TEMPLATE, kb_context(approved(), SUMBAR, KUKAR))
    text = text_of(data)  # python-docx opens it: the XML is well formed
    assert TITLE.upper() in text  # the template prints the title in capitals in the heading
    assert "Meningkatkan konektivitas & kesejahteraan <antarwilayah>." in text  # verbatim in Pasal 1
    assert "&amp;" not in text and "&lt;" not in text  # escaped once, not twice
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode()
    assert "JALAN &amp; JEMBATAN &lt;TAHAP 1&gt;" in xml


def test_rendered_kb_names_both_parties_term_and_indonesian_dates() -> None:
    text = render(approved())
    for expected in (
        "PEMERINTAH PROVINSI SUMATERA BARAT",
        "PEMERINTAH KABUPATEN KUTAI KARTANEGARA",
        "Gubernur Sumatera Barat, dalam hal ini bertindak untuk dan atas nama "
        "Pemerintah Provinsi Sumatera Barat, selanjutnya disebut PIHAK PERTAMA",
        "Bupati Kutai Kartanegara, dalam hal ini bertindak untuk dan atas nama "
        "Pemerintah Kabupaten Kutai Kartanegara, selanjutnya disebut PIHAK KEDUA",
        "24 (dua puluh empat) bulan",
        "sejak tanggal 23 November 2026 sampai dengan tanggal 23 November 2028",
        "bertempat di Padang",
        "Perangkat daerah pengusul PIHAK PERTAMA: Dinas Pekerjaan Umum dan Penataan Ruang.",
        "Ruang lingkup Kesepakatan Bersama ini meliputi: Pembangunan dan pemeliharaan jalan penghubung.",
        "bersumber dari: APBD masing-masing pihak.",
    ):
        assert expected in text, expected
    assert "{{" not in text and "}}" not in text  # every tag filled


@pytest.mark.parametrize(
    ("months", "start", "end", "phrase", "dates"),
    [
        (1, date(2026, 1, 31), date(2026, 2, 28), "1 (satu) bulan", ("31 Januari 2026", "28 Februari 2026")),
        (12, date(2027, 3, 1), date(2028, 3, 1), "12 (dua belas) bulan", ("1 Maret 2027", "1 Maret 2028")),
        (
            60,
            date(2028, 2, 29),
            date(2033, 2, 28),
            "60 (enam puluh) bulan",
            ("29 Februari 2028", "28 Februari 2033"),
        ),
    ],
)
def test_rendered_kb_spells_term_and_dates(
    months: int, start: date, end: date, phrase: str, dates: tuple[str, str]
) -> None:
    text = render(approved(term_months=months, term_start=start, term_end=end))
    assert f"berlaku selama {phrase}" in text
    assert f"sejak tanggal {dates[0]} sampai dengan tanggal {dates[1]}" in text


def test_rendered_kb_for_third_party_partner_names_its_leader() -> None:
    event = approved(partner=Party(name="PT Jasa Marga (Persero) Tbk"))
    text = render(event, partner=None)
    assert "PT JASA MARGA (PERSERO) TBK" in text
    assert "Pimpinan PT Jasa Marga (Persero) Tbk, dalam hal ini bertindak" in text


def test_template_tags_in_user_text_are_not_evaluated() -> None:
    text = render(approved(objective="Lihat {{ place }} dan {% if true %}x{% endif %}."))
    assert "Lihat {{ place }} dan {% if true %}x{% endif %}." in text


def _canonical_body(data: bytes) -> bytes:
    from lxml import etree

    return etree.tostring(etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")), method="c14n")


@pytest.mark.parametrize(
    "event",
    [
        approved(),
        approved(objective="Baris pertama.\nBaris kedua\tdengan tab.", scope="{{ 7*7 }} {% if x %}<w:t>&amp;"),
        approved(title="T" * 200, term_months=1, partner=Party(name="PT Mitra & Co <Tbk>")),
    ],
)
def test_the_prepared_template_renders_what_docxtpl_renders(event: ProposalApproved) -> None:
    from jalin_documents.render import PreparedTemplate, _prepared, render_docx_full

    context = kb_context(event, SUMBAR, KUKAR if event.partner.tenant else None)
    assert _prepared(str(TEMPLATE), TEMPLATE.stat().st_mtime_ns) is not None  # the committed template is prepared
    fast, full = PreparedTemplate(TEMPLATE).render(context), render_docx_full(TEMPLATE, context)
    assert _canonical_body(fast) == _canonical_body(full)
    assert sorted(zipfile.ZipFile(io.BytesIO(fast)).namelist()) == sorted(zipfile.ZipFile(io.BytesIO(full)).namelist())
    assert text_of(fast) == text_of(full)


def test_a_template_with_tags_outside_the_body_falls_back_to_docxtpl(tmp_path: Path) -> None:
    from jalin_documents.render import PreparedTemplate

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Kop: {{ title }}"
    document.add_paragraph("Judul: {{ title }}")
    path = tmp_path / "with-header.docx"
    document.save(str(path))
    with pytest.raises(Exception, match="Jinja tags in word/header"):
        PreparedTemplate(path)
    rendered = docx.Document(io.BytesIO(render_docx(path, {"title": "Jalan & Jembatan"})))
    assert rendered.sections[0].header.paragraphs[0].text == "Kop: Jalan & Jembatan"
    assert rendered.paragraphs[0].text == "Judul: Jalan & Jembatan"
