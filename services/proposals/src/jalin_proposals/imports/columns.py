"""The register's columns: their one definition (``docs/import.md`` describes them), how a
header names one, and the words a cell may use for a kind or a document type."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from jalin_kit.tenants import TenantInfo

from jalin_proposals.lifecycle import Kind


@dataclass(frozen=True)
class Column:
    key: str
    required: bool
    aliases: tuple[str, ...]
    meaning: str
    example: str
    max_length: int | None = None
    min_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("nomor", True, ("nomor_perjanjian", "nomor_kerja_sama", "nomor_pihak_pertama", "number", "agreement_number",
                           "number_first"),
           "Our region's number of the agreement; the key that makes a re-import add nothing.",
           "180/015/KS-B.Pem/2023", 100),
    Column("nomor_mitra", False, ("nomor_pihak_kedua", "partner_number", "number_second"),
           "The partner's number of the same agreement.", "100.3/27/PKS/2023", 100),
    Column("judul", True, ("perihal", "judul_kerja_sama", "title"), "Title (perihal).",
           "Pelayanan Kesehatan Rujukan Antardaerah", 200, 3),
    Column("jenis", True, ("jenis_kerja_sama", "kind"), "ksdd, ksdpk, ksdpl, ksdll or pusat.", "ksdd"),
    Column("jenis_dokumen", True, ("dokumen", "bentuk_dokumen", "document_type", "type"),
           "kb, pks, nk or rencana_kerja (MoU = kb).", "pks"),
    Column("mitra", True, ("nama_mitra", "pihak_kedua", "partner", "partner_name"), "The partner's name.",
           "Pemerintah Kota Samarinda", 200, 2),
    Column("mitra_tenant", False, ("partner_tenant",), "The partner's Jalin tenant id, if it has one.", ""),
    Column("opd", False, ("perangkat_daerah", "unit"), "The OPD carrying it out: its unit id or its name.", "dinkes"),
    Column("tanggal_tanda_tangan", True, ("tanggal_ttd", "tanggal_penandatanganan", "tgl_ttd", "signed_on",
                                          "signing_date"),
           "Signing date: yyyy-mm-dd, dd/mm/yyyy, '15 Maret 2023' or an Excel date.", "2023-03-15"),
    Column("tempat", False, ("tempat_tanda_tangan", "tempat_penandatanganan", "signed_place"),
           "Where it was signed (default: the region's seat).", "Tenggarong", 100),
    Column("penandatangan", False, ("nama_penandatangan", "signatory", "signatory_name"),
           "Who signed for us.", "Edi Damansyah", 200),
    Column("jabatan_penandatangan", False, ("jabatan", "signatory_title"),
           "The signatory's title (default: the head of region's title).", "Bupati Kutai Kartanegara", 200),
    Column("surat_kuasa", False, ("nomor_surat_kuasa", "power_of_attorney"),
           "PKS signed by a delegate: the power of attorney's number.", "", 100),
    Column("tanggal_mulai", False, ("mulai", "term_start", "start_date"), "First day of the term (default: signing).",
           "2023-03-15"),
    Column("tanggal_berakhir", False, ("berakhir", "tanggal_selesai", "tanggal_akhir", "term_end", "end_date"),
           "Last day of the term. PKS and rencana_kerja need it or jangka_waktu_bulan.", "2026-03-14"),
    Column("jangka_waktu_bulan", False, ("jangka_waktu", "term_months"), "Term in months (instead of an end date).", ""),
    Column("maksud_tujuan", False, ("maksud_dan_tujuan", "tujuan", "objective"), "Maksud dan tujuan.",
           "Meningkatkan akses pelayanan kesehatan rujukan.", 4000),
    Column("ruang_lingkup", False, ("scope",), "Ruang lingkup.", "Rujukan pasien dan peningkatan kapasitas tenaga kesehatan.",
           4000),
    Column("pembiayaan", False, ("sumber_pembiayaan", "sumber_dana", "financing"), "Pembiayaan.",
           "APBD masing-masing pihak.", 2000),
)
BY_KEY: Mapping[str, Column] = MappingProxyType({c.key: c for c in COLUMNS})
REQUIRED = tuple(c.key for c in COLUMNS if c.required)

KINDS: Mapping[str, Kind] = MappingProxyType({k.value: k for k in Kind})
DOC_TYPES: Mapping[str, str] = MappingProxyType({
    "kb": "kb", "mou": "kb", "kesepakatan_bersama": "kb",
    "pks": "pks", "perjanjian_kerja_sama": "pks", "perjanjian": "pks",
    "nk": "nk", "nota_kesepakatan": "nk",
    "rencana_kerja": "rencana_kerja", "rk": "rencana_kerja",
})
BINDING = frozenset({"pks", "rencana_kerja"})
"""The documents that carry the term (a KB or NK may state none)."""
CENTRAL_DOCS = frozenset({"nk", "rencana_kerja"})


def header_key(name: str) -> str:
    """A header as a column key: case, spaces, punctuation, ``*`` and ``(...)`` ignored."""
    name = re.sub(r"\(.*?\)", "", unicodedata.normalize("NFKC", name)).replace("*", "")
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


ALIASES: Mapping[str, str] = MappingProxyType({
    header_key(name): c.key for c in COLUMNS for name in (c.key, *c.aliases)
})
"""Every name a header may give a column (as :func:`header_key` reads it) -> the column's key."""


def source_key(number: str) -> str:
    """The idempotency key of an agreement number: case and whitespace do not count."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", number)).upper()


def template_rows(tenant: TenantInfo) -> list[list[str]]:
    """The header and one example row, for ``template.csv``."""
    example = {c.key: c.example for c in COLUMNS}
    example["tempat"] = tenant.seat if tenant.seat != "-" else example["tempat"]
    example["jabatan_penandatangan"] = tenant.head_title
    example["opd"] = next(iter(tenant.units), "")
    return [[c.key for c in COLUMNS], [example[c.key] for c in COLUMNS]]
