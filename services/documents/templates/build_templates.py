"""Builds ``kesepakatan_bersama.docx``, the KB template, with python-docx.

The template is committed; run this again after changing the text here
(``uv run python services/documents/templates/build_templates.py``). Jinja tags are
written as whole runs so docxtpl sees them intact. Staff may also edit the DOCX in
Word, keeping the ``{{ ... }}`` tags.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

HERE = Path(__file__).resolve().parent

ARTICLES: list[tuple[str, list[str]]] = [
    ("MAKSUD DAN TUJUAN", ["{{ objective }}"]),
    ("RUANG LINGKUP", ["Ruang lingkup Kesepakatan Bersama ini meliputi: {{ scope }}"]),
    (
        "PELAKSANAAN",
        [
            "Pelaksanaan Kesepakatan Bersama ini dituangkan lebih lanjut dalam Perjanjian Kerja Sama "
            "yang disusun oleh perangkat daerah terkait para pihak.",
            "Perangkat daerah pengusul PIHAK PERTAMA: {{ proposer_unit }}.",
        ],
    ),
    (
        "JANGKA WAKTU",
        [
            "Kesepakatan Bersama ini berlaku selama {{ term_months }} ({{ term_months_words }}) bulan, "
            "terhitung sejak tanggal {{ term_start }} sampai dengan tanggal {{ term_end }}, dan dapat "
            "diperpanjang dengan menempuh kembali prosedur kerja sama.",
        ],
    ),
    ("PEMBIAYAAN", ["Biaya pelaksanaan Kesepakatan Bersama ini bersumber dari: {{ financing }}"]),
    (
        "PENYELESAIAN PERSELISIHAN",
        [
            "Perselisihan yang timbul dalam pelaksanaan Kesepakatan Bersama ini diselesaikan secara "
            "musyawarah untuk mufakat oleh PARA PIHAK.",
        ],
    ),
    (
        "KEADAAN KAHAR",
        [
            "Keadaan kahar adalah keadaan di luar kemampuan PARA PIHAK yang mengakibatkan tidak dapat "
            "dilaksanakannya Kesepakatan Bersama ini; pihak yang mengalaminya memberitahukan pihak lain "
            "secara tertulis paling lambat 14 (empat belas) hari kalender sejak terjadinya.",
        ],
    ),
    (
        "PERUBAHAN",
        ["Perubahan Kesepakatan Bersama ini dituangkan dalam addendum yang disepakati PARA PIHAK."],
    ),
    (
        "PENGAKHIRAN",
        [
            "Kesepakatan Bersama ini berakhir apabila jangka waktunya habis, tujuannya telah tercapai, "
            "PARA PIHAK sepakat mengakhirinya, terdapat perubahan kebijakan yang membuatnya tidak dapat "
            "dilaksanakan, atau objeknya hilang atau musnah.",
        ],
    ),
    (
        "PENUTUP",
        [
            "Kesepakatan Bersama ini dibuat dalam rangkap 2 (dua) asli bermeterai cukup, masing-masing "
            "mempunyai kekuatan hukum yang sama.",
        ],
    ),
]


def centered(doc: Document, text: str, *, bold: bool = False, size: int = 12) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def build_kb(path: Path) -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)

    centered(doc, "KESEPAKATAN BERSAMA", bold=True, size=14)
    centered(doc, "ANTARA", bold=True)
    centered(doc, "{{ first_party_name | upper }}", bold=True)
    centered(doc, "DENGAN", bold=True)
    centered(doc, "{{ second_party_name | upper }}", bold=True)
    centered(doc, "TENTANG", bold=True)
    centered(doc, "{{ title | upper }}", bold=True)
    centered(doc, "Nomor PIHAK PERTAMA: {{ first_party_number }}")
    centered(doc, "Nomor PIHAK KEDUA: {{ second_party_number }}")

    doc.add_paragraph(
        "Pada hari ini {{ signing_day }}, tanggal {{ signing_date }}, bertempat di {{ place }}, "
        "kami yang bertanda tangan di bawah ini:"
    )
    doc.add_paragraph(
        "1. {{ first_party_signatory }}, dalam hal ini bertindak untuk dan atas nama "
        "{{ first_party_name }}, selanjutnya disebut PIHAK PERTAMA;"
    )
    doc.add_paragraph(
        "2. {{ second_party_signatory }}, dalam hal ini bertindak untuk dan atas nama "
        "{{ second_party_name }}, selanjutnya disebut PIHAK KEDUA;"
    )
    doc.add_paragraph(
        "PIHAK PERTAMA dan PIHAK KEDUA yang selanjutnya disebut PARA PIHAK, dengan mempertimbangkan "
        "Peraturan Pemerintah Nomor 28 Tahun 2018 tentang Kerja Sama Daerah, sepakat untuk "
        "mengadakan Kesepakatan Bersama tentang {{ title }} dengan ketentuan sebagai berikut:"
    )

    for number, (heading, paragraphs) in enumerate(ARTICLES, start=1):
        centered(doc, f"Pasal {number}", bold=True)
        centered(doc, heading, bold=True)
        for text in paragraphs:
            doc.add_paragraph(text)

    table = doc.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "PIHAK KEDUA,"
    table.cell(0, 1).text = "PIHAK PERTAMA,"
    table.cell(2, 0).text = "{{ second_party_signatory }}"
    table.cell(2, 1).text = "{{ first_party_signatory }}"
    doc.add_paragraph("Dokumen ini adalah draf yang dihasilkan oleh Jalin ({{ generated_at }}).")
    doc.save(str(path))


if __name__ == "__main__":
    build_kb(HERE / "kesepakatan_bersama.docx")
    print("wrote", HERE / "kesepakatan_bersama.docx")
